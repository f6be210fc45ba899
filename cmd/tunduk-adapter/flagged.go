package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// cmdFlaggedOrders lists the payment orders whose bank calls failed past
// the retry limit, or whose bank reported something only a person can sort
// out; -retry ID clears an order's flag so its call is tried again.
func cmdFlaggedOrders(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("flagged-orders", flag.ContinueOnError)
	path := configFlag(fs)
	given := settingFlags(fs)
	limit := fs.Int("limit", 100, "list at most this many orders")
	retry := fs.String("retry", "", "clear the flag of this order id so its call is retried")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The same configuration, environment and flags as serve, so the
	// database password comes from where serve takes it.
	db, w, err := openWired(ctx, *path, given)
	if err != nil {
		return err
	}
	defer db.Close()
	domain := adapter.New(db, nil, w.cfg)
	if *retry != "" {
		return domain.RetryOrder(ctx, *retry)
	}
	orders, err := domain.FlaggedOrders(ctx, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tTRANSFER\tBANK\tSTATUS\tCALL\tFLAGGED\tWHY")
	for _, o := range orders {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.TransferID, o.BankCode, o.Status,
			o.Call, o.FlaggedAt.Format(time.RFC3339), o.Attention)
	}
	return tw.Flush()
}
