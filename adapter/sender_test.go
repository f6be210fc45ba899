package adapter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/bank"
)

// testSendOrders checks the payment outbox against the test bank: a failed
// call is recorded on the order and retried after a growing, jittered
// pause; a placed order is never sent again; an order no bank can take is
// flagged for an operator.
func testSendOrders(t *testing.T, fx *fixture) {
	fx.drain(t)
	s := fx.saleIn(t, adapter.AwaitingPayment)
	t.Cleanup(func() { fx.bank.setReply(nil) })
	calls := len(fx.bank.received())

	// send runs the outbox once and checks how many calls it made, each
	// of which the bank got.
	send := func(want int) adapter.PaymentOrder {
		t.Helper()
		n, err := fx.svc.SendOrders(fx.ctx)
		if err != nil || n != want {
			t.Fatalf("SendOrders = %d, %v; want %d, nil", n, err, want)
		}
		if got := len(fx.bank.received()) - calls; got != want {
			t.Fatalf("the bank got %d calls, want %d", got, want)
		}
		calls += want
		return fx.orderOf(t, s.transfer.ID)
	}
	// failed checks an order after a failed attempt: the creation is still
	// owed, after a pause of between half of ceiling and ceiling.
	failed := func(o adapter.PaymentOrder, attempts int, ceiling time.Duration, errText string) {
		t.Helper()
		now := fx.clock.Now()
		if o.Status != adapter.OrderNew || o.Call != adapter.CallCreate || o.Attempts != attempts ||
			o.NextAttemptAt.Before(now.Add(ceiling/2)) || o.NextAttemptAt.After(now.Add(ceiling)) ||
			!strings.Contains(o.LastError, errText) || o.Attention != "" {
			t.Errorf("got order %s owing %q, %d attempts, next %v, error %q, flag %q; "+
				"want NEW owing CREATE, %d, within [%v, %v], %q, none",
				o.Status, o.Call, o.Attempts, o.NextAttemptAt, o.LastError, o.Attention, attempts,
				now.Add(ceiling/2), now.Add(ceiling), errText)
		}
	}

	// A bank that answers with a fault, or about another order, is asked
	// again later. (A refusal is final; see below.)
	fx.bank.setReply(func(*bank.CreatePaymentOrder) (any, error) {
		return nil, soap.NewFault("Server.Busy", "try later")
	})
	failed(send(1), 1, 2*time.Second, "Server.Busy")

	// Not due yet: nothing is sent.
	send(0)

	fx.clock.Advance(2 * time.Second)
	fx.bank.setReply(func(in *bank.CreatePaymentOrder) (any, error) {
		return &bank.CreatePaymentOrderResponse{Result: bankResult("OK"), OrderId: "someone-else",
			BankOrderId: "PB-X"}, nil
	})
	failed(send(1), 2, 4*time.Second, `answered createPaymentOrder for order "someone-else"`)

	fx.clock.Advance(4 * time.Second)
	fx.bank.setReply(nil)
	o := send(1)
	if o.Status != adapter.OrderSent || o.Call != adapter.CallNone || o.Attempts != 0 ||
		o.LastError != "" || o.BankOrderID != "PB-"+o.ID {
		t.Errorf("got order %s owing %q, %d attempts, error %q, bank id %q; "+
			"want SENT owing nothing, 0, none, PB-%s",
			o.Status, o.Call, o.Attempts, o.LastError, o.BankOrderID, o.ID)
	}
	if n := fx.bank.callsTo("createPaymentOrder", o.ID); n != 3 {
		t.Errorf("the bank got %d creations of the order, want 3", n)
	}

	// A placed order is not sent again, however late it gets.
	fx.clock.Advance(24 * time.Hour)
	send(0)

	// A refusal cannot be retried away: the order waits for an operator.
	refused := fx.saleIn(t, adapter.AwaitingPayment)
	fx.bank.setReply(func(in *bank.CreatePaymentOrder) (any, error) {
		return &bank.CreatePaymentOrderResponse{Result: bankResult("ORDER_CONFLICT"),
			OrderId: in.OrderId}, nil
	})
	send(1)
	fx.bank.setReply(nil)
	wantFlagged(t, fx, refused, "ORDER_CONFLICT")

	// So does an order for a bank that is no longer configured, without
	// a call to any bank.
	other := fx.saleIn(t, adapter.AwaitingPayment)
	if _, err := fx.sql.ExecContext(fx.ctx, `UPDATE payment_orders SET bank_code = 'GONE'
		WHERE transfer_id = $1`, other.transfer.ID); err != nil {
		t.Fatalf("move order to another bank: %v", err)
	}
	if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 1 {
		t.Fatalf("SendOrders = %d, %v; want 1, nil", n, err)
	}
	if got := len(fx.bank.received()) - calls; got != 0 {
		t.Errorf("the bank got %d calls for another bank's order, want 0", got)
	}
	wantFlagged(t, fx, other, `"GONE" is not configured`)

	// Flagged orders are not retried by themselves.
	fx.clock.Advance(24 * time.Hour)
	send(0)
}

