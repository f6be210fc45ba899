package adapter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// The payment outbox. Every call we owe a bank (create an order, cancel it,
// refund its payment) is written on the order row by the transaction that
// decides it, and made here, outside any transaction, so a slow bank never
// holds a row lock and a crash never loses a call. A claimed call is leased
// by pushing its next attempt past the lease; if this process dies
// mid-call, another process repeats it when the lease runs out, and the
// bank's idempotency on our order id makes the repeat harmless.

// PaymentSettings tune the payment outbox and the reconciler. The zero
// value of each field is replaced by the default documented on it.
type PaymentSettings struct {
	// Lease is how long a claimed call belongs to the process that claimed
	// it; 0 means 2 minutes. It must exceed CallTimeout.
	Lease time.Duration
	// CallTimeout bounds one call to a bank; 0 means 60 seconds.
	CallTimeout time.Duration
	// BackoffBase is the wait after the first failed attempt; it doubles
	// with each further failure up to BackoffMax, with jitter. 0 means 2s.
	BackoffBase time.Duration
	// BackoffMax caps the wait between attempts; 0 means 10 minutes.
	BackoffMax time.Duration
	// MaxAttempts is how often a call is tried before the order is
	// flagged for an operator; 0 means 12.
	MaxAttempts int
	// StaleAfter is how long an order the bank holds may go without news
	// before the reconciler asks the bank about it; 0 means 10 minutes.
	StaleAfter time.Duration
	// PollInterval is how often the workers look for work when nobody
	// wakes them; 0 means 5 seconds.
	PollInterval time.Duration
	// Batch is how many orders a worker claims at once; 0 means 10.
	Batch int
}

func (p PaymentSettings) withDefaults() PaymentSettings {
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&p.Lease, 2 * time.Minute}, {&p.CallTimeout, time.Minute},
		{&p.BackoffBase, 2 * time.Second}, {&p.BackoffMax, 10 * time.Minute},
		{&p.StaleAfter, 10 * time.Minute}, {&p.PollInterval, 5 * time.Second},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 12
	}
	if p.Batch <= 0 {
		p.Batch = 10
	}
	return p
}

// Wake nudges the outbox worker to look for work now instead of at its
// next poll. It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunPayments runs the outbox worker and the reconciler until ctx ends and
// both have returned. Errors of single orders are recorded on the order;
// report receives errors of the loops themselves.
func (s *Service) RunPayments(ctx context.Context, report func(error)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunReconciler(ctx, report)
	}()
	s.RunSender(ctx, report)
	<-done
}

// RunSender makes the owed bank calls until ctx ends, polling every
// PollInterval and whenever Wake is called.
func (s *Service) RunSender(ctx context.Context, report func(error)) {
	s.loop(ctx, s.wake, report, s.SendOrders)
}

// loop calls work until ctx ends: again at once while it finds a full
// batch, otherwise after the poll interval or a wake-up.
func (s *Service) loop(ctx context.Context, wake <-chan struct{}, report func(error),
	work func(context.Context) (int, error)) {
	t := time.NewTicker(s.cfg.Payments.PollInterval)
	defer t.Stop()
	for ctx.Err() == nil {
		n, err := work(ctx)
		if err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		if err == nil && n >= s.cfg.Payments.Batch {
			continue
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-wake:
		}
	}
}

