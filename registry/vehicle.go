package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// vehicleColumns are read into a vehicleRow; NULL identifiers read as "".
const vehicleColumns = `v.id, COALESCE(v.vin, '') AS vin,
	COALESCE(v.body_number, '') AS body_number, COALESCE(v.plate, '') AS plate,
	v.make, v.model, v.year, v.color`

// Lookups of one vehicle, each backed by a unique or plain index.
const (
	queryVehicleByVIN   = `SELECT ` + vehicleColumns + ` FROM vehicles v WHERE v.vin = $1`
	queryVehicleByPlate = `SELECT ` + vehicleColumns + ` FROM vehicles v WHERE v.plate = $1`
	// Body numbers are not unique across manufacturers; two rows mean the
	// number alone cannot say which vehicle is meant.
	queryVehicleByBody = `SELECT ` + vehicleColumns + ` FROM vehicles v
		WHERE v.body_number = $1 ORDER BY v.id LIMIT 2`
	queryLockVehicle = `SELECT ` + vehicleColumns + ` FROM vehicles v WHERE v.id = $1 FOR UPDATE`
)

type vehicleRow struct {
	ID         int64  `db:"id"`
	VIN        string `db:"vin"`
	BodyNumber string `db:"body_number"`
	Plate      string `db:"plate"`
	Make       string `db:"make"`
	Model      string `db:"model"`
	Year       int    `db:"year"`
	Color      string `db:"color"`
}

func (r vehicleRow) vehicle() adapter.Vehicle {
	return adapter.Vehicle{
		ID: r.ID, VIN: r.VIN, BodyNumber: r.BodyNumber, Plate: r.Plate,
		Make: r.Make, Model: r.Model, Year: r.Year, Color: r.Color,
	}
}

// errVehicleQuery means a VehicleQuery named no identifier or several.
var errVehicleQuery = errors.New(
	"registry: vehicle query needs exactly one of VIN, plate, body number")

// Vehicle finds one vehicle by the identifier set in q. A body number is
// not unique across makes; the oldest record wins.
func (t *tx) Vehicle(ctx context.Context, q adapter.VehicleQuery) (adapter.Vehicle, error) {
	var query, key string
	set := 0
	if q.VIN != "" {
		query, key, set = queryVehicleByVIN, string(q.VIN), set+1
	}
	if q.Plate != "" {
		query, key, set = queryVehicleByPlate, string(q.Plate), set+1
	}
	if q.BodyNumber != "" {
		query, key, set = queryVehicleByBody, q.BodyNumber, set+1
	}
	if set != 1 {
		return adapter.Vehicle{}, errVehicleQuery
	}

	var rows []vehicleRow
	if err := t.list(ctx, &rows, query, key); err != nil {
		return adapter.Vehicle{}, wrap(err, "vehicle %q", key)
	}
	switch len(rows) {
	case 0:
		return adapter.Vehicle{}, fmt.Errorf("registry: vehicle %q: %w", key, adapter.ErrNotFound)
	case 1:
		return rows[0].vehicle(), nil
	}
	return adapter.Vehicle{}, fmt.Errorf("registry: %d vehicles carry %q: %w",
		len(rows), key, adapter.ErrConflict)
}

// LockVehicle locks the vehicle's row until the transaction ends.
func (t *tx) LockVehicle(ctx context.Context, id int64) (adapter.Vehicle, error) {
	var r vehicleRow
	if err := t.get(ctx, &r, queryLockVehicle, id); err != nil {
		return adapter.Vehicle{}, wrap(err, "lock vehicle %d", id)
	}
	return r.vehicle(), nil
}

// registrationColumns are read into a registrationRow, joined with the
// owner's person row as p.
const registrationColumns = `r.id, r.vehicle_id, r.owner_pin, p.name AS owner_name,
	r.certificate_number, r.since, r.until, COALESCE(r.transfer_id, '') AS transfer_id`

// Lookups of registrations. Current ones use the partial indexes on
// vehicle_id and owner_pin where until IS NULL.
const (
	queryCurrentRegistration = `SELECT ` + registrationColumns + `
		FROM registrations r JOIN persons p ON p.pin = r.owner_pin
		WHERE r.vehicle_id = $1 AND r.until IS NULL`
	queryRegistrationsOf = `SELECT ` + registrationColumns + `
		FROM registrations r JOIN persons p ON p.pin = r.owner_pin
		WHERE r.owner_pin = $1 AND r.until IS NULL
		ORDER BY r.since, r.id`
	queryRegistrationByCertificate = `SELECT ` + registrationColumns + `
		FROM registrations r JOIN persons p ON p.pin = r.owner_pin
		WHERE r.certificate_number = $1`
)

type registrationRow struct {
	ID                int64        `db:"id"`
	VehicleID         int64        `db:"vehicle_id"`
	OwnerPIN          string       `db:"owner_pin"`
	OwnerName         string       `db:"owner_name"`
	CertificateNumber string       `db:"certificate_number"`
	Since             time.Time    `db:"since"`
	Until             sql.NullTime `db:"until"`
	TransferID        string       `db:"transfer_id"`
}

func (r registrationRow) registration() adapter.Registration {
	return adapter.Registration{
		ID:                r.ID,
		VehicleID:         r.VehicleID,
		Owner:             adapter.Person{PIN: adapter.PIN(r.OwnerPIN), Name: r.OwnerName},
		CertificateNumber: r.CertificateNumber,
		Since:             r.Since.UTC(),
		Until:             timeOf(r.Until),
		TransferID:        r.TransferID,
	}
}

