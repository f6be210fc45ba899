package adapter

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns; implementations wrap them so errors.Is finds them.
var (
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("adapter: not found")
	// ErrConflict means a write collided with a uniqueness rule, such as a
	// second open transfer for one vehicle.
	ErrConflict = errors.New("adapter: conflict")
)

// Store runs work on the registry in transactions.
type Store interface {
	// InTx runs fn in one transaction and commits it when fn returns nil;
	// otherwise it rolls back and returns fn's error. When the database
	// reports a serialization failure or a deadlock, InTx runs fn again a
	// bounded number of times, so fn must have no effects outside tx.
	InTx(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is the registry seen from inside one transaction. Methods with lock
// take a row lock (SELECT ... FOR UPDATE) held until the transaction ends.
// Lookups of a missing record return an error wrapping ErrNotFound.
type Tx interface {
	// Vehicle finds one vehicle by the identifier set in q.
	Vehicle(ctx context.Context, q VehicleQuery) (Vehicle, error)
	// LockVehicle locks the vehicle row, serialising every change of its
	// ownership.
	LockVehicle(ctx context.Context, id int64) (Vehicle, error)
	// CurrentRegistration returns the vehicle's current registration.
	CurrentRegistration(ctx context.Context, vehicleID int64) (Registration, error)
	// RegistrationsOf lists the current registrations of an owner.
	RegistrationsOf(ctx context.Context, pin PIN) ([]Registration, error)
	// ActiveRestrictions lists restrictions in force on the vehicle.
	ActiveRestrictions(ctx context.Context, vehicleID int64) ([]Restriction, error)
	// Person finds a natural person by PIN.
	Person(ctx context.Context, pin PIN) (Person, error)
	// ChangeOwner closes the current registration and opens the buyer's,
	// issuing a new certificate number, and returns the new registration.
	ChangeOwner(ctx context.Context, c OwnerChange) (Registration, error)

	// CreateTransfer stores a new transfer; ErrConflict when the vehicle
	// already has an open one.
	CreateTransfer(ctx context.Context, t Transfer) error
	// Transfer finds a transfer by id.
	Transfer(ctx context.Context, id string, lock bool) (Transfer, error)
	// OpenTransfer finds the vehicle's open transfer.
	OpenTransfer(ctx context.Context, vehicleID int64) (Transfer, error)
	// UpdateTransfer writes the mutable fields of t: state, buyer bank,
	// approval code, certificate number, deadline and update time.
	UpdateTransfer(ctx context.Context, t Transfer) error
	// AddEvent appends to a transfer's history.
	AddEvent(ctx context.Context, e Event) error
	// TransfersStartedBy locks the seller's person row and counts the
	// transfers the seller started at or after since, in any state.
	TransfersStartedBy(ctx context.Context, seller PIN, since time.Time) (int, error)
	// OverdueTransfers returns up to limit open transfers whose deadline
	// passed before now, oldest deadline first, locked and skipping rows
	// other transactions hold, so several sweepers share the work.
	OverdueTransfers(ctx context.Context, now time.Time, limit int) ([]Transfer, error)
	// Events returns a transfer's history, oldest first.
	Events(ctx context.Context, transferID string) ([]Event, error)

	// AddPhoto stores a photo of a transfer, reading its content from
	// p.Open (or p.Content) in pieces and computing its SHA-256 digest on
	// the way, so memory does not grow with the photo. A p.SHA256 or
	// p.Size that does not match the content is an error.
	AddPhoto(ctx context.Context, p Photo) error
	// Photos returns a transfer's photos in upload order, each with its
	// whole content in memory.
	Photos(ctx context.Context, transferID string) ([]Photo, error)
	// DeletePhotos drops a transfer's photos, for a retake.
	DeletePhotos(ctx context.Context, transferID string) error
	// PendingInspections lists transfers awaiting inspection, oldest first.
	PendingInspections(ctx context.Context, limit int) ([]PendingInspection, error)
	// AddInspection records an inspector's decision.
	AddInspection(ctx context.Context, in Inspection) error

	// CreatePaymentOrder stores a new order.
	CreatePaymentOrder(ctx context.Context, o PaymentOrder) error
	// PaymentOrder finds an order by our id.
	PaymentOrder(ctx context.Context, id string, lock bool) (PaymentOrder, error)
	// PaymentOrderOf finds the latest order of a transfer.
	PaymentOrderOf(ctx context.Context, transferID string) (PaymentOrder, error)
	// UpdatePaymentOrder writes the mutable fields of o: status, bank ids,
	// paid time, the owed call with its attempts, next attempt time and
	// last error, the operator flag, the last news and the refund.
	UpdatePaymentOrder(ctx context.Context, o PaymentOrder) error
	// ClaimOrders returns up to limit orders that owe their bank a call
	// due at now and are not flagged, locked and skipping rows other
	// transactions hold, so several adapter processes share the work.
	ClaimOrders(ctx context.Context, now time.Time, limit int) ([]PaymentOrder, error)
	// ClaimStaleOrders returns up to limit orders the bank holds unpaid,
	// owing no call and not flagged, whose last news is at or before
	// before; locked and skipping rows other transactions hold.
	ClaimStaleOrders(ctx context.Context, before time.Time, limit int) ([]PaymentOrder, error)
	// FlaggedOrders lists up to limit orders that need an operator, the
	// longest flagged first.
	FlaggedOrders(ctx context.Context, limit int) ([]PaymentOrder, error)
}

// AfterCommitter is implemented by a Store whose InTx may join a
// transaction an enclosing caller commits later, such as the registry's
// replay journal. AfterCommit runs fn once the transaction ctx carries has
// committed, and never if it rolls back; with no such transaction it runs
// fn at once.
type AfterCommitter interface {
	AfterCommit(ctx context.Context, fn func())
}

// afterCommit runs fn once what ctx's work wrote is committed: the
// checkpoints of the payment path and the outbox's wake-up must not come
// before the rows they announce are visible.
func (s *Service) afterCommit(ctx context.Context, fn func()) {
	if ac, ok := s.store.(AfterCommitter); ok {
		ac.AfterCommit(ctx, fn)
		return
	}
	fn()
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
