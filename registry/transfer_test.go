package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
)

func TestTransfers(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	want := newTransfer(demo, "6f1c2a52-3f1e-4b7a-9d7e-1a2b3c4d5e6f")
	want.VIN, want.Plate = demo.Vehicle.VIN, demo.Vehicle.Plate

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		if err := tx.CreateTransfer(ctx, want); err != nil {
			return err
		}
		for _, lock := range []bool{false, true} {
			got, err := tx.Transfer(ctx, want.ID, lock)
			if err != nil || !sameTransfer(got, want) {
				t.Errorf("Transfer(lock %v): got %+v, %v; want %+v", lock, got, err, want)
			}
		}
		got, err := tx.OpenTransfer(ctx, demo.Vehicle.ID)
		if err != nil || !sameTransfer(got, want) {
			t.Errorf("OpenTransfer: got %+v, %v; want %+v", got, err, want)
		}
		return nil
	})

	t.Run("a second open transfer is a conflict and the transaction lives on", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			err := tx.CreateTransfer(ctx, newTransfer(demo, "second"))
			if !errors.Is(err, adapter.ErrConflict) {
				t.Errorf("got %v, want ErrConflict", err)
			}
			_, err = tx.Transfer(ctx, want.ID, false)
			return err
		})
	})

	t.Run("a taken id is a conflict", func(t *testing.T) {
		other := newTransfer(demo, want.ID)
		other.VehicleID = demo.Restricted.ID
		other.SellerPIN = demo.RestrictedOwner.PIN
		err := db.InTx(context.Background(), func(tx adapter.Tx) error {
			return tx.CreateTransfer(context.Background(), other)
		})
		if !errors.Is(err, adapter.ErrConflict) {
			t.Errorf("got %v, want ErrConflict", err)
		}
	})

	t.Run("update and events", func(t *testing.T) {
		upd := want
		upd.State = adapter.AwaitingPayment
		upd.BuyerBankCode = "10000001"
		upd.ApprovalCode = "A1B2C3"
		upd.CertificateNumber = "KG00000001"
		upd.Deadline = at.Add(24 * time.Hour)
		upd.UpdatedAt = at.Add(time.Hour)
		events := []adapter.Event{
			{TransferID: want.ID, To: adapter.AwaitingBuyer, Client: "KG/GOV/70000001/portal",
				UserID: demo.Owner.PIN.Masked(), MessageID: "m-1", At: at},
			{TransferID: want.ID, From: adapter.AwaitingBuyer, To: adapter.AwaitingPhotos,
				Client: "KG/COM/10000001/app", MessageID: "m-2", Note: "accepted", At: at.Add(time.Minute)},
		}
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			if err := tx.UpdateTransfer(ctx, upd); err != nil {
				return err
			}
			for _, e := range events {
				if err := tx.AddEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			got, err := tx.Transfer(ctx, want.ID, false)
			if err != nil || !sameTransfer(got, upd) {
				t.Errorf("after update: got %+v, %v; want %+v", got, err, upd)
			}
			es, err := tx.Events(ctx, want.ID)
			if err != nil || len(es) != len(events) {
				t.Fatalf("Events: got %+v, %v; want %d", es, err, len(events))
			}
			for i, e := range es {
				e.ID = 0
				if e != events[i] {
					t.Errorf("event %d: got %+v, want %+v", i, e, events[i])
				}
			}
			err = tx.UpdateTransfer(ctx, adapter.Transfer{ID: "nope", State: adapter.Cancelled})
			if !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("update of an unknown transfer: got %v, want ErrNotFound", err)
			}
			return nil
		})
	})

	t.Run("an ended transfer frees the vehicle", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			tr, err := tx.Transfer(ctx, want.ID, true)
			if err != nil {
				return err
			}
			tr.State = adapter.Cancelled
			if err := tx.UpdateTransfer(ctx, tr); err != nil {
				return err
			}
			if _, err := tx.OpenTransfer(ctx, demo.Vehicle.ID); !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("OpenTransfer after cancel: got %v, want ErrNotFound", err)
			}
			return tx.CreateTransfer(ctx, newTransfer(demo, "next"))
		})
		err := db.InTx(context.Background(), func(tx adapter.Tx) error {
			tr, err := tx.Transfer(context.Background(), want.ID, true)
			if err != nil {
				return err
			}
			tr.State = adapter.AwaitingBuyer
			return tx.UpdateTransfer(context.Background(), tr)
		})
		if !errors.Is(err, adapter.ErrConflict) {
			t.Errorf("reopening beside an open transfer: got %v, want ErrConflict", err)
		}
	})

	t.Run("unknowns", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			if _, err := tx.Transfer(ctx, "nope", false); !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("Transfer: got %v, want ErrNotFound", err)
			}
			if es, err := tx.Events(ctx, "nope"); err != nil || len(es) != 0 {
				t.Errorf("Events: got %v, %v; want none", es, err)
			}
			return nil
		})
		err := db.InTx(context.Background(), func(tx adapter.Tx) error {
			tr := newTransfer(demo, "ghost")
			tr.VehicleID = -1
			return tx.CreateTransfer(context.Background(), tr)
		})
		if !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("transfer of an unknown vehicle: got %v, want ErrNotFound", err)
		}
	})
}

