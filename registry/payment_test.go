package registry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
)

// newOrder is an order for transfer tr of the demo.
func newOrder(d registry.Demo, id, transferID string) adapter.PaymentOrder {
	return adapter.PaymentOrder{
		ID: id, TransferID: transferID, BankCode: "10000001", PayerPIN: d.Buyer.PIN,
		Payee:    adapter.Account{BankCode: "10000002", Number: "1280016012345678"},
		Price:    350_000_00,
		StateFee: 1_000_00, ServiceFee: 500_00, Amount: 351_500_00,
		Status: adapter.OrderNew, ExpiresAt: at.Add(48 * time.Hour), NextAttemptAt: at, CreatedAt: at,
		Call: adapter.CallCreate, CheckedAt: at,
	}
}

func TestPaymentOrders(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	tr := newTransfer(demo, "pay-transfer")
	want := newOrder(demo, "order-1", tr.ID)

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		if err := tx.CreateTransfer(ctx, tr); err != nil {
			return err
		}
		if err := tx.CreatePaymentOrder(ctx, want); err != nil {
			return err
		}
		for _, lock := range []bool{false, true} {
			got, err := tx.PaymentOrder(ctx, want.ID, lock)
			if err != nil || !sameOrder(got, want) {
				t.Errorf("PaymentOrder(lock %v): got %+v, %v; want %+v", lock, got, err, want)
			}
		}
		got, err := tx.PaymentOrderOf(ctx, tr.ID)
		if err != nil || !sameOrder(got, want) {
			t.Errorf("PaymentOrderOf: got %+v, %v; want %+v", got, err, want)
		}
		err = tx.CreatePaymentOrder(ctx, newOrder(demo, "order-2", tr.ID))
		if !errors.Is(err, adapter.ErrConflict) {
			t.Errorf("second live order: got %v, want ErrConflict", err)
		}
		return nil
	})

	t.Run("update", func(t *testing.T) {
		upd := want
		upd.Status, upd.BankOrderID, upd.BankReference = adapter.OrderPaid, "B-77", "REF-1"
		upd.PaidAt, upd.Attempts, upd.LastError = at.Add(time.Hour), 2, "timeout"
		upd.NextAttemptAt = at.Add(time.Minute)
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			if err := tx.UpdatePaymentOrder(ctx, upd); err != nil {
				return err
			}
			got, err := tx.PaymentOrder(ctx, want.ID, false)
			if err != nil || !sameOrder(got, upd) {
				t.Errorf("got %+v, %v; want %+v", got, err, upd)
			}
			err = tx.UpdatePaymentOrder(ctx, adapter.PaymentOrder{ID: "nope", Status: adapter.OrderSent})
			if !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("update of an unknown order: got %v, want ErrNotFound", err)
			}
			return nil
		})
	})

	t.Run("the database refuses inconsistent orders", func(t *testing.T) {
		wrongSum := newOrder(demo, "order-3", tr.ID)
		wrongSum.Amount++
		paidWithoutTime := newOrder(demo, "order-4", tr.ID)
		paidWithoutTime.Status = adapter.OrderPaid
		for _, o := range []adapter.PaymentOrder{wrongSum, paidWithoutTime} {
			// Free the transfer's live order slot so only the checks speak.
			_, err := db.SQL().Exec(
				`UPDATE payment_orders SET status = 'CANCELLED' WHERE transfer_id = $1`, tr.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = db.InTx(context.Background(), func(tx adapter.Tx) error {
				return tx.CreatePaymentOrder(context.Background(), o)
			})
			if err == nil {
				t.Errorf("order %+v was stored", o)
			}
		}
	})

	t.Run("unknowns", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			if _, err := tx.PaymentOrder(ctx, "nope", false); !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("PaymentOrder: got %v, want ErrNotFound", err)
			}
			if _, err := tx.PaymentOrderOf(ctx, "nope"); !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("PaymentOrderOf: got %v, want ErrNotFound", err)
			}
			return nil
		})
	})
}

// TestClaimOrdersSkipsLocked claims in two concurrent transactions: the
// second gets the due orders the first does not hold, without waiting.
func TestClaimOrdersSkipsLocked(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	now := at.Add(time.Hour)

	// Five due orders, one due later and one already sent, each on a
	// transfer of its own (one live order per transfer).
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		for i := range 7 {
			tr := newTransfer(demo, fmt.Sprintf("claim-t%d", i))
			tr.State = adapter.Completed
			if err := tx.CreateTransfer(ctx, tr); err != nil {
				return err
			}
			o := newOrder(demo, fmt.Sprintf("claim-o%d", i), tr.ID)
			o.NextAttemptAt = at.Add(time.Duration(i) * time.Minute)
			switch i {
			case 5:
				o.NextAttemptAt = now.Add(time.Minute)
			case 6:
				o.Status, o.Call = adapter.OrderSent, adapter.CallNone
			}
			if err := tx.CreatePaymentOrder(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})

	claimed := make(chan []adapter.PaymentOrder)
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.InTx(context.Background(), func(tx adapter.Tx) error {
			os, err := tx.ClaimOrders(context.Background(), now, 3)
			if err != nil {
				close(claimed)
				return err
			}
			claimed <- os
			<-release
			return nil
		})
	}()
	first := <-claimed
	if got := ids(first); fmt.Sprint(got) != "[claim-o0 claim-o1 claim-o2]" {
		t.Errorf("first claim: got %v, want the three longest due", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var second []adapter.PaymentOrder
	err := db.InTx(ctx, func(tx adapter.Tx) error {
		var err error
		second, err = tx.ClaimOrders(ctx, now, 10)
		return err
	})
	close(release)
	if err != nil {
		t.Fatalf("second claim: %v", err)
	}
	if got := ids(second); fmt.Sprint(got) != "[claim-o3 claim-o4]" {
		t.Errorf("second claim: got %v, want the two due orders the first does not hold", got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func ids(os []adapter.PaymentOrder) []string {
	var s []string
	for _, o := range os {
		s = append(s, o.ID)
	}
	return s
}

// sameOrder compares orders, times by instant; CreatedAt is the store's.
func sameOrder(a, b adapter.PaymentOrder) bool {
	if !a.PaidAt.Equal(b.PaidAt) || !a.ExpiresAt.Equal(b.ExpiresAt) ||
		!a.NextAttemptAt.Equal(b.NextAttemptAt) || !a.CreatedAt.Equal(b.CreatedAt) ||
		!a.CheckedAt.Equal(b.CheckedAt) || !a.FlaggedAt.Equal(b.FlaggedAt) ||
		!a.RefundedAt.Equal(b.RefundedAt) {
		return false
	}
	a.PaidAt, a.ExpiresAt = b.PaidAt, b.ExpiresAt
	a.NextAttemptAt, a.CreatedAt = b.NextAttemptAt, b.CreatedAt
	a.CheckedAt, a.FlaggedAt, a.RefundedAt = b.CheckedAt, b.FlaggedAt, b.RefundedAt
	return a == b
}
