package adapter

import (
	"context"
	"fmt"
	"time"
)

// Sending payment orders: an order is written as New by the approving
// transaction and sent here, outside any transaction, so a slow bank never
// holds a row lock. A claimed order is leased by pushing its next attempt
// into the future; if this process dies mid-call, another picks it up when
// the lease runs out, and the bank's idempotency on our order id keeps that
// from creating a second order.

const (
	orderLease   = time.Minute
	maxBackoff   = 10 * time.Minute
	claimBatch   = 10
	pollInterval = 5 * time.Second
)

// Wake nudges the order sender to look for work now instead of at its next
// poll. It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunSender sends new payment orders until ctx ends, polling every few
// seconds and whenever Wake is called. Errors of single orders are recorded
// on the order; report receives errors of the loop itself. A pass that is
// sending when ctx ends runs to its end, so that a graceful shutdown
// records what the banks answered; the caller bounds how long it waits
// for RunSender to return.
func (s *Service) RunSender(ctx context.Context, report func(error)) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		_, err := s.SendOrders(context.WithoutCancel(ctx))
		if err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// SendOrders sends the payment orders that are due, and returns how many
// the banks accepted.
func (s *Service) SendOrders(ctx context.Context) (int, error) {
	var claimed []PaymentOrder
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		now := s.now()
		if claimed, err = tx.ClaimOrders(ctx, now, claimBatch); err != nil {
			return err
		}
		for i := range claimed {
			claimed[i].Attempts++
			claimed[i].NextAttemptAt = now.Add(orderLease)
			if err := tx.UpdatePaymentOrder(ctx, claimed[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adapter: claim orders: %w", err)
	}
	sent := 0
	for _, o := range claimed {
		accepted, err := s.send(ctx, o)
		if err != nil {
			return sent, err
		}
		if accepted {
			sent++
		}
	}
	return sent, nil
}

// send places one order at its bank and records the outcome. It reports
// whether the bank accepted the order.
func (s *Service) send(ctx context.Context, o PaymentOrder) (bool, error) {
	bank, ok := s.banks.Bank(o.BankCode)
	var (
		bo      BankOrder
		callErr error
	)
	if ok {
		bo, callErr = bank.CreatePaymentOrder(ctx, o)
	} else {
		callErr = fmt.Errorf("bank %q is not configured or not enabled", o.BankCode)
	}
	if ctx.Err() != nil {
		return false, nil // shutting down; the lease hands the order to the next run
	}
	err := s.store.InTx(ctx, func(tx Tx) error {
		cur, err := tx.PaymentOrder(ctx, o.ID, true)
		if err != nil {
			return err
		}
		if cur.Status != OrderNew {
			return nil // cancelled or paid meanwhile: nothing to record
		}
		if callErr != nil {
			cur.LastError = truncate(callErr.Error(), 500)
			cur.NextAttemptAt = s.now().Add(backoff(cur.Attempts))
		} else {
			cur.Status, cur.BankOrderID, cur.LastError = OrderSent, bo.BankOrderID, ""
		}
		return tx.UpdatePaymentOrder(ctx, cur)
	})
	return err == nil && callErr == nil, err
}

// backoff doubles the wait after each failed attempt, from 2 seconds up to
// maxBackoff.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
