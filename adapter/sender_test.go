package adapter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/bank"
)

// testSendOrders checks the payment order sender against the test bank:
// failures are recorded on the order and retried with a growing pause,
// and a placed order is never sent again.
func testSendOrders(t *testing.T, fx *fixture) {
	s := fx.saleIn(t, adapter.AwaitingPayment)
	t.Cleanup(func() { fx.bank.setReply(nil) })
	calls := len(fx.bank.received())

	// send runs the sender once and checks how many orders the bank
	// accepted and how many calls it got.
	send := func(wantSent, wantCalls int) adapter.PaymentOrder {
		t.Helper()
		n, err := fx.svc.SendOrders(fx.ctx)
		if err != nil || n != wantSent {
			t.Fatalf("SendOrders = %d, %v; want %d, nil", n, err, wantSent)
		}
		if got := len(fx.bank.received()) - calls; got != wantCalls {
			t.Fatalf("the bank got %d calls, want %d", got, wantCalls)
		}
		calls += wantCalls
		return fx.orderOf(t, s.transfer.ID)
	}
	// failed checks an order after a failed attempt.
	failed := func(o adapter.PaymentOrder, attempts int, pause time.Duration, errText string) {
		t.Helper()
		if o.Status != adapter.OrderNew || o.Attempts != attempts ||
			!o.NextAttemptAt.Equal(fx.clock.Now().Add(pause)) ||
			!strings.Contains(o.LastError, errText) {
			t.Errorf("got order %s, %d attempts, next %v, error %q; want NEW, %d, %v, %q",
				o.Status, o.Attempts, o.NextAttemptAt, o.LastError, attempts,
				fx.clock.Now().Add(pause), errText)
		}
	}

	fx.bank.setReply(func(in *bank.CreatePaymentOrder) (any, error) {
		return &bank.CreatePaymentOrderResponse{Result: bankResult("ORDER_CONFLICT"),
			OrderId: in.OrderId}, nil
	})
	failed(send(0, 1), 1, 2*time.Second, "ORDER_CONFLICT")

	// Not due yet: nothing is sent.
	send(0, 0)

	fx.clock.Advance(2 * time.Second)
	fx.bank.setReply(func(*bank.CreatePaymentOrder) (any, error) {
		return nil, soap.NewFault("Server.Busy", "try later")
	})
	failed(send(0, 1), 2, 4*time.Second, "Server.Busy")

	fx.clock.Advance(4 * time.Second)
	fx.bank.setReply(func(in *bank.CreatePaymentOrder) (any, error) {
		return &bank.CreatePaymentOrderResponse{Result: bankResult("OK"), OrderId: "someone-else",
			BankOrderId: "PB-X"}, nil
	})
	failed(send(0, 1), 3, 8*time.Second, "answered for order")

	fx.clock.Advance(8 * time.Second)
	fx.bank.setReply(nil)
	o := send(1, 1)
	if o.Status != adapter.OrderSent || o.Attempts != 4 || o.LastError != "" ||
		o.BankOrderID != "PB-"+o.ID {
		t.Errorf("got order %s, %d attempts, error %q, bank id %q; want SENT, 4, none, PB-%s",
			o.Status, o.Attempts, o.LastError, o.BankOrderID, o.ID)
	}

	// A placed order is not sent again, however late it gets.
	fx.clock.Advance(24 * time.Hour)
	send(0, 0)

	// An order for a bank that is no longer configured waits, recorded.
	other := fx.saleIn(t, adapter.AwaitingPayment)
	if _, err := fx.sql.ExecContext(fx.ctx, `UPDATE payment_orders SET bank_code = 'GONE'
		WHERE transfer_id = $1`, other.transfer.ID); err != nil {
		t.Fatalf("move order to another bank: %v", err)
	}
	if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 0 {
		t.Fatalf("SendOrders = %d, %v; want 0, nil", n, err)
	}
	if got := len(fx.bank.received()) - calls; got != 0 {
		t.Errorf("the bank got %d calls for another bank's order, want 0", got)
	}
	if o := fx.orderOf(t, other.transfer.ID); o.Status != adapter.OrderNew ||
		!strings.Contains(o.LastError, `"GONE" is not configured`) {
		t.Errorf("got order %s with error %q, want NEW with the bank named", o.Status, o.LastError)
	}
}

// testBlocked checks that a payment for a vehicle restricted after
// approval blocks the transfer instead of changing the owner.
func testBlocked(t *testing.T, fx *fixture) {
	s := fx.saleIn(t, adapter.AwaitingPayment)
	if _, err := fx.sql.ExecContext(fx.ctx, `INSERT INTO restrictions
		(vehicle_id, kind, authority, since) VALUES ($1, 'PLEDGE', 'test lender', $2)`,
		s.vehicleID, start); err != nil {
		t.Fatalf("add restriction: %v", err)
	}
	tr, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), s.confirmation())
	if err != nil {
		t.Fatalf("ConfirmPayment: %v", err)
	}
	if tr.State != adapter.Blocked || tr.CertificateNumber != "" {
		t.Errorf("got %s with certificate %q, want %s and none", tr.State, tr.CertificateNumber,
			adapter.Blocked)
	}
	if o := fx.orderOf(t, tr.ID); o.Status != adapter.OrderPaid {
		t.Errorf("got order %s, want %s (to be refunded)", o.Status, adapter.OrderPaid)
	}
	cert, err := fx.svc.RegistrationCertificate(fx.ctx, citizen(s.seller), s.vin)
	if err != nil || cert.Registration.CertificateNumber != s.cert {
		t.Errorf("seller's certificate = %q, %v; want %s unchanged",
			cert.Registration.CertificateNumber, err, s.cert)
	}
}
