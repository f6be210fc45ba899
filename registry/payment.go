package registry

import (
	"context"
	"database/sql"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

const orderColumns = `id, transfer_id, bank_code, payer_pin, payee_bank_code, payee_account,
	price, state_fee, service_fee, amount, status, bank_order_id, bank_reference, paid_at,
	expires_at, pending_call, attempts, next_attempt_at, last_error, attention, flagged_at,
	checked_at, refund_id, refunded_at, created_at`

// Lookups of payment orders, by id, by transfer and by due time.
const (
	queryOrder       = `SELECT ` + orderColumns + ` FROM payment_orders WHERE id = $1`
	queryOrderLocked = queryOrder + ` FOR UPDATE`
	queryOrderOf     = `SELECT ` + orderColumns + ` FROM payment_orders
		WHERE transfer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`
	// queryClaimOrders walks payment_orders_due_idx and skips rows another
	// transaction holds, so several processes share the owed calls.
	queryClaimOrders = `SELECT ` + orderColumns + ` FROM payment_orders
		WHERE pending_call <> '' AND attention = '' AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id
		LIMIT $2
		FOR UPDATE SKIP LOCKED`
	// queryClaimStale walks payment_orders_stale_idx the same way.
	queryClaimStale = `SELECT ` + orderColumns + ` FROM payment_orders
		WHERE status = 'SENT' AND pending_call = '' AND attention = '' AND checked_at <= $1
		ORDER BY checked_at, id
		LIMIT $2
		FOR UPDATE SKIP LOCKED`
	queryFlagged = `SELECT ` + orderColumns + ` FROM payment_orders
		WHERE attention <> '' ORDER BY flagged_at, id LIMIT $1`
)

type orderRow struct {
	ID            string       `db:"id"`
	TransferID    string       `db:"transfer_id"`
	BankCode      string       `db:"bank_code"`
	PayerPIN      string       `db:"payer_pin"`
	PayeeBankCode string       `db:"payee_bank_code"`
	PayeeAccount  string       `db:"payee_account"`
	Price         int64        `db:"price"`
	StateFee      int64        `db:"state_fee"`
	ServiceFee    int64        `db:"service_fee"`
	Amount        int64        `db:"amount"`
	Status        string       `db:"status"`
	BankOrderID   string       `db:"bank_order_id"`
	BankReference string       `db:"bank_reference"`
	PaidAt        sql.NullTime `db:"paid_at"`
	ExpiresAt     sql.NullTime `db:"expires_at"`
	Call          string       `db:"pending_call"`
	Attempts      int          `db:"attempts"`
	NextAttemptAt time.Time    `db:"next_attempt_at"`
	LastError     string       `db:"last_error"`
	Attention     string       `db:"attention"`
	FlaggedAt     sql.NullTime `db:"flagged_at"`
	CheckedAt     time.Time    `db:"checked_at"`
	RefundID      string       `db:"refund_id"`
	RefundedAt    sql.NullTime `db:"refunded_at"`
	CreatedAt     time.Time    `db:"created_at"`
}

func (r orderRow) order() adapter.PaymentOrder {
	return adapter.PaymentOrder{
		ID:            r.ID,
		TransferID:    r.TransferID,
		BankCode:      r.BankCode,
		PayerPIN:      adapter.PIN(r.PayerPIN),
		Payee:         adapter.Account{BankCode: r.PayeeBankCode, Number: r.PayeeAccount},
		Price:         adapter.Money(r.Price),
		StateFee:      adapter.Money(r.StateFee),
		ServiceFee:    adapter.Money(r.ServiceFee),
		Amount:        adapter.Money(r.Amount),
		Status:        adapter.OrderStatus(r.Status),
		BankOrderID:   r.BankOrderID,
		BankReference: r.BankReference,
		PaidAt:        timeOf(r.PaidAt),
		ExpiresAt:     timeOf(r.ExpiresAt),
		Call:          adapter.Call(r.Call),
		Attempts:      r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(),
		LastError:     r.LastError,
		Attention:     r.Attention,
		FlaggedAt:     timeOf(r.FlaggedAt),
		CheckedAt:     r.CheckedAt.UTC(),
		RefundID:      r.RefundID,
		RefundedAt:    timeOf(r.RefundedAt),
		CreatedAt:     r.CreatedAt.UTC(),
	}
}

// CreatePaymentOrder stores o. The database checks that Amount is the sum
// of price and fees. Zero creation, next-attempt and last-news times become
// the transaction's time, so a new order's owed call is due at once. It returns an error
// wrapping ErrConflict, and leaves the transaction usable, when the id is
// taken or the transfer already has an order that is not cancelled; one
// wrapping ErrNotFound when the transfer does not exist.
func (t *tx) CreatePaymentOrder(ctx context.Context, o adapter.PaymentOrder) error {
	n, err := t.exec(ctx, `INSERT INTO payment_orders (id, transfer_id, bank_code, payer_pin,
			payee_bank_code, payee_account, price, state_fee, service_fee, amount, status,
			bank_order_id, bank_reference, paid_at, expires_at, attempts, next_attempt_at,
			last_error, created_at, pending_call, checked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
			COALESCE($17, now()), $18, COALESCE($19, now()), $20, COALESCE($21, now()))
		ON CONFLICT DO NOTHING`,
		o.ID, o.TransferID, o.BankCode, string(o.PayerPIN), o.Payee.BankCode, o.Payee.Number,
		int64(o.Price), int64(o.StateFee), int64(o.ServiceFee), int64(o.Amount),
		string(o.Status), o.BankOrderID, o.BankReference, nullTime(o.PaidAt),
		nullTime(o.ExpiresAt), o.Attempts, nullTime(o.NextAttemptAt), o.LastError,
		nullTime(o.CreatedAt), string(o.Call), nullTime(o.CheckedAt))
	if err != nil {
		return wrap(err, "create payment order %s", o.ID)
	}
	if n == 0 {
		return wrap(errDuplicate, "create payment order %s for transfer %s", o.ID, o.TransferID)
	}
	return nil
}

// PaymentOrder finds an order by our id, locking its row when lock is set.
func (t *tx) PaymentOrder(ctx context.Context, id string, lock bool) (adapter.PaymentOrder, error) {
	q := queryOrder
	if lock {
		q = queryOrderLocked
	}
	var r orderRow
	if err := t.get(ctx, &r, q, id); err != nil {
		return adapter.PaymentOrder{}, wrap(err, "payment order %s", id)
	}
	return r.order(), nil
}

// PaymentOrderOf finds the transfer's most recent order, without locking.
func (t *tx) PaymentOrderOf(ctx context.Context, transferID string) (adapter.PaymentOrder, error) {
	var r orderRow
	if err := t.get(ctx, &r, queryOrderOf, transferID); err != nil {
		return adapter.PaymentOrder{}, wrap(err, "payment order of transfer %s", transferID)
	}
	return r.order(), nil
}

// UpdatePaymentOrder writes the mutable fields of o. A zero next-attempt
// time keeps the stored one; a zero last-news time is stored as the epoch,
// which makes the order stale at once. It returns an error wrapping ErrNotFound for
// an unknown id and one wrapping ErrConflict when the bank order id is
// already another order's (the transaction is then aborted).
func (t *tx) UpdatePaymentOrder(ctx context.Context, o adapter.PaymentOrder) error {
	checked := o.CheckedAt
	if checked.IsZero() {
		checked = time.Unix(0, 0)
	}
	n, err := t.exec(ctx, `UPDATE payment_orders SET status = $2, bank_order_id = $3,
			bank_reference = $4, paid_at = $5, attempts = $6,
			next_attempt_at = COALESCE($7, next_attempt_at), last_error = $8,
			pending_call = $9, attention = $10, flagged_at = $11, checked_at = $12,
			refund_id = $13, refunded_at = $14
		WHERE id = $1`,
		o.ID, string(o.Status), o.BankOrderID, o.BankReference, nullTime(o.PaidAt), o.Attempts,
		nullTime(o.NextAttemptAt), o.LastError, string(o.Call), o.Attention,
		nullTime(o.FlaggedAt), checked, o.RefundID, nullTime(o.RefundedAt))
	if err != nil {
		return wrap(err, "update payment order %s", o.ID)
	}
	if n == 0 {
		return wrap(sql.ErrNoRows, "update payment order %s", o.ID)
	}
	return nil
}

// ClaimOrders locks up to limit orders that owe their bank a call due at
// now and are not flagged, the longest due first, skipping rows other
// transactions hold. A limit of zero or less claims nothing.
func (t *tx) ClaimOrders(ctx context.Context, now time.Time, limit int) ([]adapter.PaymentOrder, error) {
	return t.orders(ctx, "claim payment orders", limit, queryClaimOrders, now, limit)
}

// ClaimStaleOrders locks up to limit orders the bank holds unpaid, owing no
// call and not flagged, whose last news is at or before before, the oldest
// news first, skipping rows other transactions hold.
func (t *tx) ClaimStaleOrders(ctx context.Context, before time.Time, limit int) ([]adapter.PaymentOrder, error) {
	return t.orders(ctx, "claim stale payment orders", limit, queryClaimStale, before, limit)
}

// FlaggedOrders lists up to limit orders that need an operator, the
// longest flagged first, without locking them.
func (t *tx) FlaggedOrders(ctx context.Context, limit int) ([]adapter.PaymentOrder, error) {
	return t.orders(ctx, "flagged payment orders", limit, queryFlagged, limit)
}

// orders runs a query for a list of orders; a limit of zero or less lists
// nothing.
func (t *tx) orders(ctx context.Context, what string, limit int, query string, args ...any) ([]adapter.PaymentOrder, error) {
	if limit <= 0 {
		return nil, nil
	}
	var rows []orderRow
	if err := t.list(ctx, &rows, query, args...); err != nil {
		return nil, wrap(err, "%s", what)
	}
	orders := make([]adapter.PaymentOrder, len(rows))
	for i, r := range rows {
		orders[i] = r.order()
	}
	return orders, nil
}
