package registry

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Stats is what an operator watches in the registry: how many transfers are
// in each state and how far the payment order outbox lags.
type Stats struct {
	// TransfersByState counts transfers per state, every state
	// present.
	TransfersByState map[string]int64

	// OutboxPending counts payment orders that owe their bank a call
	// (create, cancel or refund) and are not flagged for an operator.
	OutboxPending int64

	// OutboxOldest is the last news from the bank of the longest-waiting
	// of those orders (its creation, for one never sent); zero when none
	// is pending.
	OutboxOldest time.Time

	// OutboxFlagged counts orders flagged for an operator (see
	// tunduk-adapter flagged-orders).
	OutboxFlagged int64
}

// Stats reads the registry's operating figures. Both queries are served by
// indexes (transfers_state_idx, payment_orders_due_idx and _flagged_idx),
// so a metrics
// scrape stays cheap at national scale.
func (d *DB) Stats(ctx context.Context) (Stats, error) {
	// Every state is present, zero or not, so dashboards see a series
	// for each from the start.
	s := Stats{TransfersByState: map[string]int64{}}
	for _, st := range []string{"AWAITING_BUYER", "AWAITING_PHOTOS", "AWAITING_INSPECTION",
		"AWAITING_PAYMENT", "COMPLETED", "CANCELLED", "REJECTED", "EXPIRED", "BLOCKED"} {
		s.TransfersByState[st] = 0
	}
	rows, err := d.db.QueryContext(ctx, `SELECT state, count(*) FROM transfers GROUP BY state`)
	if err != nil {
		return s, fmt.Errorf("registry: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return s, fmt.Errorf("registry: stats: %w", err)
		}
		s.TransfersByState[state] = n
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("registry: stats: %w", err)
	}

	var oldest sql.NullTime
	err = d.db.QueryRowContext(ctx, `SELECT count(*), min(checked_at) FROM payment_orders
		WHERE pending_call <> '' AND attention = ''`).Scan(&s.OutboxPending, &oldest)
	if err != nil {
		return s, fmt.Errorf("registry: stats: outbox: %w", err)
	}
	err = d.db.QueryRowContext(ctx, `SELECT count(*) FROM payment_orders
		WHERE attention <> ''`).Scan(&s.OutboxFlagged)
	if err != nil {
		return s, fmt.Errorf("registry: stats: flagged orders: %w", err)
	}
	s.OutboxOldest = oldest.Time
	return s, nil
}

// StuckTransfer is an open transfer whose current step passed its deadline.
type StuckTransfer struct {
	ID        string    `db:"id"`
	State     string    `db:"state"`
	VIN       string    `db:"vin"`
	Deadline  time.Time `db:"deadline"`
	UpdatedAt time.Time `db:"updated_at"`

	// OrderStatus and OrderError describe the transfer's latest payment
	// order, empty when it has none.
	OrderStatus string `db:"order_status"`
	OrderError  string `db:"order_error"`
}

// StuckTransfers lists up to limit open transfers whose deadline is before
// now, the most overdue first, for an operator to look into.
func (d *DB) StuckTransfers(ctx context.Context, now time.Time, limit int) ([]StuckTransfer, error) {
	var out []StuckTransfer
	err := d.db.SelectContext(ctx, &out, `
		SELECT t.id, t.state, coalesce(v.vin, v.body_number, '') AS vin, t.deadline,
			t.updated_at, coalesce(o.status, '') AS order_status,
			coalesce(o.last_error, '') AS order_error
		FROM transfers t
		JOIN vehicles v ON v.id = t.vehicle_id
		LEFT JOIN LATERAL (
			SELECT status, last_error FROM payment_orders p
			WHERE p.transfer_id = t.id ORDER BY created_at DESC LIMIT 1) o ON true
		WHERE t.state IN ('AWAITING_BUYER', 'AWAITING_PHOTOS', 'AWAITING_INSPECTION',
			'AWAITING_PAYMENT')
		  AND t.deadline < $1
		ORDER BY t.deadline
		LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("registry: stuck transfers: %w", err)
	}
	return out, nil
}