// CurrentRegistration returns the vehicle's one current registration.
func (t *tx) CurrentRegistration(
	ctx context.Context, vehicleID int64,
) (adapter.Registration, error) {
	var r registrationRow
	if err := t.get(ctx, &r, queryCurrentRegistration, vehicleID); err != nil {
		return adapter.Registration{}, wrap(err, "current registration of vehicle %d", vehicleID)
	}
	return r.registration(), nil
}

// RegistrationsOf lists the owner's current registrations, oldest first;
// an owner of nothing gets an empty list, not an error.
func (t *tx) RegistrationsOf(ctx context.Context, pin adapter.PIN) ([]adapter.Registration, error) {
	var rows []registrationRow
	if err := t.list(ctx, &rows, queryRegistrationsOf, string(pin)); err != nil {
		return nil, wrap(err, "registrations of %s", pin.Masked())
	}
	regs := make([]adapter.Registration, len(rows))
	for i, r := range rows {
		regs[i] = r.registration()
	}
	return regs, nil
}

type restrictionRow struct {
	ID        int64     `db:"id"`
	VehicleID int64     `db:"vehicle_id"`
	Kind      string    `db:"kind"`
	Authority string    `db:"authority"`
	Since     time.Time `db:"since"`
}

// queryActiveRestrictions uses the partial index of unlifted restrictions.
// A restriction dated in the future already counts: refusing early is the
// safe side.
const queryActiveRestrictions = `SELECT id, vehicle_id, kind, authority, since
	FROM restrictions WHERE vehicle_id = $1 AND lifted_at IS NULL ORDER BY since, id`

// ActiveRestrictions lists the restrictions not lifted, oldest first.
func (t *tx) ActiveRestrictions(
	ctx context.Context, vehicleID int64,
) ([]adapter.Restriction, error) {
	var rows []restrictionRow
	if err := t.list(ctx, &rows, queryActiveRestrictions, vehicleID); err != nil {
		return nil, wrap(err, "restrictions of vehicle %d", vehicleID)
	}
	rs := make([]adapter.Restriction, len(rows))
	for i, r := range rows {
		rs[i] = adapter.Restriction{
			ID: r.ID, VehicleID: r.VehicleID, Kind: adapter.RestrictionKind(r.Kind),
			Authority: r.Authority, Since: r.Since.UTC(),
		}
	}
	return rs, nil
}

// Person finds a natural person by PIN.
func (t *tx) Person(ctx context.Context, pin adapter.PIN) (adapter.Person, error) {
	var name string
	err := t.get(ctx, &name, `SELECT name FROM persons WHERE pin = $1`, string(pin))
	if err != nil {
		return adapter.Person{}, wrap(err, "person %s", pin.Masked())
	}
	return adapter.Person{PIN: pin, Name: name}, nil
}

// ChangeOwner closes the vehicle's current registration at c.At and opens
// the buyer's with a new certificate number. A buyer unknown to the
// registry is added with the name given; a known buyer keeps the name the
// registry holds, which is the authority on names. It returns an error
// wrapping ErrNotFound when the vehicle has no current registration, and
// one wrapping ErrConflict when c.TransferID already opened a registration.
func (t *tx) ChangeOwner(ctx context.Context, c adapter.OwnerChange) (adapter.Registration, error) {
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}

	// Closing first takes the row lock on the current registration, so a
	// concurrent ChangeOwner of the same vehicle waits here and then finds
	// no current registration.
	n, err := t.exec(ctx, `UPDATE registrations SET until = $2
		WHERE vehicle_id = $1 AND until IS NULL`, c.VehicleID, at)
	if err != nil {
		return adapter.Registration{}, wrap(err, "close registration of vehicle %d", c.VehicleID)
	}
	if n == 0 {
		return adapter.Registration{}, wrap(sql.ErrNoRows,
			"current registration of vehicle %d", c.VehicleID)
	}

	if err := t.ensurePerson(ctx, c.Buyer); err != nil {
		return adapter.Registration{}, err
	}

	var r registrationRow
	err = t.get(ctx, &r, `
		WITH r AS (
			INSERT INTO registrations (vehicle_id, owner_pin, certificate_number, since, transfer_id)
			VALUES ($1, $2, next_certificate_number(), $3, $4)
			RETURNING *
		)
		SELECT `+registrationColumns+` FROM r JOIN persons p ON p.pin = r.owner_pin`,
		c.VehicleID, string(c.Buyer.PIN), at, nullString(c.TransferID))
	if err != nil {
		return adapter.Registration{}, wrap(err, "register vehicle %d to %s",
			c.VehicleID, c.Buyer.PIN.Masked())
	}
	return r.registration(), nil
}

// ensurePerson adds p unless the registry knows the PIN already.
func (t *tx) ensurePerson(ctx context.Context, p adapter.Person) error {
	_, err := t.exec(ctx, `INSERT INTO persons (pin, name, birth_date) VALUES ($1, $2, $3)
		ON CONFLICT (pin) DO NOTHING`, string(p.PIN), p.Name, birthDate(p.PIN))
	return wrap(err, "add person %s", p.PIN.Masked())
}

// birthDate reads the date of birth from a PIN, NULL when it carries none
// (the insert then fails on the NOT NULL constraint, as it should).
func birthDate(pin adapter.PIN) sql.NullString {
	s := string(pin)
	if len(s) != 14 {
		return sql.NullString{}
	}
	d, err := time.Parse("02012006", s[1:9])
	if err != nil {
		return sql.NullString{}
	}
	return sql.NullString{String: d.Format(time.DateOnly), Valid: true}
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
