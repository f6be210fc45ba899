package adapter

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The reconciler: a bank's confirmPayment callback can be lost, so orders
// the bank holds unpaid are polled with getPaymentOrder once they have had
// no news for StaleAfter. A paid order found this way is applied exactly as
// a callback would be; whichever of the two comes second finds the order
// paid and changes nothing. Claiming an order pushes its last news to now,
// which keeps other processes off it for another StaleAfter.

// RunReconciler polls stale orders until ctx ends.
func (s *Service) RunReconciler(ctx context.Context, report func(error)) {
	s.loop(ctx, nil, report, s.Reconcile)
}

// Reconcile asks the banks about the orders that had no news for
// StaleAfter, applies the payments they report, and returns how many
// orders it looked at. An order that fails does not stop the others: the
// error returned joins those of every such order.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	var claimed []PaymentOrder
	err := s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		stale, err := tx.ClaimStaleOrders(ctx, now.Add(-s.cfg.Payments.StaleAfter), s.cfg.Payments.Batch)
		if err != nil {
			return err
		}
		claimed = claimed[:0]
		for _, o := range stale {
			poll, err := s.claimStale(ctx, tx, &o, now)
			if err != nil {
				return err
			}
			if poll {
				claimed = append(claimed, o)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adapter: claim stale orders: %w", err)
	}
	s.Wake() // a cancellation may have been queued
	// Every claimed order was stamped as looked at: one left out here
	// waits another StaleAfter, so an order that fails does not stop the
	// rest.
	var errs []error
	for i, o := range claimed {
		if ctx.Err() != nil {
			return i, errors.Join(errs...)
		}
		if err := s.poll(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return len(claimed), errors.Join(errs...)
}

// claimStale stamps a stale order as looked at, and says whether its bank
// should be asked. An order whose transfer ended without it (a deadline
// passed) is cancelled at the bank instead.
func (s *Service) claimStale(ctx context.Context, tx Tx, o *PaymentOrder, now time.Time) (bool, error) {
	t, err := tx.Transfer(ctx, o.TransferID, false)
	if err != nil {
		return false, fmt.Errorf("adapter: transfer of order %s: %w", o.ID, err)
	}
	o.CheckedAt = now
	poll := t.State == AwaitingPayment
	if !poll {
		o.Status = OrderCancelled
		o.owe(CallCancel, now, s.cfg.Payments.Lease)
	}
	if err := tx.UpdatePaymentOrder(ctx, *o); err != nil {
		return false, fmt.Errorf("adapter: claim order %s: %w", o.ID, err)
	}
	return poll, nil
}

// poll asks the bank about one order and applies what it says.
func (s *Service) poll(ctx context.Context, o PaymentOrder) error {
	bank, ok := s.banks.Bank(o.BankCode)
	if !ok {
		return nil // the outbox flags orders of banks no longer configured
	}
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.Payments.CallTimeout)
	bo, callErr := bank.PaymentOrder(callCtx, o)
	cancel()
	if ctx.Err() != nil {
		return nil
	}
	if callErr != nil && !errors.Is(callErr, ErrNoBankOrder) {
		return nil // asked again after StaleAfter; the outage is the bank's
	}
	var wake bool
	err := s.store.InTx(ctx, func(tx Tx) error {
		cur, err := lockOrder(ctx, tx, o)
		if err != nil {
			return err
		}
		if cur.Status != OrderSent || cur.Call != CallNone {
			return nil // a callback or a cancellation came first
		}
		switch {
		case errors.Is(callErr, ErrNoBankOrder):
			return s.flag(ctx, tx, &cur, "the bank does not hold the order it accepted")
		case bo.Status == BankPaid:
			_, err := s.applyPayment(ctx, tx, Caller{Client: "payment reconciler"}, &cur, bo)
			wake = cur.Call != CallNone
			return err
		case bo.Status == BankCancelled || bo.Status == BankExpired:
			// The bank ended the order; the transfer expires at its
			// deadline unless an operator acts.
			cur.Status = OrderCancelled
			return s.flag(ctx, tx, &cur, "the bank holds the order as "+bo.Status)
		case bo.Status == BankRefunded:
			return s.flag(ctx, tx, &cur, "the bank refunded an order we did not ask to refund")
		}
		return nil
	})
	if CodeOf(err) == AmountMismatch {
		err = s.store.InTx(ctx, func(tx Tx) error {
			cur, err := tx.PaymentOrder(ctx, o.ID, true)
			if err != nil {
				return err
			}
			return s.flag(ctx, tx, &cur, fmt.Sprintf("the bank reports a payment of %s", bo.Amount))
		})
	}
	if err != nil {
		return fmt.Errorf("adapter: reconcile order %s: %w", o.ID, err)
	}
	if wake {
		s.Wake()
	}
	return nil
}
