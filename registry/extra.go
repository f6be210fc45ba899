package registry

import (
	"context"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// Methods the integrity rules of issue 4 need and adapter.Tx does not
// declare yet. They are methods of the same transaction type, so adding
// their signatures to adapter.Tx is all it takes to use them.

// queryOverdueTransfers walks transfers_open_deadline_idx and skips rows
// another transaction holds, so several sweepers share the work.
const queryOverdueTransfers = `SELECT ` + transferColumns + fromTransfers + `
	WHERE t.state IN ` + openStatesSQL + ` AND t.deadline < $1
	ORDER BY t.deadline, t.id
	LIMIT $2
	FOR UPDATE OF t SKIP LOCKED`

// OverdueTransfers locks up to limit open transfers whose deadline passed
// before now, the most overdue first, skipping rows other transactions
// hold. A limit of zero or less returns nothing.
func (t *tx) OverdueTransfers(
	ctx context.Context, now time.Time, limit int,
) ([]adapter.Transfer, error) {
	if limit <= 0 {
		return nil, nil
	}
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

// TransfersStartedBy counts the transfers the seller created since a time,
// whatever became of them, for the daily limit on initiations.
func (t *tx) TransfersStartedBy(
	ctx context.Context, seller adapter.PIN, since time.Time,
) (int, error) {
	var n int
	err := t.get(ctx, &n, `SELECT count(*) FROM transfers
		WHERE seller_pin = $1 AND created_at >= $2`, string(seller), since)
	if err != nil {
		return 0, wrap(err, "transfers started by %s", seller.Masked())
	}
	return n, nil
}

// PhotoUsedElsewhere lists the other transfers that hold a photo with the
// SHA-256 hex digest, a sign of a photo reused to deceive the inspector.
func (t *tx) PhotoUsedElsewhere(
	ctx context.Context, sha256, transferID string,
) ([]string, error) {
	ids := []string{}
	err := t.list(ctx, &ids, `SELECT DISTINCT transfer_id FROM vin_photos
		WHERE sha256 = $1 AND transfer_id <> $2 ORDER BY transfer_id`, sha256, transferID)
	if err != nil {
		return nil, wrap(err, "photo %s in other transfers", sha256)
	}
	return ids, nil
}

// AddRestriction places a restriction on a vehicle, as a court, lender or
// the police would through their own systems, and returns its id. A zero
// Since becomes now. It returns an error wrapping adapter.ErrNotFound
// when the vehicle does not exist.
func (d *DB) AddRestriction(ctx context.Context, r adapter.Restriction) (int64, error) {
	var id int64
	err := d.db.GetContext(ctx, &id, `INSERT INTO restrictions (vehicle_id, kind, authority, since)
		VALUES ($1, $2, $3, COALESCE($4, now())) RETURNING id`,
		r.VehicleID, string(r.Kind), r.Authority, nullTime(r.Since))
	if err != nil {
		return 0, wrap(err, "restrict vehicle %d", r.VehicleID)
	}
	return id, nil
}

// LiftRestriction ends a restriction at a time, now when zero. It returns
// an error wrapping adapter.ErrNotFound when no restriction in force has
// the id.
func (d *DB) LiftRestriction(ctx context.Context, id int64, at time.Time) error {
	res, err := d.db.ExecContext(ctx, `UPDATE restrictions SET lifted_at = COALESCE($2, now())
		WHERE id = $1 AND lifted_at IS NULL`, id, nullTime(at))
	if err != nil {
		return wrap(err, "lift restriction %d", id)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrap(errOr(err), "lift restriction %d", id)
	}
	return nil
}
