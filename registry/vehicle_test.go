package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/tunduk/vehicle-adapter/adapter"
)

func TestVehicleLookups(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	v := demo.Vehicle

	tests := []struct {
		name    string
		q       adapter.VehicleQuery
		want    adapter.Vehicle
		wantErr error
	}{
		{"by VIN", adapter.VehicleQuery{VIN: adapter.VIN(v.VIN)}, v, nil},
		{"by plate", adapter.VehicleQuery{Plate: adapter.Plate(v.Plate)}, v, nil},
		{"by body number", adapter.VehicleQuery{BodyNumber: demo.BodyOnly.BodyNumber}, demo.BodyOnly, nil},
		{"unknown VIN", adapter.VehicleQuery{VIN: "JTNBF3EK0A1234567"}, adapter.Vehicle{}, adapter.ErrNotFound},
		{"unknown plate", adapter.VehicleQuery{Plate: "09 999 ZZZ"}, adapter.Vehicle{}, adapter.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
				got, err := tx.Vehicle(ctx, tt.q)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if got != tt.want {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
				return nil
			})
		})
	}

	t.Run("query naming no identifier or two is refused", func(t *testing.T) {
		for _, q := range []adapter.VehicleQuery{
			{},
			{VIN: adapter.VIN(v.VIN), Plate: adapter.Plate(v.Plate)},
		} {
			inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
				_, err := tx.Vehicle(ctx, q)
				if err == nil || errors.Is(err, adapter.ErrNotFound) {
					t.Errorf("query %+v: got %v, want a usage error", q, err)
				}
				return nil
			})
		}
	})

	t.Run("body number two vehicles share is a conflict", func(t *testing.T) {
		body := demo.BodyOnly.BodyNumber + "-TWIN"
		for i := range 2 {
			_, err := db.SQL().Exec(`INSERT INTO vehicles (body_number, make, model, year)
				VALUES ($1, 'ВАЗ', '2106', $2)`, body, 1980+i)
			if err != nil {
				t.Fatalf("insert twin %d: %v", i, err)
			}
		}
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			_, err := tx.Vehicle(ctx, adapter.VehicleQuery{BodyNumber: body})
			if !errors.Is(err, adapter.ErrConflict) {
				t.Errorf("got %v, want ErrConflict", err)
			}
			return nil
		})
	})

	t.Run("lock vehicle", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			got, err := tx.LockVehicle(ctx, v.ID)
			if err != nil || got != v {
				t.Errorf("got %+v, %v; want %+v", got, err, v)
			}
			if _, err := tx.LockVehicle(ctx, -1); !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("unknown id: got %v, want ErrNotFound", err)
			}
			return nil
		})
	})
}

func TestOwnersAndRestrictions(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		p, err := tx.Person(ctx, demo.Owner.PIN)
		if err != nil || p != demo.Owner {
			t.Errorf("Person: got %+v, %v; want %+v", p, err, demo.Owner)
		}
		if _, err := tx.Person(ctx, "21505199000000"); !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("Person of an unknown PIN: got %v, want ErrNotFound", err)
		}

		regs, err := tx.RegistrationsOf(ctx, demo.Owner.PIN)
		if err != nil {
			return err
		}
		found := false
		for _, r := range regs {
			if r.Owner != demo.Owner || !r.Until.IsZero() {
				t.Errorf("RegistrationsOf: got %+v, want current registrations of %v", r, demo.Owner)
			}
			found = found || r.VehicleID == demo.Vehicle.ID
		}
		if !found {
			t.Errorf("RegistrationsOf(owner) = %+v, want the demo vehicle among them", regs)
		}

		if _, err := tx.CurrentRegistration(ctx, -1); !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("CurrentRegistration of an unknown vehicle: got %v, want ErrNotFound", err)
		}

		rs, err := tx.ActiveRestrictions(ctx, demo.Restricted.ID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("ActiveRestrictions: got %v, %v; want one", rs, err)
		}
		r := rs[0]
		if r.VehicleID != demo.Restricted.ID || r.Authority == "" || r.Since.IsZero() ||
			(r.Kind != adapter.Arrest && r.Kind != adapter.Pledge && r.Kind != adapter.Wanted) {
			t.Errorf("restriction %+v is incomplete", r)
		}
		return nil
	})

	t.Run("a lifted restriction is not active", func(t *testing.T) {
		_, err := db.SQL().Exec(`UPDATE restrictions SET lifted_at = now() WHERE vehicle_id = $1`,
			demo.Restricted.ID)
		if err != nil {
			t.Fatal(err)
		}
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			rs, err := tx.ActiveRestrictions(ctx, demo.Restricted.ID)
			if err != nil || len(rs) != 0 {
				t.Errorf("got %v, %v; want none", rs, err)
			}
			return nil
		})
	})
}

