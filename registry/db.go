package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	neturl "net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// Options tunes a DB. The zero value gives the defaults documented on each
// field.
type Options struct {
	// MaxOpenConns bounds the connections in the pool; 0 means 20.
	MaxOpenConns int
	// MaxIdleConns bounds the idle connections kept; 0 means MaxOpenConns/2.
	MaxIdleConns int
	// ConnMaxLifetime recycles connections after this age; 0 means 30
	// minutes, so a failed-over server is eventually picked up.
	ConnMaxLifetime time.Duration
	// MaxAttempts bounds how often InTx runs fn when the database reports a
	// serialization failure or a deadlock; 0 means 5.
	MaxAttempts int
	// Isolation is the isolation level of InTx's transactions; the zero
	// value, sql.LevelDefault, is PostgreSQL's READ COMMITTED, under which
	// the workflow relies on explicit row locks.
	Isolation sql.IsolationLevel
}

// DB is the registry on a PostgreSQL database. It is safe for concurrent
// use and implements adapter.Store.
type DB struct {
	db   *sqlx.DB
	opts Options
}

var _ adapter.Store = (*DB)(nil)

// Open connects to the PostgreSQL database at url with default Options and
// pings it. It returns an error when the server cannot be reached before
// ctx ends. Open does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenOptions(ctx, url, Options{})
}

// OpenOptions is Open with explicit Options.
func OpenOptions(ctx context.Context, url string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	db, err := sqlx.Open("postgres", oneRoundTrip(url))
	if err != nil {
		return nil, fmt.Errorf("registry: open: %w", err)
	}
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxIdleConns)
	db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: connect: %w", err)
	}
	return &DB{db: db, opts: opts}, nil
}

// withDefaults fills the zero fields of o with their documented defaults.
// oneRoundTrip turns on lib/pq's binary_parameters unless url sets it.
// Without it lib/pq sends a query with arguments in two round trips
// (prepare, then execute); with it, in one, as pgbench's extended mode
// does, which the read path's measurements showed (cmd/loadgen/README.md).
// Photo chunks also travel as raw bytea instead of hex text. A connection
// string in key=value form gets the setting appended.
func oneRoundTrip(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	u, err := neturl.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return strings.TrimSpace(dsn) + " binary_parameters=yes"
	}
	q := u.Query()
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

func (o Options) withDefaults() Options {
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 20
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = max(1, o.MaxOpenConns/2)
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 30 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	return o
}

// Close closes the connection pool.
func (d *DB) Close() error { return d.db.Close() }

// SQL returns the underlying pool, for Migrate and for probes.
func (d *DB) SQL() *sql.DB { return d.db.DB }

// Migrate applies the embedded migrations; see the package function.
func (d *DB) Migrate(ctx context.Context) error { return Migrate(ctx, d.db.DB) }

// Ready reports whether the database answers and its schema is current. It
// returns an error wrapping ErrSchemaOutdated when migrations are missing.
func (d *DB) Ready(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("registry: ping: %w", err)
	}
	ok, err := MigrationsCurrent(ctx, d.db.DB)
	if err != nil {
		return err
	}
	if !ok {
		return ErrSchemaOutdated
	}
	return nil
}

// InTx runs fn in one transaction, committing when fn returns nil and
// rolling back otherwise. When a statement or the commit fails with a
// serialization failure (SQLSTATE 40001) or a deadlock (40P01), the whole
// fn runs again in a fresh transaction, up to Options.MaxAttempts times in
// all, after a short randomised pause. It returns fn's error, or the last
// database error once the attempts are spent.
//
// Inside Once, InTx joins Once's transaction behind a savepoint instead, so
// that an operation and the reply recorded for it commit together.
func (d *DB) InTx(ctx context.Context, fn func(tx adapter.Tx) error) error {
	if a, ok := d.joined(ctx); ok {
		return a.nested(ctx, fn)
	}
	var err error
	for attempt := 1; ; attempt++ {
		var retry bool
		retry, err = d.attempt(ctx, fn)
		if err == nil || !retry || attempt >= d.opts.MaxAttempts {
			return err
		}
		if werr := pause(ctx, attempt); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

// attempt runs fn once in its own transaction and says whether a failure
// is worth another try.
func (d *DB) attempt(ctx context.Context, fn func(tx adapter.Tx) error) (retry bool, err error) {
	sx, err := d.db.BeginTxx(ctx, &sql.TxOptions{Isolation: d.opts.Isolation})
	if err != nil {
		return false, fmt.Errorf("registry: begin: %w", err)
	}
	// Rollback after a commit is a harmless no-op.
	defer sx.Rollback()

	t := &tx{tx: sx}
	if err := fn(t); err != nil {
		// fn may have turned a failed statement into an error of its own;
		// the failure t saw still makes the attempt worth repeating.
		return retryable(err) || t.retry, err
	}
	if err := sx.Commit(); err != nil {
		return retryable(err) || t.retry, fmt.Errorf("registry: commit: %w", err)
	}
	return false, nil
}

// retryable reports whether err carries a serialization failure or a
// deadlock, after which the same work may well succeed.
func retryable(err error) bool {
	return pq.As(err, pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected) != nil
}

// pause waits a little before the next attempt, longer after each, with
// jitter so that colliding transactions do not collide again.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(attempt)*10*time.Millisecond +
		time.Duration(rand.Int64N(int64(10*time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