func TestConcurrentTransfersMakeOne(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.InTx(context.Background(), func(tx adapter.Tx) error {
				return tx.CreateTransfer(context.Background(), newTransfer(demo, fmt.Sprintf("race-%d", i)))
			})
		})
	}
	wg.Wait()
	var created int
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, adapter.ErrConflict):
			t.Errorf("got %v, want nil or ErrConflict", err)
		}
	}
	if created != 1 {
		t.Errorf("got %d transfers created, want 1", created)
	}
}

// TestOpenStatesAgree holds the open states in three places together: the
// domain's list, the SQL the store queries with, and the predicates of the
// partial indexes.
func TestOpenStatesAgree(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	var quoted []string
	for _, s := range adapter.OpenStates {
		quoted = append(quoted, "'"+string(s)+"'")
	}
	if want := "(" + strings.Join(quoted, ", ") + ")"; registry.OpenStatesSQL != want {
		t.Errorf("openStatesSQL = %s, want %s", registry.OpenStatesSQL, want)
	}

	all := []adapter.State{adapter.AwaitingBuyer, adapter.AwaitingPhotos, adapter.AwaitingInspection,
		adapter.AwaitingPayment, adapter.Completed, adapter.Cancelled, adapter.Rejected}
	for _, index := range []string{"transfers_open_vehicle_key", "transfers_open_deadline_idx"} {
		var pred string
		err := db.SQL().QueryRow(`SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i
			WHERE i.indexrelid = $1::regclass`, index).Scan(&pred)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			if got := strings.Contains(pred, "'"+string(s)+"'"); got != s.Open() {
				t.Errorf("%s predicate %s names %s: %v, want %v", index, pred, s, got, s.Open())
			}
		}
	}

	// Every state of the domain is one the database accepts.
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		for i, s := range all {
			tr := newTransfer(demo, fmt.Sprintf("state-%d", i))
			tr.State = adapter.Completed
			if err := tx.CreateTransfer(ctx, tr); err != nil {
				return err
			}
			tr.State = s
			if !s.Open() {
				if err := tx.UpdateTransfer(ctx, tr); err != nil {
					return fmt.Errorf("state %s: %w", s, err)
				}
			}
		}
		return nil
	})
}

// sameTransfer compares transfers, times by instant.
func sameTransfer(a, b adapter.Transfer) bool {
	if !a.Deadline.Equal(b.Deadline) || !a.CreatedAt.Equal(b.CreatedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) {
		return false
	}
	a.Deadline, a.CreatedAt, a.UpdatedAt = b.Deadline, b.CreatedAt, b.UpdatedAt
	return a == b
}
