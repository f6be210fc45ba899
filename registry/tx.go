package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// tx is the registry inside one transaction. Its methods live in the file of
// the entity they touch (vehicle.go, transfer.go, photo.go, payment.go).
type tx struct {
	tx *sqlx.Tx
	// retry records that a statement failed with a serialization failure or
	// a deadlock, so InTx retries even if fn hid the error.
	retry bool
}

var _ adapter.Tx = (*tx)(nil)

// errDuplicate stands for a write that ON CONFLICT DO NOTHING skipped.
var errDuplicate = errors.New("duplicate")

// get runs a query expected to return one row into dest.
func (t *tx) get(ctx context.Context, dest any, query string, args ...any) error {
	return t.note(t.tx.GetContext(ctx, dest, query, args...))
}

// list runs a query returning rows into the slice dest.
func (t *tx) list(ctx context.Context, dest any, query string, args ...any) error {
	return t.note(t.tx.SelectContext(ctx, dest, query, args...))
}

// exec runs a statement and returns how many rows it touched.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, t.note(err)
	}
	n, err := res.RowsAffected()
	return n, t.note(err)
}

func (t *tx) note(err error) error {
	if retryable(err) {
		t.retry = true
	}
	return err
}

// wrap gives err the context of what was done and maps the database's
// verdicts onto the adapter's: no row is ErrNotFound, a unique violation is
// ErrConflict, a missing referenced row is ErrNotFound. The original error
// stays in the chain, so errors.As still finds a *pq.Error.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("registry: %s: %w", what, adapter.ErrNotFound)
	}
	if errors.Is(err, errDuplicate) {
		return fmt.Errorf("registry: %s: %w", what, adapter.ErrConflict)
	}
	if e := pq.As(err, pqerror.UniqueViolation); e != nil {
		return fmt.Errorf("registry: %s: %w (%s): %w", what, adapter.ErrConflict, e.Constraint, err)
	}
	if e := pq.As(err, pqerror.ForeignKeyViolation); e != nil {
		return fmt.Errorf("registry: %s: %w (%s): %w", what, adapter.ErrNotFound, e.Constraint, err)
	}
	return fmt.Errorf("registry: %s: %w", what, err)
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t, Valid: !t.IsZero()}
}

// timeOf reads a nullable time as a UTC time, zero for NULL.
func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullString stores an empty string as NULL, for columns where NULL means
// "none" and must not collide in a unique index.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// errOr returns err, or sql.ErrNoRows when err is nil: for "no row
// touched" after a statement that itself succeeded.
func errOr(err error) error {
	if err != nil {
		return err
	}
	return sql.ErrNoRows
}
