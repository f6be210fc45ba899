package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

func TestStuckListsOverdueOpenTransfers(t *testing.T) {
	ctx := context.Background()
	db := registrytest.New(t)
	demo, err := registry.SeedDemo(ctx, db, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Three transfers of the demo vehicle's owner: one overdue and open,
	// one overdue but ended, one open within its deadline.
	_, err = db.SQL().ExecContext(ctx, `
		INSERT INTO transfers (id, vehicle_id, seller_pin, buyer_pin, price, seller_bank_code,
			seller_account, state, deadline)
		SELECT x.id, v.id, $1, $2, 100, 'PILOT', '1030120000123456', x.state, now() + x.due
		FROM vehicles v, (VALUES
			('11111111-1111-4111-8111-111111111111', 'AWAITING_PAYMENT', interval '-2 hours'),
			('22222222-2222-4222-8222-222222222222', 'CANCELLED', interval '-2 hours')) AS x(id, state, due)
		WHERE v.vin = $3`, string(demo.Owner.PIN), string(demo.Buyer.PIN), demo.Vehicle.VIN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.SQL().ExecContext(ctx, `
		INSERT INTO transfers (id, vehicle_id, seller_pin, buyer_pin, price, seller_bank_code,
			seller_account, state, deadline)
		SELECT '33333333-3333-4333-8333-333333333333', v.id, $1, $2, 100, 'PILOT', '1', 'AWAITING_BUYER',
			now() + interval '2 hours'
		FROM vehicles v WHERE v.vin = $3`,
		string(demo.RestrictedOwner.PIN), string(demo.Buyer.PIN), demo.Restricted.VIN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.SQL().ExecContext(ctx, `
		INSERT INTO payment_orders (id, transfer_id, bank_code, payer_pin, payee_bank_code,
			payee_account, price, state_fee, service_fee, amount, status, last_error)
		VALUES ('o1', '11111111-1111-4111-8111-111111111111', 'PILOT', $1, 'PILOT', '1', 100, 0, 0,
			100, 'NEW', 'bank unreachable')`, string(demo.Buyer.PIN))
	if err != nil {
		t.Fatal(err)
	}

	// The same rows feed the metrics.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE payment_orders SET pending_call = 'CREATE'`); err != nil {
		t.Fatal(err)
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.OutboxPending != 1 || st.OutboxOldest.IsZero() || st.OutboxFlagged != 0 {
		t.Errorf("got outbox %d (oldest %v, flagged %d), want 1 pending, 0 flagged",
			st.OutboxPending, st.OutboxOldest, st.OutboxFlagged)
	}
	for state, want := range map[string]int64{"AWAITING_PAYMENT": 1, "CANCELLED": 1,
		"AWAITING_BUYER": 1, "COMPLETED": 0} {
		if got := st.TransfersByState[state]; got != want {
			t.Errorf("got %d transfers %s, want %d", got, state, want)
		}
	}

	now := time.Now()
	list, err := db.StuckTransfers(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "11111111-1111-4111-8111-111111111111" {
		t.Fatalf("got %+v, want only the open overdue transfer", list)
	}
	var out bytes.Buffer
	if err := printStuck(&out, list, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AWAITING_PAYMENT", demo.Vehicle.VIN, "NEW", "bank unreachable", "2h0m0s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("got\n%s\nwant %q in it", out.String(), want)
		}
	}
	if list, _ := db.StuckTransfers(ctx, now.Add(-3*time.Hour), 10); len(list) != 0 {
		t.Errorf("got %d with a 3h grace, want none", len(list))
	}
}