// wantFlagged checks that the sale's order still owes its creation but is
// flagged for an operator with errText, on the order and in the history.
func wantFlagged(t *testing.T, fx *fixture, s *sale, errText string) {
	t.Helper()
	o := fx.orderOf(t, s.transfer.ID)
	if o.Status != adapter.OrderNew || o.Call != adapter.CallCreate ||
		!strings.Contains(o.LastError, errText) || !strings.Contains(o.Attention, errText) ||
		o.FlaggedAt.IsZero() {
		t.Errorf("got order %s owing %q, error %q, flag %q at %v; want NEW owing CREATE, "+
			"flagged with %q", o.Status, o.Call, o.LastError, o.Attention, o.FlaggedAt, errText)
	}
	es := fx.events(t, s.transfer.ID)
	if last := es[len(es)-1]; !strings.Contains(last.Note, "needs an operator") ||
		last.To != adapter.AwaitingPayment {
		t.Errorf("got last event %+v, want the order flagged in AWAITING_PAYMENT", last)
	}
}

// testBlocked checks that a payment for a vehicle restricted after
// approval blocks the transfer instead of changing the owner, and is
// refunded.
func testBlocked(t *testing.T, fx *fixture) {
	s := fx.saleIn(t, adapter.AwaitingPayment)
	if _, err := fx.sql.ExecContext(fx.ctx, `INSERT INTO restrictions
		(vehicle_id, kind, authority, since) VALUES ($1, 'PLEDGE', 'test lender', $2)`,
		s.vehicleID, start); err != nil {
		t.Fatalf("add restriction: %v", err)
	}
	fx.drain(t)
	fx.bank.takePayment(s.order.ID)
	tr, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), s.confirmation())
	if err != nil {
		t.Fatalf("ConfirmPayment: %v", err)
	}
	if tr.State != adapter.Blocked || tr.CertificateNumber != "" {
		t.Errorf("got %s with certificate %q, want %s and none", tr.State, tr.CertificateNumber,
			adapter.Blocked)
	}
	if o := fx.orderOf(t, tr.ID); o.Status != adapter.OrderPaid || o.Call != adapter.CallRefund {
		t.Errorf("got order %s owing %q, want %s owing %s", o.Status, o.Call,
			adapter.OrderPaid, adapter.CallRefund)
	}

	// The outbox refunds the payment, once.
	if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 1 {
		t.Errorf("SendOrders = %d, %v; want 1, nil", n, err)
	}
	fx.drain(t)
	if n := fx.bank.callsTo("refundPayment", s.order.ID); n != 1 {
		t.Errorf("the bank got %d refunds, want 1", n)
	}
	if o := fx.orderOf(t, tr.ID); o.Status != adapter.OrderRefunded || o.Call != adapter.CallNone {
		t.Errorf("got order %s owing %q, want %s owing nothing", o.Status, o.Call,
			adapter.OrderRefunded)
	}
	if got := fx.stored(t, tr.ID); got.State != adapter.Blocked {
		t.Errorf("got %s after the refund, want %s", got.State, adapter.Blocked)
	}
	cert, err := fx.svc.RegistrationCertificate(fx.ctx, citizen(s.seller), s.vin)
	if err != nil || cert.Registration.CertificateNumber != s.cert {
		t.Errorf("seller's certificate = %q, %v; want %s unchanged",
			cert.Registration.CertificateNumber, err, s.cert)
	}
}

