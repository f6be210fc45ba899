package registry_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	db := registrytest.New(t)
	demo, err := registry.SeedDemo(ctx, db, 42)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	if demo.Vehicles != 36 || demo.Persons != 36 {
		t.Errorf("got %d vehicles and %d persons, want 36 and 36", demo.Vehicles, demo.Persons)
	}

	now := time.Now()
	vehicles := allVehicles(t, db)
	var bodyOnly int
	for _, v := range vehicles {
		if v.VIN == "" {
			bodyOnly++
			if v.BodyNumber == "" {
				t.Errorf("vehicle %d has neither VIN nor body number", v.ID)
			}
		} else if got, err := adapter.ParseVIN(v.VIN); err != nil || string(got) != v.VIN {
			t.Errorf("ParseVIN(%q) = %q, %v; want it unchanged", v.VIN, got, err)
		} else if adapter.VINCheckDigit(v.VIN) != v.VIN[8] {
			t.Errorf("VIN %s: check digit %c, want %c", v.VIN, v.VIN[8], adapter.VINCheckDigit(v.VIN))
		}
		if got, err := adapter.ParsePlate(v.Plate); err != nil || string(got) != v.Plate {
			t.Errorf("ParsePlate(%q) = %q, %v; want it unchanged", v.Plate, got, err)
		}
		if v.Make == "" || v.Model == "" || v.Year < 1970 || v.Color == "" {
			t.Errorf("vehicle %+v lacks make, model, year or colour", v)
		}
	}
	if bodyOnly != 2 {
		t.Errorf("got %d vehicles without VIN, want 2", bodyOnly)
	}

	for _, p := range allPersons(t, db) {
		pin, err := adapter.ParsePIN(string(p.PIN), now)
		if err != nil {
			t.Errorf("ParsePIN(%s): %v", p.PIN, err)
			continue
		}
		if !pin.Adult(now) {
			t.Errorf("person %s is not an adult", p.PIN)
		}
		if p.Name == "" {
			t.Errorf("person %s has no name", p.PIN)
		}
	}

	err = db.InTx(ctx, func(tx adapter.Tx) error {
		reg, err := tx.CurrentRegistration(ctx, demo.Vehicle.ID)
		if err != nil {
			return err
		}
		if reg.Owner != demo.Owner || reg.CertificateNumber != demo.CertificateNumber {
			t.Errorf("demo vehicle registered to %v under %s, want %v under %s",
				reg.Owner, reg.CertificateNumber, demo.Owner, demo.CertificateNumber)
		}
		if rs, err := tx.ActiveRestrictions(ctx, demo.Vehicle.ID); err != nil || len(rs) != 0 {
			t.Errorf("demo vehicle restrictions = %v, %v; want none", rs, err)
		}
		rs, err := tx.ActiveRestrictions(ctx, demo.Restricted.ID)
		if err != nil || len(rs) == 0 || rs[0] != demo.Restriction {
			t.Errorf("restricted vehicle restrictions = %v, %v; want %v", rs, err, demo.Restriction)
		}
		regs, err := tx.RegistrationsOf(ctx, demo.Buyer.PIN)
		if err != nil || len(regs) != 0 {
			t.Errorf("buyer owns %v, %v; want nothing", regs, err)
		}
		if _, err := tx.Person(ctx, demo.Buyer.PIN); err != nil {
			t.Errorf("buyer is not a person of the registry: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if demo.Buyer.PIN == demo.Owner.PIN || demo.Buyer.PIN == "" {
		t.Errorf("buyer %q, owner %q; want two different people", demo.Buyer.PIN, demo.Owner.PIN)
	}
	if demo.BodyOnly.VIN != "" || demo.BodyOnly.BodyNumber == "" {
		t.Errorf("BodyOnly = %+v, want a vehicle with only a body number", demo.BodyOnly)
	}

	t.Run("same seed again adds nothing", func(t *testing.T) {
		again, err := registry.SeedDemo(ctx, db, 42)
		if err != nil {
			t.Fatalf("SeedDemo again: %v", err)
		}
		if again != demo {
			t.Errorf("got %+v, want %+v", again, demo)
		}
	})
	t.Run("other seed refused", func(t *testing.T) {
		_, err := registry.SeedDemo(ctx, db, 7)
		if !errors.Is(err, registry.ErrNotEmpty) {
			t.Errorf("got %v, want ErrNotEmpty", err)
		}
	})
	t.Run("after a sale the demo names the new owner", func(t *testing.T) {
		err := db.InTx(ctx, func(tx adapter.Tx) error {
			_, err := tx.ChangeOwner(ctx, adapter.OwnerChange{
				VehicleID: demo.Vehicle.ID, Buyer: demo.Buyer, At: time.Now()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		again, err := registry.SeedDemo(ctx, db, 42)
		if err != nil {
			t.Fatalf("SeedDemo after sale: %v", err)
		}
		if again.Owner.PIN != demo.Buyer.PIN || again.Buyer.PIN == again.Owner.PIN {
			t.Errorf("got owner %s and buyer %s, want owner %s and another buyer",
				again.Owner.PIN, again.Buyer.PIN, demo.Buyer.PIN)
		}
	})
}

func TestSeedDemoDeterministic(t *testing.T) {
	ctx := context.Background()
	a, b := registrytest.New(t), registrytest.New(t)
	da, err := registry.SeedDemo(ctx, a, 2026)
	if err != nil {
		t.Fatal(err)
	}
	// Two seeders at once on b: they take turns and agree.
	var dbs [2]registry.Demo
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { dbs[i], errs[i] = registry.SeedDemo(ctx, b, 2026) })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("concurrent seeder %d: %v", i, errs[i])
		}
		if da != dbs[i] {
			t.Errorf("two seedings with one seed differ:\n%+v\n%+v", da, dbs[i])
		}
	}
	if n := count(t, b, `SELECT count(*) FROM vehicles`); n != 36 {
		t.Errorf("got %d vehicles after concurrent seeding, want 36", n)
	}
	va, vb := allVehicles(t, a), allVehicles(t, b)
	if len(va) != len(vb) {
		t.Fatalf("got %d and %d vehicles", len(va), len(vb))
	}
	for i := range va {
		if va[i] != vb[i] {
			t.Errorf("vehicle %d: got %+v and %+v", i, va[i], vb[i])
		}
	}
}

// allVehicles reads every vehicle, in id order, through the Tx lookups.
func allVehicles(t *testing.T, db *registry.DB) []adapter.Vehicle {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	rows, err := db.SQL().QueryContext(ctx, `SELECT id FROM vehicles ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var vs []adapter.Vehicle
	err = db.InTx(ctx, func(tx adapter.Tx) error {
		for _, id := range ids {
			v, err := tx.LockVehicle(ctx, id)
			if err != nil {
				return err
			}
			vs = append(vs, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// allPersons reads every person.
func allPersons(t *testing.T, db *registry.DB) []adapter.Person {
	t.Helper()
	rows, err := db.SQL().QueryContext(context.Background(), `SELECT pin, name FROM persons ORDER BY pin`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ps []adapter.Person
	for rows.Next() {
		var p adapter.Person
		if err := rows.Scan(&p.PIN, &p.Name); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}
