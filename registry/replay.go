package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// ErrMessageReused means a client sent a message id again with a different
// request. It wraps adapter.ErrConflict.
var ErrMessageReused = fmt.Errorf("registry: message id reused for another request: %w",
	adapter.ErrConflict)

// ambientKey is the context key under which Once hands its transaction to
// the InTx calls that fn makes.
type ambientKey struct{}

// ambient is a transaction that InTx joins instead of opening its own.
type ambient struct {
	db    *DB
	tx    *tx
	after []func() // run once tx has committed
}

// AfterCommit runs fn once the transaction of the enclosing Once on ctx has
// committed, and drops it if that transaction rolls back; without an
// enclosing Once, InTx has already committed and fn runs at once. It
// implements adapter.AfterCommitter.
func (d *DB) AfterCommit(ctx context.Context, fn func()) {
	if a, ok := d.joined(ctx); ok {
		a.after = append(a.after, fn)
		return
	}
	fn()
}

var _ adapter.AfterCommitter = (*DB)(nil)

// joined returns the transaction of an enclosing Once on d, if ctx has one.
func (d *DB) joined(ctx context.Context) (*ambient, bool) {
	a, ok := ctx.Value(ambientKey{}).(*ambient)
	return a, ok && a.db == d
}

// nested runs fn inside a's transaction behind a savepoint: an error from
// fn undoes what fn did and leaves the enclosing transaction usable. A
// serialization failure or deadlock is not retried here; it marks the
// enclosing transaction, and Once runs everything again.
func (a *ambient) nested(ctx context.Context, fn func(tx adapter.Tx) error) error {
	if _, err := a.tx.exec(ctx, `SAVEPOINT registry_nested`); err != nil {
		return wrap(err, "savepoint")
	}
	if err := fn(a.tx); err != nil {
		if _, rerr := a.tx.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT registry_nested`); rerr != nil {
			return errors.Join(err, wrap(rerr, "rollback to savepoint"))
		}
		return err
	}
	_, err := a.tx.exec(ctx, `RELEASE SAVEPOINT registry_nested`)
	return wrap(err, "release savepoint")
}

// Once answers the X-Road message m exactly once. The first time the pair
// (m.Client, m.ID) is seen it runs fn and records the reply fn returns, in
// one transaction with everything fn does through InTx on ctx: either the
// operation and its reply are both stored or neither is. A later delivery
// of the same pair gets the recorded reply, with replayed true, and fn does
// not run; a copy that arrives while the first is still being served waits
// for it. The same pair with another m.Digest gets an error wrapping
// ErrMessageReused.
//
// When fn fails, nothing is recorded and its error is returned, so the
// client may try again. A serialization failure or deadlock inside fn runs
// the whole exchange again, as InTx does.
func (d *DB) Once(ctx context.Context, m adapter.Delivery,
	fn func(ctx context.Context) ([]byte, error)) (reply []byte, replayed bool, err error) {
	for attempt := 1; ; attempt++ {
		var retry bool
		reply, replayed, retry, err = d.once(ctx, m, fn)
		if err == nil || !retry || attempt >= d.opts.MaxAttempts {
			return reply, replayed, err
		}
		if werr := pause(ctx, attempt); werr != nil {
			return nil, false, errors.Join(err, werr)
		}
	}
}

// once is one attempt of Once.
func (d *DB) once(ctx context.Context, m adapter.Delivery,
	fn func(ctx context.Context) ([]byte, error)) (reply []byte, replayed, retry bool, err error) {
	sx, err := d.db.BeginTxx(ctx, &sql.TxOptions{Isolation: d.opts.Isolation})
	if err != nil {
		return nil, false, false, fmt.Errorf("registry: begin: %w", err)
	}
	defer sx.Rollback()
	t := &tx{tx: sx}

	// The uncommitted row is the claim: a second copy of the message blocks
	// on this insert until the first commits (and then finds its reply) or
	// rolls back (and then serves the message itself).
	n, err := t.exec(ctx, `INSERT INTO xroad_messages
			(client, message_id, service_code, request_digest)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, m.Client, m.ID, m.Service, m.Digest)
	if err != nil {
		return nil, false, t.retry, wrap(err, "claim message %s of %s", m.ID, m.Client)
	}
	if n == 0 {
		reply, err := t.recorded(ctx, m)
		return reply, err == nil, t.retry, err
	}

	a := &ambient{db: d, tx: t}
	reply, err = fn(context.WithValue(ctx, ambientKey{}, a))
	if err != nil {
		return nil, false, retryable(err) || t.retry, err
	}
	_, err = t.exec(ctx, `UPDATE xroad_messages SET response = $3
		WHERE client = $1 AND message_id = $2`, m.Client, m.ID, reply)
	if err != nil {
		return nil, false, t.retry, wrap(err, "record reply to %s of %s", m.ID, m.Client)
	}
	if err := sx.Commit(); err != nil {
		return nil, false, retryable(err) || t.retry, fmt.Errorf("registry: commit: %w", err)
	}
	for _, fn := range a.after {
		fn()
	}
	return reply, false, false, nil
}

// recorded returns the reply recorded for m, or ErrMessageReused when m's
// digest differs from the recorded request's.
func (t *tx) recorded(ctx context.Context, m adapter.Delivery) ([]byte, error) {
	var row struct {
		Digest   string `db:"request_digest"`
		Response []byte `db:"response"`
	}
	err := t.get(ctx, &row, `SELECT request_digest, response FROM xroad_messages
		WHERE client = $1 AND message_id = $2`, m.Client, m.ID)
	if err != nil {
		return nil, wrap(err, "reply to %s of %s", m.ID, m.Client)
	}
	if row.Digest != m.Digest {
		return nil, fmt.Errorf("registry: message %s of %s: %w", m.ID, m.Client, ErrMessageReused)
	}
	return row.Response, nil
}

// PruneMessages deletes the replies to messages received before before, and
// returns how many. Clients retry within minutes; keeping replies for days
// is ample, and the table stays small.
func (d *DB) PruneMessages(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM xroad_messages WHERE received_at < $1`, before)
	if err != nil {
		return 0, wrap(err, "prune messages")
	}
	return res.RowsAffected()
}
