package registry_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lib/pq"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

func TestInTx(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	ctx := context.Background()

	// countTransfers counts the demo's transfers named id.
	countTransfers := func(id string) int {
		return count(t, db, `SELECT count(*) FROM transfers WHERE id = $1`, id)
	}
	// Each case creates a transfer and then fails as fail says on the calls
	// it is given.
	tests := []struct {
		name      string
		fail      func(call int) error
		wantCalls int
		wantErr   bool
	}{
		{"success commits once", func(int) error { return nil }, 1, false},
		{"an error rolls back without a retry",
			func(int) error { return errors.New("business refusal") }, 1, true},
		{"a deadlock is retried", func(call int) error {
			if call == 1 {
				return fmt.Errorf("wrapped: %w", &pq.Error{Code: "40P01"})
			}
			return nil
		}, 2, false},
		{"serialization failures are retried a bounded number of times",
			func(int) error { return &pq.Error{Code: "40001"} }, 5, true},
		{"other database errors are not retried",
			func(int) error { return &pq.Error{Code: "23514"} }, 1, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("intx-%d", i)
			calls := 0
			err := db.InTx(ctx, func(tx adapter.Tx) error {
				calls++
				tr := newTransfer(demo, id)
				tr.State = adapter.Cancelled
				if err := tx.CreateTransfer(ctx, tr); err != nil {
					return err
				}
				return tt.fail(calls)
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("got %d calls, want %d", calls, tt.wantCalls)
			}
			want := 1
			if tt.wantErr {
				want = 0
			}
			if got := countTransfers(id); got != want {
				t.Errorf("got %d transfers stored, want %d", got, want)
			}
		})
	}
}

// TestInTxRetriesSerializationFailure provokes a real serialization
// failure: two SERIALIZABLE transactions each read a transfer's history and
// then append to it, which PostgreSQL cannot order. One of them must be
// retried, and both appends must land, even when fn hides the error.
func TestInTxRetriesSerializationFailure(t *testing.T) {
	t.Parallel()
	url := registrytest.URL(t)
	ctx := context.Background()
	db, err := registry.OpenOptions(ctx, url, registry.Options{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	demo, err := registry.SeedDemo(ctx, db, 5)
	if err != nil {
		t.Fatal(err)
	}
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		return tx.CreateTransfer(ctx, newTransfer(demo, "ssi"))
	})

	var calls atomic.Int32
	var read sync.WaitGroup
	read.Add(2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		first := true
		wg.Go(func() {
			errs[i] = db.InTx(ctx, func(tx adapter.Tx) error {
				calls.Add(1)
				es, err := tx.Events(ctx, "ssi")
				if err != nil {
					return err
				}
				// Both first attempts read before either writes.
				if first {
					first = false
					read.Done()
					read.Wait()
				}
				err = tx.AddEvent(ctx, adapter.Event{TransferID: "ssi", To: adapter.AwaitingBuyer,
					Note: fmt.Sprintf("writer %d saw %d", i, len(es))})
				if err != nil {
					// Hide the database error, as a careless caller might:
					// InTx must still see that the attempt deserves another.
					return errors.New("could not append")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got := calls.Load(); got < 3 {
		t.Errorf("got %d calls, want at least 3 (one retry)", got)
	}
	if n := count(t, db, `SELECT count(*) FROM transfer_events WHERE transfer_id = 'ssi'`); n != 2 {
		t.Errorf("got %d events, want 2", n)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	server := registrytest.ServerURL()
	name := fmt.Sprintf("vatest_migrate_%d", rand.Uint32())
	url, err := registry.CreateDatabase(ctx, server, name)
	if err != nil {
		t.Fatalf("PostgreSQL unreachable: %v", err)
	}
	t.Cleanup(func() {
		if err := registry.DropDatabase(context.Background(), server, name); err != nil {
			t.Error(err)
		}
	})
	if _, err := registry.CreateDatabase(ctx, server, name); err == nil {
		t.Error("creating a database twice succeeded")
	}

	db, err := registry.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ready(ctx); !errors.Is(err, registry.ErrSchemaOutdated) {
		t.Errorf("Ready before migrating: got %v, want ErrSchemaOutdated", err)
	}
	if cur, latest, err := registry.SchemaVersion(ctx, db.SQL()); err != nil || cur != 0 || latest < 1 {
		t.Errorf("SchemaVersion before: got %d, %d, %v; want 0 and at least 1", cur, latest, err)
	}

	// Several processes migrating at once: each has its own pool.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			pool, err := sql.Open("postgres", url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = registry.Migrate(ctx, pool)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migration %d: %v", i, err)
		}
	}

	if err := db.Ready(ctx); err != nil {
		t.Errorf("Ready after migrating: %v", err)
	}
	cur, latest, err := registry.SchemaVersion(ctx, db.SQL())
	if err != nil || cur != latest {
		t.Errorf("SchemaVersion after: got %d, %d, %v; want equal", cur, latest, err)
	}
	// Versions need not be contiguous (they are numbered in ranges: 00010,
	// 00020, ...), so count the files rather than trust the highest number.
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %d found", err, len(files))
	}
	applied := count(t, db, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`)
	if applied != len(files) {
		t.Errorf("got %d applied rows, want %d (each migration once)", applied, len(files))
	}
}

func TestDatabaseNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "Upper", "semi;colon", "quote\"d", "with space", "1digit"} {
		t.Run(name, func(t *testing.T) {
			if _, err := registry.DatabaseURL(registrytest.DefaultServerURL, name); err == nil {
				t.Errorf("DatabaseURL accepted %q", name)
			}
			err := registry.DropDatabase(context.Background(), registrytest.DefaultServerURL, name)
			if err == nil {
				t.Errorf("DropDatabase accepted %q", name)
			}
		})
	}
	got, err := registry.DatabaseURL(
		"postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable", "other_db")
	if want := "postgres://u:p@127.0.0.1:5432/other_db?sslmode=disable"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	if _, err := registry.DatabaseURL("host=127.0.0.1 dbname=x", "other_db"); err == nil {
		t.Error("DatabaseURL accepted a key=value DSN it cannot rewrite")
	}
}
