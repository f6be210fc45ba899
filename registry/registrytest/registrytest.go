// Package registrytest gives tests a migrated registry database of their
// own on the PostgreSQL server named by DATABASE_URL (by default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), and drops
// it when the test ends.
//
// A test that cannot reach the server fails with one line saying so; it
// never skips, so a missing database cannot pass for a green run.
package registrytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/registry"
)

// DefaultServerURL is used when DATABASE_URL is unset.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// setupTimeout bounds creating and migrating a test database.
const setupTimeout = 30 * time.Second

// ServerURL returns DATABASE_URL, or DefaultServerURL when it is unset.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// URL creates a uniquely named, migrated database and returns its URL. The
// database is dropped, its connections terminated, when tb ends; close
// what you opened on it in an earlier-registered Cleanup or a defer.
func URL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	server := ServerURL()
	name := uniqueName(tb)
	dbURL, err := registry.CreateDatabase(ctx, server, name)
	if err != nil {
		tb.Fatalf("registrytest: PostgreSQL at %s is unreachable or refused to create a database: %s",
			redact(server), oneLine(err))
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := registry.DropDatabase(ctx, server, name); err != nil {
			tb.Errorf("registrytest: %s", oneLine(err))
		}
	})

	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		tb.Fatalf("registrytest: %s", oneLine(err))
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("registrytest: %s", oneLine(err))
	}
	return dbURL
}

// New returns an open registry on a database of its own, made by URL. It is
// closed and dropped when tb ends.
func New(tb testing.TB) *registry.DB {
	tb.Helper()
	dbURL := URL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		tb.Fatalf("registrytest: %s", oneLine(err))
	}
	// Registered after URL's drop, so it runs before it.
	tb.Cleanup(func() { db.Close() })
	return db
}

// uniqueName makes a database name from the test's name and random bits,
// within PostgreSQL's 63-byte limit.
func uniqueName(tb testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("registrytest: random name: %v", err)
	}
	var s strings.Builder
	for _, r := range strings.ToLower(tb.Name()) {
		if s.Len() >= 32 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			s.WriteRune(r)
		} else {
			s.WriteByte('_')
		}
	}
	return fmt.Sprintf("vatest_%s_%s", s.String(), hex.EncodeToString(b[:]))
}

// redact hides a password in a URL before it reaches a test log.
func redact(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		if j := strings.LastIndex(raw, "@"); j > i {
			if k := strings.Index(raw[i+3:j], ":"); k >= 0 {
				return raw[:i+3+k] + ":xxxxx" + raw[j:]
			}
		}
	}
	return raw
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
