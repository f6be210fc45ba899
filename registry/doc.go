// Package registry is the PostgreSQL store of the vehicle registry: people,
// vehicles, ownership history, restrictions, and the re-registration
// workflow's transfers, events, photos, inspections and payment orders.
//
// A *DB, made by Open, implements adapter.Store with sqlx and lib/pq. Its
// schema lives in SQL migrations embedded in the binary and applied by
// Migrate, which several processes may run at once: goose serialises them
// with a PostgreSQL advisory lock.
//
// The rules that keep property safe are constraints, not code: one current
// registration per vehicle, at most one open transfer per vehicle, at most
// one live payment order per transfer, unique certificate numbers, plates
// and VINs. A write that collides with one of them returns an error
// wrapping adapter.ErrConflict; a lookup of a missing record returns one
// wrapping adapter.ErrNotFound.
//
// Times are stored as timestamptz with microsecond precision and read back
// in UTC; a zero time.Time is stored as NULL (or as now() where the column
// requires a value, such as creation times). Money is integer tyiyn.
package registry
