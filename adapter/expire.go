package adapter

import (
	"context"
	"fmt"
	"time"
)

// SweeperClient is the actor the history names for transitions the adapter
// makes by itself, such as expiry.
const SweeperClient = "vehicle-adapter/deadline-sweeper"

// sweepBatch bounds the transfers one sweeping transaction expires, so its
// locks are held briefly.
const sweepBatch = 100

// ExpireOverdue ends every open transfer whose step deadline has passed at
// s.Now: it moves to EXPIRED with an event, and an unpaid payment order is
// withdrawn as on cancellation, its cancellation queued for the bank.
// It returns how many transfers expired. Several processes may sweep at
// once: each transfer is locked, others skip it, and a transfer moved on
// meanwhile is no longer overdue.
func (s *Service) ExpireOverdue(ctx context.Context) (int, error) {
	total := 0
	for {
		n, full, err := s.expireBatch(ctx)
		total += n
		if n > 0 {
			s.Wake() // withdrawn orders owe the bank a cancellation
		}
		if err != nil || !full || n == 0 {
			return total, err
		}
	}
}

// expireBatch expires up to sweepBatch transfers in one transaction; full
// reports that there may be more.
func (s *Service) expireBatch(ctx context.Context) (n int, full bool, err error) {
	err = s.store.InTx(ctx, func(tx Tx) error {
		n = 0
		now := s.now()
		ts, err := tx.OverdueTransfers(ctx, now, sweepBatch)
		if err != nil {
			return fmt.Errorf("adapter: overdue transfers: %w", err)
		}
		full = len(ts) == sweepBatch
		sweeper := Caller{Client: SweeperClient}
		for _, t := range ts {
			note := fmt.Sprintf("deadline of %s passed at %s", t.State, t.Deadline.Format(time.RFC3339))
			if t.State == AwaitingPayment {
				err := s.cancelOrder(ctx, tx, t.ID)
				if CodeOf(err) == InvalidState {
					continue // paid: confirmPayment completes or blocks it
				}
				if err != nil {
					return err
				}
				note += "; payment order withdrawn"
			}
			if err := s.move(ctx, tx, sweeper, &t, Expired, note); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, full, err
}

// RunSweeper expires overdue transfers every interval until ctx ends.
// report receives the errors of a sweep; nil drops them.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.ExpireOverdue(ctx); err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
