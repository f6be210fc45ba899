package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tunduk/vehicle-adapter/registry"
)

// openRegistry loads the configuration named by the flags and opens its
// database.
func openRegistry(ctx context.Context, path string, given map[string]string) (*registry.DB, error) {
	db, _, err := openWired(ctx, path, given)
	return db, err
}

// openWired is openRegistry that also returns the validated configuration.
func openWired(ctx context.Context, path string, given map[string]string) (*registry.DB, *wiring, error) {
	c, err := loadConfigFrom(path, os.Getenv, given)
	if err != nil {
		return nil, nil, err
	}
	w, err := c.wire()
	if err != nil {
		return nil, nil, fmt.Errorf("%s:\n%w", path, err)
	}
	db, err := registry.Open(ctx, w.databaseURL)
	return db, w, err
}

func cmdMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	path := configFlag(fs)
	given := settingFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openRegistry(ctx, *path, given)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	cur, _, err := registry.SchemaVersion(ctx, db.SQL())
	if err != nil {
		return err
	}
	fmt.Printf("migrated: schema version %d\n", cur)
	return nil
}

func cmdSeedDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	path := configFlag(fs)
	given := settingFlags(fs)
	seed := fs.Int64("seed", 1, "seed of the synthetic registry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openRegistry(ctx, *path, given)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	demo, err := registry.SeedDemo(ctx, db, *seed)
	if err != nil {
		return err
	}
	fmt.Printf("seeded; try vehicle %s\n", demo.Vehicle.VIN)
	return nil
}

// cmdCheckConfig validates the configuration as serve would, printing one
// line per mistake, and with -connect also reaches the database.
func cmdCheckConfig(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	path := configFlag(fs)
	given := settingFlags(fs)
	connect := fs.Bool("connect", false, "also connect to the database and check its migrations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return checkConfig(ctx, os.Stdout, *path, os.Getenv, given, *connect)
}

// checkConfig does the work of check-config, writing a summary to out.
func checkConfig(ctx context.Context, out io.Writer, path string, getenv func(string) string,
	given map[string]string, connect bool) error {
	c, err := loadConfigFrom(path, getenv, given)
	if err != nil {
		return err
	}
	w, err := c.wireEnv(getenv)
	if err != nil {
		return fmt.Errorf("%s:\n%w", path, err)
	}
	fmt.Fprintf(out, "subsystem        %s\n", w.provider)
	fmt.Fprintf(out, "listen           %s (tls %v, client certificates %v)\n", c.Listen,
		w.serverTLS != nil, w.serverTLS != nil && w.serverTLS.ClientCAs != nil)
	if w.serverTLS != nil {
		leaf, err := x509.ParseCertificate(w.serverTLS.Certificates[0].Certificate[0])
		if err == nil {
			fmt.Fprintf(out, "certificate      %s, valid until %s\n", leaf.Subject,
				leaf.NotAfter.Format(time.DateOnly))
		}
	}
	fmt.Fprintf(out, "database         %s\n", redactURL(w.databaseURL))
	fmt.Fprintf(out, "security server  %s (tls overridable %v)\n", c.SecurityServerURL, w.outbound != nil)
	fmt.Fprintf(out, "banks            %d; log %s as %s; shutdown within %s\n", len(w.banks),
		w.logLevel, map[bool]string{true: "text", false: "JSON"}[w.textLog], c.ShutdownTimeout.Duration)
	if connect {
		db, err := registry.Open(ctx, w.databaseURL)
		if err != nil {
			return fmt.Errorf("%s: database: %w", path, err)
		}
		defer db.Close()
		if err := db.Ready(ctx); err != nil {
			if errors.Is(err, registry.ErrSchemaOutdated) {
				return fmt.Errorf("%s: database: migrations are not current; run tunduk-adapter migrate", path)
			}
			return fmt.Errorf("%s: database: %w", path, err)
		}
		fmt.Fprintln(out, "database         reachable, migrations current")
	}
	fmt.Fprintln(out, path+": ok")
	return nil
}

// cmdStuck lists open transfers past their deadlines, for an operator.
func cmdStuck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("stuck", flag.ContinueOnError)
	path := configFlag(fs)
	given := settingFlags(fs)
	limit := fs.Int("limit", 100, "list at most this many")
	grace := fs.Duration("grace", 0, "only transfers overdue by more than this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openRegistry(ctx, *path, given)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	list, err := db.StuckTransfers(ctx, now.Add(-*grace), *limit)
	if err != nil {
		return err
	}
	return printStuck(os.Stdout, list, now)
}

// printStuck writes one line per stuck transfer.
func printStuck(out io.Writer, list []registry.StuckTransfer, now time.Time) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "no open transfer is past its deadline")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRANSFER\tSTATE\tVEHICLE\tDEADLINE\tOVERDUE\tPAYMENT ORDER\tLAST ERROR")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.60s\n", t.ID, t.State, t.VIN,
			t.Deadline.UTC().Format(time.RFC3339), now.Sub(t.Deadline).Round(time.Minute),
			t.OrderStatus, t.OrderError)
	}
	return tw.Flush()
}