func TestChangeOwner(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	stranger := adapter.Person{PIN: "11203198800042", Name: "Новая Покупательница"}
	var before, after adapter.Registration

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		var err error
		before, err = tx.CurrentRegistration(ctx, demo.Vehicle.ID)
		if err != nil {
			return err
		}
		if err := tx.CreateTransfer(ctx, newTransfer(demo, "t-sale")); err != nil {
			return err
		}
		after, err = tx.ChangeOwner(ctx, adapter.OwnerChange{
			VehicleID: demo.Vehicle.ID, Buyer: stranger, TransferID: "t-sale", At: at,
		})
		return err
	})

	if after.Owner != stranger || after.VehicleID != demo.Vehicle.ID ||
		after.TransferID != "t-sale" || !after.Since.Equal(at) || !after.Until.IsZero() {
		t.Errorf("new registration %+v, want the stranger's since %v by t-sale", after, at)
	}
	if after.CertificateNumber == before.CertificateNumber ||
		len(after.CertificateNumber) != 10 || after.CertificateNumber[:2] != "KG" {
		t.Errorf("new certificate %q, old %q; want a new KG+8 digits", after.CertificateNumber,
			before.CertificateNumber)
	}

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		cur, err := tx.CurrentRegistration(ctx, demo.Vehicle.ID)
		if err != nil || cur != after {
			t.Errorf("current registration %+v, %v; want %+v", cur, err, after)
		}
		if p, err := tx.Person(ctx, stranger.PIN); err != nil || p != stranger {
			t.Errorf("buyer became person %+v, %v; want %+v", p, err, stranger)
		}
		regs, err := tx.RegistrationsOf(ctx, demo.Owner.PIN)
		if err != nil {
			return err
		}
		for _, r := range regs {
			if r.VehicleID == demo.Vehicle.ID {
				t.Errorf("seller still holds %+v", r)
			}
		}
		return nil
	})

	reg, err := db.RegistrationByCertificate(context.Background(), before.CertificateNumber)
	if err != nil || !reg.Until.Equal(at) || reg.Owner != demo.Owner {
		t.Errorf("old registration %+v, %v; want %v's, closed at %v", reg, err, demo.Owner, at)
	}

	t.Run("a known buyer keeps the registry's name", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			r, err := tx.ChangeOwner(ctx, adapter.OwnerChange{
				VehicleID: demo.Vehicle.ID, Buyer: adapter.Person{PIN: demo.Owner.PIN}, At: at.Add(time.Hour),
			})
			if err != nil || r.Owner != demo.Owner {
				t.Errorf("got %+v, %v; want owner %+v", r.Owner, err, demo.Owner)
			}
			return nil
		})
	})

	t.Run("one transfer opens one registration", func(t *testing.T) {
		err := db.InTx(context.Background(), func(tx adapter.Tx) error {
			_, err := tx.ChangeOwner(context.Background(), adapter.OwnerChange{
				VehicleID: demo.Vehicle.ID, Buyer: stranger, TransferID: "t-sale", At: at.Add(2 * time.Hour),
			})
			return err
		})
		if !errors.Is(err, adapter.ErrConflict) {
			t.Errorf("got %v, want ErrConflict", err)
		}
	})

	t.Run("a vehicle without a current registration cannot change owner", func(t *testing.T) {
		err := db.InTx(context.Background(), func(tx adapter.Tx) error {
			_, err := tx.ChangeOwner(context.Background(), adapter.OwnerChange{
				VehicleID: -1, Buyer: stranger, At: at,
			})
			return err
		})
		if !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
}

func TestOneCurrentRegistration(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	_, err := db.SQL().Exec(`INSERT INTO registrations (vehicle_id, owner_pin, certificate_number, since)
		VALUES ($1, $2, next_certificate_number(), now())`, demo.Vehicle.ID, string(demo.Buyer.PIN))
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Constraint != "registrations_current_key" {
		t.Fatalf("second current registration: got %v, want a violation of registrations_current_key", err)
	}

	// Two sales of one vehicle racing: the second waits for the first and
	// then finds no current registration to close.
	errs := make(chan error, 2)
	for _, p := range []string{"21111198000001", "21111198000002"} {
		go func() {
			errs <- db.InTx(context.Background(), func(tx adapter.Tx) error {
				_, err := tx.ChangeOwner(context.Background(), adapter.OwnerChange{
					VehicleID: demo.Vehicle.ID, Buyer: adapter.Person{PIN: adapter.PIN(p)}, At: time.Now(),
				})
				return err
			})
		}()
	}
	var ok int
	for range 2 {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("losing sale: got %v, want ErrNotFound", err)
		}
	}
	var current int
	err = db.SQL().QueryRow(`SELECT count(*) FROM registrations WHERE vehicle_id = $1 AND until IS NULL`,
		demo.Vehicle.ID).Scan(&current)
	if err != nil || current != 1 || ok < 1 {
		t.Errorf("got %d current registrations after %d sales succeeded (%v), want 1 after at least 1",
			current, ok, err)
	}
}
