package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// seeded returns a registry of its own holding the demo registry of seed 1.
func seeded(t *testing.T) (*registry.DB, registry.Demo) {
	t.Helper()
	db := registrytest.New(t)
	demo, err := registry.SeedDemo(context.Background(), db, 1)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	return db, demo
}

// inTx runs fn in a transaction and fails the test on an error.
func inTx(t *testing.T, db *registry.DB, fn func(ctx context.Context, tx adapter.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx adapter.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// at is a fixed time with the microsecond precision PostgreSQL keeps.
var at = time.Date(2026, 3, 1, 10, 30, 0, 123456000, time.UTC)

// newTransfer is a transfer of the demo vehicle to the demo buyer.
func newTransfer(d registry.Demo, id string) adapter.Transfer {
	return adapter.Transfer{
		ID:            id,
		VehicleID:     d.Vehicle.ID,
		SellerPIN:     d.Owner.PIN,
		BuyerPIN:      d.Buyer.PIN,
		Price:         350_000_00,
		SellerAccount: adapter.Account{BankCode: "10000001", Number: "1280016012345678"},
		State:         adapter.AwaitingBuyer,
		Deadline:      at.Add(72 * time.Hour),
		CreatedAt:     at,
		UpdatedAt:     at,
	}
}

// count runs a query returning one number.
func count(t *testing.T, db *registry.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
