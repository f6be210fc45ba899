package registry

import (
	"context"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// TransfersStartedBy locks the seller's person row, so that concurrent
// initiations by one seller are counted one after another, and counts the
// transfers the seller started at or after since, through
// transfers_seller_idx. A seller unknown to the registry has started none.
func (t *tx) TransfersStartedBy(ctx context.Context, seller adapter.PIN, since time.Time) (int, error) {
	var locked []string
	err := t.list(ctx, &locked, `SELECT pin FROM persons WHERE pin = $1 FOR UPDATE`, string(seller))
	if err != nil {
		return 0, wrap(err, "lock person %s", seller.Masked())
	}
	var n int
	err = t.get(ctx, &n, `SELECT count(*) FROM transfers WHERE seller_pin = $1 AND created_at >= $2`,
		string(seller), since)
	return n, wrap(err, "transfers started by %s", seller.Masked())
}
