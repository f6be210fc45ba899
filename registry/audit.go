package registry

import (
	"context"
	"database/sql"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// OwnershipChange is one period of ownership in a vehicle's history, with
// the transfer that opened it and that transfer's X-Road trail.
type OwnershipChange struct {
	Registration adapter.Registration
	// Seller is the previous owner who sold through the transfer; empty for
	// a registration made outside the service, such as the first one.
	Seller adapter.PIN
	// Events are the transfer's history, oldest first, each naming the
	// X-Road message and client behind a step; empty without a transfer.
	Events []adapter.Event
}

// MessageIDs lists the X-Road message ids behind c, oldest first.
func (c OwnershipChange) MessageIDs() []string {
	var ids []string
	for _, e := range c.Events {
		if e.MessageID != "" {
			ids = append(ids, e.MessageID)
		}
	}
	return ids
}

// queryOwnershipHistory reads in one statement, so from one snapshot, every
// registration of a vehicle with the transfer that opened it and its events.
const queryOwnershipHistory = `SELECT ` + registrationColumns + `,
		COALESCE(t.seller_pin, '') AS seller_pin,
		e.id AS event_id, e.from_state, e.to_state, e.client, e.user_id, e.message_id, e.note,
		e.at AS event_at
	FROM registrations r
	JOIN persons p ON p.pin = r.owner_pin
	LEFT JOIN transfers t ON t.id = r.transfer_id
	LEFT JOIN transfer_events e ON e.transfer_id = t.id
	WHERE r.vehicle_id = $1
	ORDER BY r.since, r.id, e.at, e.id`

type historyRow struct {
	registrationRow
	SellerPIN string         `db:"seller_pin"`
	EventID   sql.NullInt64  `db:"event_id"`
	From      sql.NullString `db:"from_state"`
	To        sql.NullString `db:"to_state"`
	Client    sql.NullString `db:"client"`
	UserID    sql.NullString `db:"user_id"`
	MessageID sql.NullString `db:"message_id"`
	Note      sql.NullString `db:"note"`
	At        sql.NullTime   `db:"event_at"`
}

// OwnershipHistory lists every registration of the vehicle with the VIN,
// the earliest first, each with the X-Road messages of the transfer that
// opened it: the audit trail of who sold it to whom, when, and through
// which requests. It returns an error wrapping adapter.ErrNotFound when no
// vehicle has the VIN.
func (d *DB) OwnershipHistory(ctx context.Context, vin adapter.VIN) ([]OwnershipChange, error) {
	var id int64
	err := d.db.GetContext(ctx, &id, `SELECT id FROM vehicles WHERE vin = $1`, string(vin))
	if err != nil {
		return nil, wrap(err, "ownership history of %s", vin)
	}
	return d.OwnershipHistoryOf(ctx, id)
}

// OwnershipHistoryOf is OwnershipHistory for a vehicle id, which also
// serves vehicles without a VIN. A vehicle never registered, or unknown,
// has an empty history.
func (d *DB) OwnershipHistoryOf(ctx context.Context, vehicleID int64) ([]OwnershipChange, error) {
	var rows []historyRow
	if err := d.db.SelectContext(ctx, &rows, queryOwnershipHistory, vehicleID); err != nil {
		return nil, wrap(err, "ownership history of vehicle %d", vehicleID)
	}
	var changes []OwnershipChange
	for _, r := range rows {
		n := len(changes)
		if n == 0 || changes[n-1].Registration.ID != r.ID {
			changes = append(changes, OwnershipChange{
				Registration: r.registration(),
				Seller:       adapter.PIN(r.SellerPIN),
			})
			n++
		}
		if r.EventID.Valid {
			changes[n-1].Events = append(changes[n-1].Events, r.event())
		}
	}
	return changes, nil
}

func (r historyRow) event() adapter.Event {
	return adapter.Event{
		ID: r.EventID.Int64, TransferID: r.TransferID,
		From: adapter.State(r.From.String), To: adapter.State(r.To.String),
		Client: r.Client.String, UserID: r.UserID.String, MessageID: r.MessageID.String,
		Note: r.Note.String, At: timeOf(r.At),
	}
}

// RegistrationByCertificate finds the registration, current or past, that
// carries a certificate number. It returns an error wrapping
// adapter.ErrNotFound when none does.
func (d *DB) RegistrationByCertificate(
	ctx context.Context, number string,
) (adapter.Registration, error) {
	var r registrationRow
	if err := d.db.GetContext(ctx, &r, queryRegistrationByCertificate, number); err != nil {
		return adapter.Registration{}, wrap(err, "registration with certificate %s", number)
	}
	return r.registration(), nil
}
