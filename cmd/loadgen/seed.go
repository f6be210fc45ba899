package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tunduk/vehicle-adapter/registry"
)

// cmdSeed makes a fresh database on the server and fills it with a
// national-scale registry through registry.SeedBulk, timing each phase.
func cmdSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dbName := fs.String("db-name", "tunduk_bench", "database made afresh on the server")
	n := fs.Int("n", 1_500_000, "vehicles to seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	server := serverURL()
	if err := registry.DropDatabase(ctx, server, *dbName); err != nil {
		return err
	}
	dbURL, err := registry.CreateDatabase(ctx, server, *dbName)
	if err != nil {
		return err
	}
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := registry.SeedBulk(ctx, db, *n, 1); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("seeded %d vehicles, owners and registrations in %s (%.0f vehicles/s) into %s\n",
		*n, took.Round(time.Millisecond), float64(*n)/took.Seconds(), *dbName)
	return nil
}

// defaultServerURL is the local PostgreSQL used when DATABASE_URL is unset.
const defaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// serverURL is DATABASE_URL or the local default.
func serverURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return defaultServerURL
}
