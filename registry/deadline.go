package registry

import (
	"context"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// queryOverdueTransfers walks transfers_open_deadline_idx. SKIP LOCKED lets
// several sweepers share the overdue transfers, and a transfer that a
// request is moving right now is left for the next sweep, when its new
// state and deadline are committed.
const queryOverdueTransfers = `SELECT ` + transferColumns + `
	FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id
	WHERE t.state IN ` + openStatesSQL + ` AND t.deadline <= $1
	ORDER BY t.deadline, t.id
	LIMIT $2
	FOR UPDATE OF t SKIP LOCKED`

// OverdueTransfers returns up to limit open transfers whose deadline is at
// or before now, oldest deadline first, locked; rows another transaction
// holds are skipped.
func (t *tx) OverdueTransfers(ctx context.Context, now time.Time, limit int) ([]adapter.Transfer, error) {
	var rows []transferRow
	if err := t.list(ctx, &rows, queryOverdueTransfers, now, limit); err != nil {
		return nil, wrap(err, "overdue transfers")
	}
	ts := make([]adapter.Transfer, len(rows))
	for i, r := range rows {
		ts[i] = r.transfer()
	}
	return ts, nil
}
