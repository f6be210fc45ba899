package adapter

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PaymentConfirmation is a bank's word that the buyer paid an order.
type PaymentConfirmation struct {
	OrderID       string
	TransferID    string
	Amount        string
	BankReference string
	PaidAt        time.Time
}

// ConfirmPayment applies a bank's confirmation that the buyer paid an
// order. Only the bank that holds the order may confirm it, and only for
// the exact amount; an unknown order, another bank or another amount is
// refused and changes nothing.
//
// A payment for a transfer still awaiting it completes the transfer in one
// transaction: the seller's registration closes, the buyer's opens with a
// new certificate number and the order is marked paid. A payment that can
// no longer complete its transfer (cancelled, expired, or blocked by a
// restriction) is accepted and its refund is queued in the outbox; the
// returned transfer shows the state it ended in. A repeated confirmation,
// or one after the reconciler found the payment, changes nothing.
func (s *Service) ConfirmPayment(
	ctx context.Context, c Caller, p PaymentConfirmation,
) (Transfer, error) {
	amount, err := ParseMoney(strings.TrimSpace(p.Amount))
	if err != nil {
		return Transfer{}, refuse(AmountMismatch, "amount %q", p.Amount)
	}
	s.checkpoint(PointPaymentReceived)
	var (
		t    Transfer
		wake bool
	)
	err = s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.PaymentOrder(ctx, p.OrderID, false)
		if err != nil {
			return notFound(err, OrderNotFound, "order %q", p.OrderID)
		}
		if o.TransferID != p.TransferID {
			return refuse(OrderNotFound, "order %s is not of transfer %q", o.ID, p.TransferID)
		}
		// Locks are taken transfer first, then order, as cancellation and
		// expiry take them, so a racing cancel queues instead of deadlocking.
		if t, err = loadTransfer(ctx, tx, o.TransferID, true); err != nil {
			return err
		}
		if o, err = tx.PaymentOrder(ctx, p.OrderID, true); err != nil {
			return fmt.Errorf("adapter: lock order %s: %w", p.OrderID, err)
		}
		if o.BankCode != c.BankCode {
			return refuse(WrongBank, "order %s is at %s, not %s", o.ID, o.BankCode, c.BankCode)
		}
		t, err = s.applyPayment(ctx, tx, c, &o, BankOrder{
			OrderID: o.ID, Status: BankPaid, Amount: amount,
			BankReference: p.BankReference, PaidAt: p.PaidAt,
		})
		wake = o.Call != CallNone
		return err
	})
	if err == nil {
		s.afterCommit(ctx, func() {
			s.checkpoint(PointCompleted)
			if wake {
				s.Wake()
			}
		})
	}
	return t, err
}

// applyPayment records the payment the bank reports for the locked order o
// and returns its transfer: it completes a transfer awaiting payment, and
// queues a refund for any other. An order already paid or refunded is left
// as it is, so the callback and the reconciler complete a transfer at most
// once between them. A payment of another amount is refused.
func (s *Service) applyPayment(
	ctx context.Context, tx Tx, c Caller, o *PaymentOrder, paid BankOrder,
) (Transfer, error) {
	if paid.Amount != o.Amount {
		return Transfer{}, refuse(AmountMismatch, "order %s: paid %s, due %s",
			o.ID, paid.Amount, o.Amount)
	}
	t, err := loadTransfer(ctx, tx, o.TransferID, true)
	if err != nil {
		return Transfer{}, err
	}
	if o.Status == OrderPaid || o.Status == OrderRefunded {
		// The same payment reported again: the first report did the work.
		// Another bank reference is another payment of an order paid
		// already; it is refused so the bank reverses it, since refunding
		// the order would return the payment that bought the vehicle.
		ref := truncate(paid.BankReference, 100)
		if ref != "" && o.BankReference != "" && ref != o.BankReference {
			return t, refuse(AlreadyPaid, "order %s was paid as %q; %q is a second payment",
				o.ID, o.BankReference, ref)
		}
		return t, nil
	}

	live := t.State == AwaitingPayment && o.Status != OrderCancelled
	now := s.now()
	o.Status, o.BankReference = OrderPaid, truncate(paid.BankReference, 100)
	o.PaidAt, o.CheckedAt = paid.PaidAt.UTC(), now
	if o.PaidAt.IsZero() {
		o.PaidAt = now
	}
	o.Call, o.Attempts, o.LastError = CallNone, 0, ""
	if live {
		if err := tx.UpdatePaymentOrder(ctx, *o); err != nil {
			return t, fmt.Errorf("adapter: mark order %s paid: %w", o.ID, err)
		}
		if err := s.complete(ctx, tx, c, &t); err != nil {
			return t, err
		}
		if t.State == Completed {
			return t, nil
		}
	}

	// The money cannot buy the vehicle any more: it goes back.
	o.owe(CallRefund, now, s.cfg.Payments.Lease)
	if err := tx.UpdatePaymentOrder(ctx, *o); err != nil {
		return t, fmt.Errorf("adapter: queue refund of order %s: %w", o.ID, err)
	}
	note := fmt.Sprintf("payment of order %s received in %s; refund queued", o.ID, t.State)
	if err := tx.AddEvent(ctx, s.event(c, t, t.State, note)); err != nil {
		return t, fmt.Errorf("adapter: record refund of %s: %w", t.ID, err)
	}
	return t, nil
}

// complete changes the owner, or blocks a transfer whose vehicle came under
// a restriction after approval so that the payment can be refunded.
func (s *Service) complete(ctx context.Context, tx Tx, c Caller, t *Transfer) error {
	if _, err := tx.LockVehicle(ctx, t.VehicleID); err != nil {
		return fmt.Errorf("adapter: lock vehicle %d: %w", t.VehicleID, err)
	}
	if err := checkRestrictions(ctx, tx, t.VehicleID); err != nil {
		if CodeOf(err) == VehicleRestricted {
			return s.move(ctx, tx, c, t, Blocked, err.Error())
		}
		return err
	}
	buyer, err := tx.Person(ctx, t.BuyerPIN)
	if err != nil {
		return fmt.Errorf("adapter: buyer of %s: %w", t.ID, err)
	}
	reg, err := tx.ChangeOwner(ctx, OwnerChange{
		VehicleID: t.VehicleID, Buyer: buyer, TransferID: t.ID, At: s.now(),
	})
	if err != nil {
		return fmt.Errorf("adapter: change owner of %s: %w", t.ID, err)
	}
	t.CertificateNumber = reg.CertificateNumber
	if err := s.move(ctx, tx, c, t, Completed, "certificate "+reg.CertificateNumber); err != nil {
		return err
	}
	s.checkpoint(PointCompleting)
	return nil
}
