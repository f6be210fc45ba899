package registry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

func TestIntegrityQueries(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	vs := allVehicles(t, db)

	// Transfers on four vehicles: two overdue, one not yet, one ended.
	deadlines := []time.Duration{-time.Hour, -2 * time.Hour, time.Hour, -3 * time.Hour}
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		for i, d := range deadlines {
			tr := newTransfer(demo, fmt.Sprintf("due-%d", i))
			tr.VehicleID = vs[i+3].ID
			tr.Deadline = at.Add(d)
			tr.CreatedAt = at.Add(-time.Duration(i) * 24 * time.Hour)
			if i == 3 {
				tr.State = adapter.Completed
			}
			if err := tx.CreateTransfer(ctx, tr); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("overdue transfers are shared between sweepers", func(t *testing.T) {
		held := make(chan []adapter.Transfer)
		release := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- db.InTx(context.Background(), func(tx adapter.Tx) error {
				ts, err := tx.OverdueTransfers(context.Background(), at, 1)
				held <- ts
				<-release
				return err
			})
		}()
		first := <-held
		var second []adapter.Transfer
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			var err error
			second, err = tx.OverdueTransfers(ctx, at, 10)
			return err
		})
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if len(first) != 1 || first[0].ID != "due-1" || len(second) != 1 || second[0].ID != "due-0" {
			t.Errorf("got %v then %v, want due-1 (most overdue) then due-0", first, second)
		}
	})

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		n, err := tx.TransfersStartedBy(ctx, demo.Owner.PIN, at.Add(-36*time.Hour))
		if err != nil || n != 2 {
			t.Errorf("TransfersStartedBy: got %d, %v; want 2", n, err)
		}
		return nil
	})
}

func TestRestrictions(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	ctx := context.Background()
	active := func() []adapter.Restriction {
		var rs []adapter.Restriction
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			var err error
			rs, err = tx.ActiveRestrictions(ctx, demo.Vehicle.ID)
			return err
		})
		return rs
	}

	id, err := db.AddRestriction(ctx, adapter.Restriction{
		VehicleID: demo.Vehicle.ID, Kind: adapter.Arrest, Authority: "Osh City Court", Since: at})
	if err != nil {
		t.Fatal(err)
	}
	want := adapter.Restriction{ID: id, VehicleID: demo.Vehicle.ID, Kind: adapter.Arrest,
		Authority: "Osh City Court", Since: at}
	if rs := active(); len(rs) != 1 || rs[0] != want {
		t.Errorf("after AddRestriction: got %+v, want [%+v]", rs, want)
	}
	if err := db.LiftRestriction(ctx, id, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if rs := active(); len(rs) != 0 {
		t.Errorf("after LiftRestriction: got %+v, want none", rs)
	}
	if err := db.LiftRestriction(ctx, id, time.Time{}); !errors.Is(err, adapter.ErrNotFound) {
		t.Errorf("lifting twice: got %v, want ErrNotFound", err)
	}
	_, err = db.AddRestriction(ctx,
		adapter.Restriction{VehicleID: -1, Kind: adapter.Wanted, Authority: "MVD"})
	if !errors.Is(err, adapter.ErrNotFound) {
		t.Errorf("restricting an unknown vehicle: got %v, want ErrNotFound", err)
	}
	_, err = db.AddRestriction(ctx,
		adapter.Restriction{VehicleID: demo.Vehicle.ID, Kind: "SEIZED", Authority: "x"})
	if err == nil {
		t.Error("an unknown restriction kind was stored")
	}
}