// testSendOrdersGoesOn checks that an order whose answer cannot be
// recorded does not hold up the rest of its batch, and that it is retried
// after a backoff, like a failed call, rather than after its lease.
func testSendOrdersGoesOn(t *testing.T, fx *fixture) {
	fx.drain(t)
	held := fx.saleIn(t, adapter.AwaitingPayment)
	fx.drain(t) // the bank holds held's order as PB-<its id>
	bad := fx.saleIn(t, adapter.AwaitingPayment)
	good := fx.saleIn(t, adapter.AwaitingPayment)
	t.Cleanup(func() { fx.bank.setReply(nil) })

	// bad is due first, so that a pass ending at its failure would never
	// reach good. The bank answers its creation with the bank id of held's
	// order, which the registry refuses to record for a second order.
	if _, err := fx.sql.ExecContext(fx.ctx, `UPDATE payment_orders
		SET next_attempt_at = next_attempt_at - interval '1 second' WHERE id = $1`,
		bad.order.ID); err != nil {
		t.Fatalf("make %s due first: %v", bad.order.ID, err)
	}
	fx.bank.setReply(func(in *bank.CreatePaymentOrder) (any, error) {
		id := "PB-" + in.OrderId
		if in.OrderId == bad.order.ID {
			id = "PB-" + held.order.ID
		}
		return &bank.CreatePaymentOrderResponse{Result: bankResult("OK"), OrderId: in.OrderId,
			BankOrderId: id, Status: "PENDING"}, nil
	})
	n, err := fx.svc.SendOrders(fx.ctx)
	if n != 2 || err == nil || !strings.Contains(err.Error(), bad.order.ID) {
		t.Fatalf("SendOrders = %d, %v; want 2 and an error naming order %s", n, err, bad.order.ID)
	}
	if o := fx.orderOf(t, good.transfer.ID); o.Status != adapter.OrderSent ||
		o.Call != adapter.CallNone {
		t.Errorf("got the next order %s owing %q, want SENT owing nothing", o.Status, o.Call)
	}
	by := fx.clock.Now().Add(2 * time.Second) // the first backoff, not the lease
	o := fx.orderOf(t, bad.transfer.ID)
	if o.Status != adapter.OrderNew || o.Call != adapter.CallCreate || o.Attempts != 1 ||
		!strings.Contains(o.LastError, "record CREATE") || o.NextAttemptAt.After(by) ||
		o.Attention != "" {
		t.Errorf("got order %s owing %q, %d attempts, error %q, next %v, flag %q; "+
			"want NEW owing CREATE, 1, the recording's error, by %v, none",
			o.Status, o.Call, o.Attempts, o.LastError, o.NextAttemptAt, o.Attention, by)
	}

	// Once the bank answers sensibly, the retry is recorded.
	fx.bank.setReply(nil)
	fx.clock.Advance(2 * time.Second)
	if n, err := fx.svc.SendOrders(fx.ctx); n != 1 || err != nil {
		t.Fatalf("SendOrders = %d, %v; want 1, nil", n, err)
	}
	o = fx.orderOf(t, bad.transfer.ID)
	if o.Status != adapter.OrderSent || o.BankOrderID != "PB-"+o.ID {
		t.Errorf("got order %s with bank id %q, want SENT as PB-%s", o.Status, o.BankOrderID, o.ID)
	}
}
