package registry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

func TestOwnershipHistory(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	ctx := context.Background()

	// Two sales: owner -> buyer -> owner, each through a transfer with
	// X-Road messages behind its steps.
	sales := []struct {
		id            string
		seller, buyer adapter.Person
	}{
		{"sale-1", demo.Owner, demo.Buyer},
		{"sale-2", demo.Buyer, demo.Owner},
	}
	for i, s := range sales {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			tr := newTransfer(demo, s.id)
			tr.SellerPIN, tr.BuyerPIN = s.seller.PIN, s.buyer.PIN
			tr.State = adapter.Completed
			if err := tx.CreateTransfer(ctx, tr); err != nil {
				return err
			}
			when := at.Add(time.Duration(i) * 24 * time.Hour)
			steps := []adapter.State{adapter.AwaitingBuyer, adapter.AwaitingPhotos, adapter.Completed}
			var from adapter.State
			for j, to := range steps {
				err := tx.AddEvent(ctx, adapter.Event{TransferID: s.id, From: from, To: to,
					MessageID: fmt.Sprintf("%s-m%d", s.id, j), At: when.Add(time.Duration(j) * time.Minute)})
				if err != nil {
					return err
				}
				from = to
			}
			_, err := tx.ChangeOwner(ctx, adapter.OwnerChange{
				VehicleID: demo.Vehicle.ID, Buyer: s.buyer, TransferID: s.id, At: when.Add(time.Hour)})
			return err
		})
	}

	h, err := db.OwnershipHistory(ctx, adapter.VIN(demo.Vehicle.VIN))
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("got %d registrations, want 3: %+v", len(h), h)
	}
	if h[0].Registration.Owner != demo.Owner || h[0].Seller != "" || len(h[0].Events) != 0 ||
		h[0].Registration.CertificateNumber != demo.CertificateNumber || h[0].Registration.Until.IsZero() {
		t.Errorf("first registration %+v, want the seeded one, closed, without transfer", h[0])
	}
	for i, s := range sales {
		c := h[i+1]
		want := fmt.Sprint([]string{s.id + "-m0", s.id + "-m1", s.id + "-m2"})
		if c.Registration.Owner.PIN != s.buyer.PIN || c.Seller != s.seller.PIN ||
			c.Registration.TransferID != s.id || fmt.Sprint(c.MessageIDs()) != want {
			t.Errorf("change %d: got owner %s, seller %s, transfer %s, messages %v; want %s, %s, %s, %s",
				i+1, c.Registration.Owner.PIN, c.Seller, c.Registration.TransferID, c.MessageIDs(),
				s.buyer.PIN, s.seller.PIN, s.id, want)
		}
	}
	if !h[2].Registration.Until.IsZero() || h[1].Registration.Until.IsZero() {
		t.Errorf("only the last registration should be current: %+v", h)
	}

	if _, err := db.OwnershipHistory(ctx, "JTNBF3EK0A1234567"); !errors.Is(err, adapter.ErrNotFound) {
		t.Errorf("unknown VIN: got %v, want ErrNotFound", err)
	}
	if h, err := db.OwnershipHistoryOf(ctx, demo.BodyOnly.ID); err != nil || len(h) != 1 {
		t.Errorf("vehicle without VIN: got %+v, %v; want its one registration", h, err)
	}
}
