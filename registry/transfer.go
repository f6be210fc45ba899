package registry

import (
	"context"
	"database/sql"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// openStatesSQL is adapter.OpenStates as an SQL list. It must match the
// predicate of transfers_open_vehicle_key, so that the planner can use that
// index; a test holds the three together.
const openStatesSQL = `('AWAITING_BUYER', 'AWAITING_PHOTOS', ` +
	`'AWAITING_INSPECTION', 'AWAITING_PAYMENT')`

// transferColumns are read into a transferRow from transfers t joined with
// vehicles v.
const transferColumns = `t.id, t.vehicle_id, COALESCE(v.vin, '') AS vin,
	COALESCE(v.plate, '') AS plate, t.seller_pin, t.buyer_pin, t.price,
	t.seller_bank_code, t.seller_account, t.buyer_bank_code, t.state,
	t.approval_code, t.certificate_number, t.deadline, t.created_at, t.updated_at`

// Lookups of transfers, joined with their vehicle for its VIN and plate.
const (
	fromTransfers       = ` FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id`
	queryTransfer       = `SELECT ` + transferColumns + fromTransfers + ` WHERE t.id = $1`
	queryTransferLocked = queryTransfer + ` FOR UPDATE OF t`
	queryOpenTransfer   = `SELECT ` + transferColumns + fromTransfers +
		` WHERE t.vehicle_id = $1 AND t.state IN ` + openStatesSQL
)

type transferRow struct {
	ID                string       `db:"id"`
	VehicleID         int64        `db:"vehicle_id"`
	VIN               string       `db:"vin"`
	Plate             string       `db:"plate"`
	SellerPIN         string       `db:"seller_pin"`
	BuyerPIN          string       `db:"buyer_pin"`
	Price             int64        `db:"price"`
	SellerBankCode    string       `db:"seller_bank_code"`
	SellerAccount     string       `db:"seller_account"`
	BuyerBankCode     string       `db:"buyer_bank_code"`
	State             string       `db:"state"`
	ApprovalCode      string       `db:"approval_code"`
	CertificateNumber string       `db:"certificate_number"`
	Deadline          sql.NullTime `db:"deadline"`
	CreatedAt         time.Time    `db:"created_at"`
	UpdatedAt         time.Time    `db:"updated_at"`
}

func (r transferRow) transfer() adapter.Transfer {
	return adapter.Transfer{
		ID:                r.ID,
		VehicleID:         r.VehicleID,
		VIN:               r.VIN,
		Plate:             r.Plate,
		SellerPIN:         adapter.PIN(r.SellerPIN),
		BuyerPIN:          adapter.PIN(r.BuyerPIN),
		Price:             adapter.Money(r.Price),
		SellerAccount:     adapter.Account{BankCode: r.SellerBankCode, Number: r.SellerAccount},
		BuyerBankCode:     r.BuyerBankCode,
		State:             adapter.State(r.State),
		ApprovalCode:      r.ApprovalCode,
		CertificateNumber: r.CertificateNumber,
		Deadline:          timeOf(r.Deadline),
		CreatedAt:         r.CreatedAt.UTC(),
		UpdatedAt:         r.UpdatedAt.UTC(),
	}
}

// CreateTransfer stores t. VIN and Plate are the vehicle's and not stored
// again; zero creation and update times become the transaction's time. It
// returns an error wrapping ErrConflict, and leaves the transaction usable,
// when the vehicle already has an open transfer or the id is taken; one
// wrapping ErrNotFound when the vehicle or the seller is unknown.
func (t *tx) CreateTransfer(ctx context.Context, tr adapter.Transfer) error {
	// ON CONFLICT DO NOTHING, rather than catching the unique violation,
	// keeps the transaction alive so the caller can still act in it. It
	// waits for a concurrent insert of the same vehicle to commit or abort.
	n, err := t.exec(ctx, `
		INSERT INTO transfers (id, vehicle_id, seller_pin, buyer_pin, price,
			seller_bank_code, seller_account, buyer_bank_code, state,
			approval_code, certificate_number, deadline, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
			COALESCE($13, now()), COALESCE($14, now()))
		ON CONFLICT DO NOTHING`,
		tr.ID, tr.VehicleID, string(tr.SellerPIN), string(tr.BuyerPIN), int64(tr.Price),
		tr.SellerAccount.BankCode, tr.SellerAccount.Number, tr.BuyerBankCode, string(tr.State),
		tr.ApprovalCode, tr.CertificateNumber, nullTime(tr.Deadline),
		nullTime(tr.CreatedAt), nullTime(tr.UpdatedAt))
	if err != nil {
		return wrap(err, "create transfer %s", tr.ID)
	}
	if n == 0 {
		return wrap(errDuplicate, "create transfer %s for vehicle %d", tr.ID, tr.VehicleID)
	}
	return nil
}

// Transfer finds a transfer by id, locking its row when lock is set.
func (t *tx) Transfer(ctx context.Context, id string, lock bool) (adapter.Transfer, error) {
	q := queryTransfer
	if lock {
		q = queryTransferLocked
	}
	var r transferRow
	if err := t.get(ctx, &r, q, id); err != nil {
		return adapter.Transfer{}, wrap(err, "transfer %s", id)
	}
	return r.transfer(), nil
}

// OpenTransfer finds the vehicle's open transfer, without locking it; lock
// the vehicle first to keep it open.
func (t *tx) OpenTransfer(ctx context.Context, vehicleID int64) (adapter.Transfer, error) {
	var r transferRow
	if err := t.get(ctx, &r, queryOpenTransfer, vehicleID); err != nil {
		return adapter.Transfer{}, wrap(err, "open transfer of vehicle %d", vehicleID)
	}
	return r.transfer(), nil
}

// UpdateTransfer writes the mutable fields of tr; a zero update time
// becomes the transaction's time. It returns an error wrapping ErrNotFound
// for an unknown id and one wrapping ErrConflict when reopening the
// transfer would give the vehicle two open transfers (the transaction is
// then aborted).
func (t *tx) UpdateTransfer(ctx context.Context, tr adapter.Transfer) error {
	n, err := t.exec(ctx, `UPDATE transfers SET state = $2, buyer_bank_code = $3,
			approval_code = $4, certificate_number = $5, deadline = $6,
			updated_at = COALESCE($7, now())
		WHERE id = $1`,
		tr.ID, string(tr.State), tr.BuyerBankCode, tr.ApprovalCode, tr.CertificateNumber,
		nullTime(tr.Deadline), nullTime(tr.UpdatedAt))
	if err != nil {
		return wrap(err, "update transfer %s", tr.ID)
	}
	if n == 0 {
		return wrap(sql.ErrNoRows, "update transfer %s", tr.ID)
	}
	return nil
}

type eventRow struct {
	ID         int64     `db:"id"`
	TransferID string    `db:"transfer_id"`
	From       string    `db:"from_state"`
	To         string    `db:"to_state"`
	Client     string    `db:"client"`
	UserID     string    `db:"user_id"`
	MessageID  string    `db:"message_id"`
	Note       string    `db:"note"`
	At         time.Time `db:"at"`
}

func (r eventRow) event() adapter.Event {
	return adapter.Event{
		ID: r.ID, TransferID: r.TransferID, From: adapter.State(r.From), To: adapter.State(r.To),
		Client: r.Client, UserID: r.UserID, MessageID: r.MessageID, Note: r.Note, At: r.At.UTC(),
	}
}

// AddEvent appends e to its transfer's history; a zero At becomes the
// transaction's time. e.ID is ignored. It returns an error wrapping
// ErrNotFound when the transfer does not exist.
func (t *tx) AddEvent(ctx context.Context, e adapter.Event) error {
	_, err := t.exec(ctx, `INSERT INTO transfer_events
			(transfer_id, from_state, to_state, client, user_id, message_id, note, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))`,
		e.TransferID, string(e.From), string(e.To), e.Client, e.UserID, e.MessageID, e.Note,
		nullTime(e.At))
	return wrap(err, "add event to transfer %s", e.TransferID)
}

// Events returns a transfer's history, oldest first; an unknown transfer
// has an empty one.
func (t *tx) Events(ctx context.Context, transferID string) ([]adapter.Event, error) {
	var rows []eventRow
	err := t.list(ctx, &rows, `SELECT id, transfer_id, from_state, to_state, client, user_id,
			message_id, note, at
		FROM transfer_events WHERE transfer_id = $1 ORDER BY at, id`, transferID)
	if err != nil {
		return nil, wrap(err, "events of transfer %s", transferID)
	}
	es := make([]adapter.Event, len(rows))
	for i, r := range rows {
		es[i] = r.event()
	}
	return es, nil
}

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
// whatever became of them, for the daily limit on initiations. It first
// locks the seller's person row, so that concurrent initiations by one
// seller are counted one after another and cannot all slip under the limit.
func (t *tx) TransfersStartedBy(
	ctx context.Context, seller adapter.PIN, since time.Time,
) (int, error) {
	var locked []string
	err := t.list(ctx, &locked, `SELECT pin FROM persons WHERE pin = $1 FOR UPDATE`,
		string(seller))
	if err != nil {
		return 0, wrap(err, "lock person %s", seller.Masked())
	}
	var n int
	err = t.get(ctx, &n, `SELECT count(*) FROM transfers
		WHERE seller_pin = $1 AND created_at >= $2`, string(seller), since)
	if err != nil {
		return 0, wrap(err, "transfers started by %s", seller.Masked())
	}
	return n, nil
}