// SendOrders makes the bank calls that are due, and returns how many were
// made, whatever their outcome. An order whose outcome cannot be recorded
// does not stop the others: the error returned joins those of every such
// order.
func (s *Service) SendOrders(ctx context.Context) (int, error) {
	var claimed []PaymentOrder
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		now := s.now()
		if claimed, err = tx.ClaimOrders(ctx, now, s.cfg.Payments.Batch); err != nil {
			return err
		}
		for i := range claimed {
			if err := s.lease(ctx, tx, &claimed[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adapter: claim orders: %w", err)
	}
	// The rest of the batch is leased to this process: leaving it at the
	// first order that fails would keep it waiting for its leases.
	var errs []error
	for i, o := range claimed {
		if ctx.Err() != nil {
			return i, errors.Join(errs...) // shutting down; the leases hand the rest on
		}
		if err := s.perform(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return len(claimed), errors.Join(errs...)
}

// lease takes a claimed call for this process. An order still owing its
// creation although its transfer ended (a deadline passed) is turned into
// a cancellation first: a previous attempt may have reached the bank.
func (s *Service) lease(ctx context.Context, tx Tx, o *PaymentOrder, now time.Time) error {
	if o.Call == CallCreate {
		t, err := tx.Transfer(ctx, o.TransferID, false)
		if err != nil {
			return fmt.Errorf("adapter: transfer of order %s: %w", o.ID, err)
		}
		if t.State != AwaitingPayment {
			o.Status = OrderCancelled
			o.owe(CallCancel, now, s.cfg.Payments.Lease)
		}
	}
	o.Attempts++
	o.NextAttemptAt = now.Add(s.cfg.Payments.Lease)
	if err := tx.UpdatePaymentOrder(ctx, *o); err != nil {
		return fmt.Errorf("adapter: lease order %s: %w", o.ID, err)
	}
	return nil
}

// owe makes call the order's next bank call, due at once, with a fresh
// budget of attempts and no operator flag. A call of another process that
// is still in flight keeps its lease: the new call waits for it to end,
// but never longer than one lease.
func (o *PaymentOrder) owe(call Call, now time.Time, lease time.Duration) {
	o.Call, o.Attempts, o.LastError = call, 0, ""
	o.Attention, o.FlaggedAt = "", time.Time{}
	switch limit := now.Add(lease); {
	case o.NextAttemptAt.Before(now):
		o.NextAttemptAt = now
	case o.NextAttemptAt.After(limit):
		o.NextAttemptAt = limit
	}
}

// outcome is what a bank call taught us about an order.
type outcome struct {
	bank      BankOrder
	paid      bool  // the bank says the order is paid: apply the payment
	err       error // the call failed
	permanent bool  // retrying cannot help
}

// perform makes o's owed call and records the outcome. An order once
// begun is finished even when ctx ends, so that a graceful shutdown records
// what the bank answered instead of leaving the call to be repeated: the
// call is bounded by CallTimeout, and the caller of RunPayments bounds how
// long it waits (SendOrders still stops before the next order).
func (s *Service) perform(ctx context.Context, o PaymentOrder) error {
	ctx = context.WithoutCancel(ctx)
	out := s.call(ctx, o)
	wake, err := s.settle(ctx, o, out)
	if err != nil {
		err = fmt.Errorf("adapter: record %s of order %s: %w", o.Call, o.ID, err)
		// The answer is lost to us, so the attempt failed: the call is
		// repeated after a backoff, which the bank's idempotency makes
		// harmless, and flagged after MaxAttempts, instead of being
		// repeated at the end of every lease for ever.
		if _, nerr := s.settle(ctx, o, outcome{err: err}); nerr != nil {
			return errors.Join(err, nerr)
		}
		return err
	}
	if wake {
		s.Wake()
	}
	return nil
}

// settle records out, the outcome of o's call, on the order, unless the
// call was superseded meanwhile, and says whether a further call was
// queued.
func (s *Service) settle(ctx context.Context, o PaymentOrder, out outcome) (bool, error) {
	var wake bool
	err := s.store.InTx(ctx, func(tx Tx) error {
		wake = false
		cur, err := lockOrder(ctx, tx, o)
		if err != nil {
			return err
		}
		if cur.Call != o.Call || cur.Attention != "" {
			// Superseded meanwhile (paid, cancelled): nothing to record,
			// but the call that waited for this one's lease is due now.
			return s.release(ctx, tx, &cur, o.NextAttemptAt)
		}
		wake, err = s.record(ctx, tx, &cur, out)
		return err
	})
	return wake, err
}

// lockOrder locks o's transfer and then o, in the order that confirmation,
// cancellation and expiry take them: a worker that locked the order first
// and then, applying a payment, the transfer would deadlock with them.
func lockOrder(ctx context.Context, tx Tx, o PaymentOrder) (PaymentOrder, error) {
	if _, err := tx.Transfer(ctx, o.TransferID, true); err != nil {
		return PaymentOrder{}, fmt.Errorf("adapter: lock transfer of order %s: %w", o.ID, err)
	}
	return tx.PaymentOrder(ctx, o.ID, true)
}

// call makes the owed call of o at its bank.
func (s *Service) call(ctx context.Context, o PaymentOrder) outcome {
	bank, ok := s.banks.Bank(o.BankCode)
	if !ok {
		return outcome{err: fmt.Errorf("bank %q is not configured or not enabled", o.BankCode), permanent: true}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Payments.CallTimeout)
	defer cancel()
	switch o.Call {
	case CallCreate:
		bo, err := bank.CreatePaymentOrder(ctx, o)
		if err == nil {
			s.checkpoint(PointOrderPlaced)
		}
		return outcome{bank: bo, err: err, permanent: errors.Is(err, ErrBankRefused)}
	case CallCancel:
		bo, err := bank.CancelPaymentOrder(ctx, o, "the transfer ended before payment")
		if errors.Is(err, ErrNoBankOrder) {
			return outcome{} // never reached the bank: nothing to cancel
		}
		if errors.Is(err, ErrBankRefused) {
			return s.learn(ctx, bank, o, err)
		}
		return outcome{bank: bo, err: err}
	case CallRefund:
		bo, err := bank.RefundPayment(ctx, o, "the transfer cannot complete")
		if err == nil {
			s.checkpoint(PointRefundSent)
		}
		if errors.Is(err, ErrBankRefused) {
			return s.learn(ctx, bank, o, err)
		}
		return outcome{bank: bo, err: err}
	}
	return outcome{err: fmt.Errorf("unknown call %q", o.Call), permanent: true}
}

// learn asks the bank about an order after it refused a cancellation or a
// refund: the buyer may have paid before the cancellation arrived, or an
// earlier attempt of the refund may have been carried out.
func (s *Service) learn(ctx context.Context, bank Bank, o PaymentOrder, refusal error) outcome {
	bo, err := bank.PaymentOrder(ctx, o)
	switch {
	case err != nil:
		return outcome{err: errors.Join(refusal, err)}
	case o.Call == CallCancel && bo.Status == BankPaid:
		return outcome{bank: bo, paid: true}
	case o.Call == CallCancel && (bo.Status == BankCancelled || bo.Status == BankExpired):
		return outcome{bank: bo}
	case o.Call == CallRefund && bo.Status == BankRefunded:
		return outcome{bank: bo}
	}
	return outcome{err: fmt.Errorf("%w; the bank holds the order as %s", refusal, bo.Status), permanent: true}
}

// record writes the outcome of o's call on the locked order cur, and says
// whether a further call was queued.
func (s *Service) record(ctx context.Context, tx Tx, cur *PaymentOrder, out outcome) (bool, error) {
	now := s.now()
	if out.err != nil {
		cur.LastError = truncate(out.err.Error(), 500)
		if out.permanent || cur.Attempts >= s.cfg.Payments.MaxAttempts {
			return false, s.flag(ctx, tx, cur, fmt.Sprintf("%s failed after %d attempts: %s",
				cur.Call, cur.Attempts, cur.LastError))
		}
		cur.NextAttemptAt = now.Add(s.backoff(cur.Attempts))
		return false, tx.UpdatePaymentOrder(ctx, *cur)
	}
	if out.paid {
		// The cancellation came too late: the buyer paid. The payment is
		// applied like a confirmation, which queues its refund.
		_, err := s.applyPayment(ctx, tx, Caller{Client: "payment outbox"}, cur, out.bank)
		return true, err
	}

	call := cur.Call
	cur.Call, cur.Attempts, cur.LastError, cur.CheckedAt = CallNone, 0, "", now
	cur.NextAttemptAt = now // the lease ends with the call
	switch call {
	case CallCreate:
		cur.Status, cur.BankOrderID = OrderSent, out.bank.BankOrderID
		if out.bank.Status == BankPaid {
			// Paid before we heard back: let the reconciler ask at once
			// rather than wait for a callback that may be lost.
			cur.CheckedAt = time.Time{}
		}
	case CallRefund:
		cur.Status, cur.RefundID, cur.RefundedAt = OrderRefunded, out.bank.RefundID, now
	}
	return false, tx.UpdatePaymentOrder(ctx, *cur)
}

// release ends the lease, held until leaseEnd, of a call that was
// superseded while in flight, so that the call owed instead is not kept
// waiting for it. A later time belongs to another process's lease.
func (s *Service) release(ctx context.Context, tx Tx, cur *PaymentOrder, leaseEnd time.Time) error {
	now := s.now()
	if cur.Call == CallNone || !cur.NextAttemptAt.Equal(leaseEnd) || !leaseEnd.After(now) {
		return nil
	}
	cur.NextAttemptAt = now
	return tx.UpdatePaymentOrder(ctx, *cur)
}

// flag stops retrying o's call and records why an operator must look at
// it, on the order and in its transfer's history.
func (s *Service) flag(ctx context.Context, tx Tx, o *PaymentOrder, why string) error {
	o.Attention, o.FlaggedAt = truncate(why, 500), s.now()
	if err := tx.UpdatePaymentOrder(ctx, *o); err != nil {
		return err
	}
	t, err := tx.Transfer(ctx, o.TransferID, false)
	if err != nil {
		return fmt.Errorf("adapter: transfer of order %s: %w", o.ID, err)
	}
	return tx.AddEvent(ctx, Event{
		TransferID: t.ID, From: t.State, To: t.State, Client: "payment outbox",
		Note: "payment order " + o.ID + " needs an operator: " + o.Attention, At: s.now(),
	})
}

// backoff is the wait after the attempts-th failed attempt: BackoffBase
// doubled per earlier failure up to BackoffMax, of which a random part up
// to one half is taken off, so that orders failing together (a bank
// outage) spread out when they are retried.
func (s *Service) backoff(attempts int) time.Duration {
	p := s.cfg.Payments
	d := p.BackoffBase
	for i := 1; i < attempts && d < p.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, p.BackoffMax)
	return d - rand.N(d/2+1)
}

// FlaggedOrders lists up to limit payment orders that need an operator,
// the longest flagged first.
func (s *Service) FlaggedOrders(ctx context.Context, limit int) ([]PaymentOrder, error) {
	var list []PaymentOrder
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		list, err = tx.FlaggedOrders(ctx, limit)
		return err
	})
	return list, err
}

// RetryOrder clears the operator flag of an order, so that its owed call is
// tried again with a fresh budget of attempts. It returns a refusal with
// OrderNotFound for an unknown order.
func (s *Service) RetryOrder(ctx context.Context, id string) error {
	err := s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.PaymentOrder(ctx, id, true)
		if err != nil {
			return notFound(err, OrderNotFound, "order %q", id)
		}
		if o.Attention == "" {
			return nil
		}
		if o.Call == CallNone {
			o.Attention, o.FlaggedAt = "", time.Time{}
			o.CheckedAt = time.Time{} // let the reconciler look again
			return tx.UpdatePaymentOrder(ctx, o)
		}
		o.owe(o.Call, s.now(), s.cfg.Payments.Lease)
		return tx.UpdatePaymentOrder(ctx, o)
	})
	if err == nil {
		s.Wake()
	}
	return err
}
