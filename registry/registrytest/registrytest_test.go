package registrytest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// fatalTB records the first Fatalf and stops the helper there.
type fatalTB struct {
	testing.TB
	msg string
}

type stopped struct{}

func (f *fatalTB) Helper()        {}
func (f *fatalTB) Name() string   { return "TestUnreachable" }
func (f *fatalTB) Cleanup(func()) {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(stopped{})
}

func TestUnreachableServerFailsInOneLine(t *testing.T) {
	// Port 1 on loopback: nothing listens there, so the connection is refused.
	t.Setenv("DATABASE_URL", "postgres://postgres:secret@127.0.0.1:1/postgres?sslmode=disable")
	tb := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != (stopped{}) {
				panic(r)
			}
		}()
		registrytest.URL(tb)
		t.Error("URL returned without failing")
	}()
	if !strings.Contains(tb.msg, "unreachable") || strings.Contains(tb.msg, "\n") ||
		strings.Contains(tb.msg, "secret") {
		t.Errorf("got %q, want one line saying the server is unreachable, without the password",
			tb.msg)
	}
}

func TestNewGivesAMigratedDatabaseDroppedAfterwards(t *testing.T) {
	var names []string
	t.Run("two databases", func(t *testing.T) {
		for range 2 {
			db := registrytest.New(t)
			if err := db.Ready(context.Background()); err != nil {
				t.Errorf("Ready: %v", err)
			}
			var name string
			if err := db.SQL().QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
	})
	if len(names) != 2 || names[0] == names[1] || !strings.HasPrefix(names[0], "vatest_") {
		t.Fatalf("got databases %q, want two distinct vatest_ ones", names)
	}

	// The subtest has ended, so its databases must be gone.
	server := registrytest.New(t)
	var left int
	err := server.SQL().QueryRow(`SELECT count(*) FROM pg_database WHERE datname = ANY($1)`,
		pq.Array(names)).Scan(&left)
	if err != nil || left != 0 {
		t.Errorf("got %d of %q left, %v; want both dropped", left, names, err)
	}
}
