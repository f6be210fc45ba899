package adapter

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"
)

// Role is what an X-Road client subsystem is allowed to be, as configured
// per channel at the edge.
type Role int

// Roles of callers.
const (
	RoleCitizen   Role = iota + 1 // a citizen channel: Tunduk portal or app, a bank app
	RoleInspector                 // the MVD inspection subsystem
	RoleBank                      // a partner bank's subsystem
)

// Caller is who sends a request: the X-Road client subsystem that the
// security server vouched for, the role configured for it, and the end
// user it asserts.
type Caller struct {
	Client    string // X-Road client identifier path
	Role      Role
	BankCode  string // for RoleBank: the bank this subsystem belongs to
	UserID    string // "KG"+PIN for a citizen
	MessageID string // X-Road message id, recorded in the history
}

// Deadlines bound each step of a transfer.
type Deadlines struct {
	Acceptance time.Duration // for the buyer to accept
	Photos     time.Duration // for the VIN photos
	Inspection time.Duration // for the inspector
	Payment    time.Duration // for the buyer to pay
}

// PhotoRules bound what an upload may carry.
type PhotoRules struct {
	MaxCount int // photos per transfer; 0 means 10
	MaxBytes int // bytes per photo; 0 means 10 MiB
}

// Config holds the business settings of a Service. The zero value of each
// field is replaced by the default documented on it.
type Config struct {
	Fees      Fees
	Deadlines Deadlines // zero fields default to 72h, 72h, 48h, 72h
	Photos    PhotoRules
	Risk      RiskRules
	Payments  PaymentSettings
}

// Service carries out the re-registration operations on a Store.
type Service struct {
	store Store
	banks Banks
	cfg   Config

	// Now and NewID are the clock and the id source; tests replace them.
	Now   func() time.Time
	NewID func() string
	// Checkpoint, when set, is called at the named points of the payment
	// path (the Point constants), so that a test can stop the process
	// there. It is nil, and inert, by default.
	Checkpoint func(point string)

	wake chan struct{}
}

// New returns a Service over store and banks.
func New(store Store, banks Banks, cfg Config) *Service {
	d := &cfg.Deadlines
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&d.Acceptance, 72 * time.Hour}, {&d.Photos, 72 * time.Hour},
		{&d.Inspection, 48 * time.Hour}, {&d.Payment, 72 * time.Hour},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if cfg.Photos.MaxCount <= 0 {
		cfg.Photos.MaxCount = 10
	}
	if cfg.Photos.MaxBytes <= 0 {
		cfg.Photos.MaxBytes = 10 << 20
	}
	cfg.Risk = cfg.Risk.withDefaults()
	cfg.Payments = cfg.Payments.withDefaults()
	return &Service{
		store: store,
		banks: banks,
		cfg:   cfg,
		Now:   time.Now,
		NewID: uuid.NewString,
		wake:  make(chan struct{}, 1),
	}
}

// now is the service clock in UTC with microsecond precision, the
// precision PostgreSQL keeps, so stored and returned times agree.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Points of the payment path where Checkpoint is called.
const (
	// PointApproved: the approval and its payment order are committed; the
	// inspector has no answer yet.
	PointApproved = "approved"
	// PointOrderPlaced: the bank accepted createPaymentOrder; we have not
	// recorded it.
	PointOrderPlaced = "order-placed"
	// PointPaymentReceived: a bank's confirmPayment arrived; nothing of it
	// is recorded.
	PointPaymentReceived = "payment-received"
	// PointCompleting: inside the completing transaction, after the owner
	// changed, before the commit.
	PointCompleting = "completing"
	// PointCompleted: a confirmation is committed; the bank has no answer.
	PointCompleted = "completed"
	// PointRefundSent: the bank carried out refundPayment; we have not
	// recorded it.
	PointRefundSent = "refund-sent"
)

// checkpoint calls Checkpoint, if set, at point.
func (s *Service) checkpoint(point string) {
	if s.Checkpoint != nil {
		s.Checkpoint(point)
	}
}

// citizen returns the PIN the caller acts for.
func (s *Service) citizen(c Caller) (PIN, error) {
	return PINFromUserID(c.UserID, s.now())
}

// event builds the history entry for a transition made by c.
func (s *Service) event(c Caller, t Transfer, from State, note string) Event {
	return Event{
		TransferID: t.ID,
		From:       from,
		To:         t.State,
		Client:     c.Client,
		UserID:     MaskUserID(c.UserID),
		MessageID:  c.MessageID,
		Note:       note,
		At:         s.now(),
	}
}

// move changes t's state in tx, stamps it and records the event.
func (s *Service) move(ctx context.Context, tx Tx, c Caller, t *Transfer, to State, note string) error {
	from := t.State
	t.State = to
	t.UpdatedAt = s.now()
	t.Deadline = s.deadline(to)
	if err := tx.UpdateTransfer(ctx, *t); err != nil {
		return fmt.Errorf("adapter: update transfer %s: %w", t.ID, err)
	}
	if err := tx.AddEvent(ctx, s.event(c, *t, from, note)); err != nil {
		return fmt.Errorf("adapter: record event of %s: %w", t.ID, err)
	}
	return nil
}

// deadline is when a transfer entering state st must have moved on; zero
// for states that have no deadline.
func (s *Service) deadline(st State) time.Time {
	d := map[State]time.Duration{
		AwaitingBuyer:      s.cfg.Deadlines.Acceptance,
		AwaitingPhotos:     s.cfg.Deadlines.Photos,
		AwaitingInspection: s.cfg.Deadlines.Inspection,
		AwaitingPayment:    s.cfg.Deadlines.Payment,
	}[st]
	if d == 0 {
		return time.Time{}
	}
	return s.now().Add(d)
}

// loadTransfer finds a transfer, locked if asked, turning absence into a
// refusal.
func loadTransfer(ctx context.Context, tx Tx, id string, lock bool) (Transfer, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return Transfer{}, refuse(TransferNotFound, "transfer id %q is not a UUID", id)
	}
	// UUIDs are case-insensitive; ours are stored in their canonical form.
	id = u.String()
	t, err := tx.Transfer(ctx, id, lock)
	if err != nil {
		return Transfer{}, notFound(err, TransferNotFound, "transfer %s", id)
	}
	return t, nil
}

// notFound turns a store's ErrNotFound into the refusal code and wraps
// anything else as an internal error.
func notFound(err error, code Code, format string, args ...any) error {
	if isNotFound(err) {
		return refuse(code, format, args...)
	}
	return fmt.Errorf("adapter: %s: %w", fmt.Sprintf(format, args...), err)
}

// newApprovalCode returns an eight-character code an inspector's approval
// is known by; it avoids letters and digits people confuse.
func newApprovalCode() (string, error) {
	const alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
	b := make([]byte, 8)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("adapter: approval code: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}
