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

// ConfirmPayment completes a transfer when the bank that holds its order
// confirms payment of the exact amount. In one transaction the seller's
// registration closes, the buyer's opens with a new certificate number and
// the order is marked paid. A repeated confirmation of a paid order answers
// as the first did and changes nothing.
func (s *Service) ConfirmPayment(ctx context.Context, c Caller, p PaymentConfirmation) (Transfer, error) {
	amount, err := ParseMoney(strings.TrimSpace(p.Amount))
	if err != nil {
		return Transfer{}, refuse(AmountMismatch, "amount %q", p.Amount)
	}
	var t Transfer
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
		if amount != o.Amount {
			return refuse(AmountMismatch, "order %s: paid %s, due %s", o.ID, amount, o.Amount)
		}
		if o.Status == OrderPaid {
			return nil // a repeated callback: the first one did the work
		}
		if o.Status == OrderCancelled || t.State != AwaitingPayment {
			// TODO: refund a payment for a transfer that can no longer
			// complete, through the outbox, instead of only refusing it.
			return refuse(InvalidState, "payment of %s in %s (order %s)", t.ID, t.State, o.Status)
		}

		o.Status, o.BankReference, o.PaidAt = OrderPaid, truncate(p.BankReference, 100), p.PaidAt.UTC()
		if err := tx.UpdatePaymentOrder(ctx, o); err != nil {
			return fmt.Errorf("adapter: mark order %s paid: %w", o.ID, err)
		}
		return s.complete(ctx, tx, c, &t)
	})
	return t, err
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
	return s.move(ctx, tx, c, t, Completed, "certificate "+reg.CertificateNumber)
}
