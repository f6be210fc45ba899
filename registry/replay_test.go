package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// TestAfterCommit checks that work deferred inside Once runs only after
// Once's transaction committed, and never when it rolled back.
func TestAfterCommit(t *testing.T) {
	t.Parallel()
	db := registrytest.New(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		journal bool  // run inside Once
		fail    error // what Once's fn returns
		want    bool  // the deferred work ran by the end
	}{
		{"outside Once it runs at once", false, nil, true},
		{"inside Once it runs after the commit", true, nil, true},
		{"a rolled back Once drops it", true, errors.New("refused"), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := false
			work := func(ctx context.Context) {
				err := db.InTx(ctx, func(adapter.Tx) error { return nil })
				if err != nil {
					t.Fatalf("InTx: %v", err)
				}
				db.AfterCommit(ctx, func() { ran = true })
			}
			if !tt.journal {
				work(ctx)
			} else {
				d := adapter.Delivery{Client: "test/client", ID: fmt.Sprintf("after-%d", i),
					Service: "cancelTransfer", Digest: strings.Repeat("ab", 32)}
				_, _, err := db.Once(ctx, d, func(ctx context.Context) ([]byte, error) {
					work(ctx)
					if ran {
						t.Errorf("deferred work ran before Once committed")
					}
					return []byte("<ok/>"), tt.fail
				})
				if !errors.Is(err, tt.fail) {
					t.Fatalf("Once: got %v, want %v", err, tt.fail)
				}
			}
			if ran != tt.want {
				t.Errorf("got ran %v, want %v", ran, tt.want)
			}
		})
	}
}
