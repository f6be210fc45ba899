package adapter_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// TestWorkflow runs the workflow's paths one after another on one
// registry; each leaves no open transfer behind.
func TestWorkflow(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	t.Run("whole transfer", func(t *testing.T) { testTransferCompletes(t, fx) })
	t.Run("repeated payment callback", func(t *testing.T) { testConfirmPaymentTwice(t, fx) })
	t.Run("reject and retake", func(t *testing.T) { testRejectAndRetake(t, fx) })
	t.Run("cancel", func(t *testing.T) { testCancel(t, fx) })
	t.Run("blocked by a late restriction", func(t *testing.T) { testBlocked(t, fx) })
	t.Run("order sender", func(t *testing.T) { testSendOrders(t, fx) })
	t.Run("order sender goes on past an order it cannot record",
		func(t *testing.T) { testSendOrdersGoesOn(t, fx) })
}

// testTransferCompletes drives one sale from offer to new certificate
// through the domain API and checks what each step leaves in the registry.
func testTransferCompletes(t *testing.T, fx *fixture) {
	ctx := fx.ctx
	s := fx.newSale(t)

	// Before: the vehicle is free.
	rep, err := fx.svc.CheckVehicle(ctx, citizen(s.buyer), adapter.VehicleQuery{VIN: adapter.VIN(s.vin)})
	if err != nil {
		t.Fatalf("CheckVehicle: %v", err)
	}
	if rep.OpenTransfer || len(rep.Restrictions) > 0 || rep.Vehicle.ID != s.vehicleID {
		t.Fatalf("got report %+v, want vehicle %d free", rep, s.vehicleID)
	}
	sellerInitials := rep.OwnerMasked

	// 1. The seller offers it.
	fx.initiate(t, s)
	tr := s.transfer
	if tr.State != adapter.AwaitingBuyer || tr.Price != 350000_00 || tr.VIN != s.vin ||
		tr.SellerPIN != s.seller || tr.BuyerPIN != s.buyer {
		t.Fatalf("got transfer %+v after initiation", tr)
	}
	if want := start.Add(deadlines.Acceptance); !tr.Deadline.Equal(want) {
		t.Errorf("got acceptance deadline %v, want %v", tr.Deadline, want)
	}
	if got := fx.stored(t, tr.ID); got.State != adapter.AwaitingBuyer || !got.CreatedAt.Equal(start) {
		t.Errorf("stored %s created %v, want %s at %v", got.State, got.CreatedAt, adapter.AwaitingBuyer, start)
	}
	rep, err = fx.svc.CheckVehicle(ctx, citizen(s.outsider), adapter.VehicleQuery{VIN: adapter.VIN(s.vin)})
	if err != nil || !rep.OpenTransfer {
		t.Errorf("got OpenTransfer %v (%v) after initiation, want true", rep.OpenTransfer, err)
	}

	// 2. The buyer accepts and names a bank.
	fx.clock.Advance(time.Hour)
	tr, err = fx.svc.AcceptTransfer(ctx, citizen(s.buyer), tr.ID, " pilot ")
	if err != nil {
		t.Fatalf("AcceptTransfer: %v", err)
	}
	if tr.State != adapter.AwaitingPhotos || tr.BuyerBankCode != "PILOT" {
		t.Fatalf("got %s with bank %q, want %s with PILOT", tr.State, tr.BuyerBankCode, adapter.AwaitingPhotos)
	}
	if want := start.Add(time.Hour + deadlines.Photos); !tr.Deadline.Equal(want) {
		t.Errorf("got photo deadline %v, want %v", tr.Deadline, want)
	}
	s.transfer = tr

	// 3. The owner uploads photos; the inspection subsystem sees them.
	fx.clock.Advance(time.Hour)
	photos := goodPhotos()
	tr, n, err := fx.svc.UploadVINPhotos(ctx, citizen(s.seller), tr.ID, photos)
	if err != nil {
		t.Fatalf("UploadVINPhotos: %v", err)
	}
	if tr.State != adapter.AwaitingInspection || n != 2 {
		t.Fatalf("got %s and %d photos, want %s and 2", tr.State, n, adapter.AwaitingInspection)
	}
	pending, err := fx.svc.PendingInspections(ctx, inspector(), 0)
	if err != nil {
		t.Fatalf("PendingInspections: %v", err)
	}
	if len(pending) != 1 || pending[0].Transfer.ID != tr.ID || pending[0].PhotoCount != 2 ||
		pending[0].Vehicle.VIN != s.vin {
		t.Fatalf("got pending %+v, want only %s with 2 photos", pending, tr.ID)
	}
	stored, err := fx.svc.VINPhotos(ctx, inspector(), tr.ID)
	if err != nil {
		t.Fatalf("VINPhotos: %v", err)
	}
	if len(stored) != 2 {
		t.Fatalf("got %d stored photos, want 2", len(stored))
	}
	for i, p := range stored {
		sum := sha256.Sum256(photos[i].Content)
		if p.Kind != photos[i].Kind || p.ContentType != photos[i].ContentType ||
			!bytes.Equal(p.Content, photos[i].Content) || p.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("photo %d: got %s %s sha %s, want %s %s sha %x", i, p.Kind, p.ContentType,
				p.SHA256, photos[i].Kind, photos[i].ContentType, sum)
		}
		if strings.Contains(p.UploadedBy, string(s.seller)) || p.UploadedBy != s.seller.Masked() {
			t.Errorf("photo %d uploaded by %q, want the masked PIN %q", i, p.UploadedBy, s.seller.Masked())
		}
	}

	// 4. The inspector approves, reading the VIN in lower case with a
	// Cyrillic look-alike; the adapter writes the payment order.
	fx.clock.Advance(time.Hour)
	observed := strings.ToLower(s.vin[:3]) + "-" + s.vin[3:]
	tr, order, err := fx.svc.SubmitInspection(ctx, inspector(), adapter.InspectionRequest{
		TransferID: tr.ID, InspectorID: "INS-0042", Decision: "approve", ObservedVIN: observed,
	})
	if err != nil {
		t.Fatalf("SubmitInspection: %v", err)
	}
	if tr.State != adapter.AwaitingPayment {
		t.Fatalf("got %s, want %s", tr.State, adapter.AwaitingPayment)
	}
	if !regexp.MustCompile(`^[A-HJ-NP-Z2-9]{8}$`).MatchString(tr.ApprovalCode) {
		t.Errorf("got approval code %q, want 8 unambiguous characters", tr.ApprovalCode)
	}
	if order == nil {
		t.Fatal("got no payment order on approval")
	}
	if order.Amount != 350000_00+stateFee+serviceFee || order.Amount.String() != "351350.00" ||
		order.Price != tr.Price || order.StateFee != stateFee || order.ServiceFee != serviceFee ||
		order.BankCode != "PILOT" || order.PayerPIN != s.buyer || order.Status != adapter.OrderNew {
		t.Errorf("got order %+v", *order)
	}
	if want := start.Add(3*time.Hour + deadlines.Payment); !tr.Deadline.Equal(want) ||
		!order.ExpiresAt.Equal(want) {
		t.Errorf("got payment deadline %v, order expiry %v, want %v", tr.Deadline, order.ExpiresAt, want)
	}
	s.transfer, s.order = tr, order

	// 5. The order goes to the buyer's bank over the wire.
	earlier := len(fx.bank.received())
	sent, err := fx.svc.SendOrders(ctx)
	if err != nil || sent != 1 {
		t.Fatalf("SendOrders = %d, %v; want 1, nil", sent, err)
	}
	calls := fx.bank.received()[earlier:]
	if len(calls) != 1 {
		t.Fatalf("the bank got %d calls, want 1", len(calls))
	}
	c := calls[0]
	if c.Header.Client.String() != adapterID.String() ||
		c.Header.Service.String() != bankID.String()+"/createPaymentOrder/v1" ||
		c.Header.UserID != "KG"+string(s.buyer) || c.Header.ID == "" {
		t.Errorf("got bank call header %+v", c.Header)
	}
	if o := c.Order; o.OrderId != order.ID || o.TransferId != tr.ID || o.Amount != "351350.00" ||
		o.PayerPin != string(s.buyer) || o.Breakdown == nil || o.Breakdown.Price != "350000.00" ||
		o.Breakdown.StateFee != "1200.00" || o.Breakdown.ServiceFee != "150.00" ||
		o.Payee == nil || o.Payee.AccountNumber != "1280010012345678" ||
		o.ExpiresAt != order.ExpiresAt.Format("2006-01-02T15:04:05Z") {
		t.Errorf("got bank order %+v", o)
	}
	// The call is done: the order owes the bank nothing more.
	if got := fx.orderOf(t, tr.ID); got.Status != adapter.OrderSent ||
		got.BankOrderID != "PB-"+order.ID || got.Call != adapter.CallNone || got.Attempts != 0 ||
		got.LastError != "" {
		t.Errorf("got order %s, bank id %q, call %q, %d attempts, error %q after sending; "+
			"want SENT, PB-%s, none, 0, none", got.Status, got.BankOrderID, got.Call,
			got.Attempts, got.LastError, order.ID)
	}

	// The paying bank may read the transfer.
	st, err := fx.svc.TransferStatus(ctx, bankCaller("PILOT"), tr.ID)
	if err != nil || st.Order == nil || st.Order.ID != order.ID {
		t.Fatalf("TransferStatus for the bank = %+v, %v", st, err)
	}

	// 6. The bank confirms payment: the owner changes.
	fx.clock.Advance(time.Hour)
	fx.pay(t, s)
	tr = s.transfer
	if tr.State != adapter.Completed {
		t.Fatalf("got %s after payment, want %s", tr.State, adapter.Completed)
	}
	checkOwnerChanged(t, fx, s)

	if got := fx.orderOf(t, tr.ID); got.Status != adapter.OrderPaid ||
		got.BankReference != "PB-REF-1" || !got.PaidAt.Equal(start.Add(time.Hour)) {
		t.Errorf("got order %s ref %q paid %v, want PAID PB-REF-1 at %v",
			got.Status, got.BankReference, got.PaidAt, start.Add(time.Hour))
	}

	// The history names every step, without a full PIN.
	events := fx.events(t, tr.ID)
	want := []adapter.State{"", adapter.AwaitingBuyer, adapter.AwaitingPhotos,
		adapter.AwaitingInspection, adapter.AwaitingPayment, adapter.Completed}
	if len(events) != len(want)-1 {
		t.Fatalf("got %d events, want %d", len(events), len(want)-1)
	}
	for i, e := range events {
		if e.From != want[i] || e.To != want[i+1] {
			t.Errorf("event %d: got %q -> %q, want %q -> %q", i, e.From, e.To, want[i], want[i+1])
		}
		if e.MessageID == "" || e.Client == "" {
			t.Errorf("event %d has no message id or client: %+v", i, e)
		}
		if strings.Contains(e.UserID, string(s.seller)) || strings.Contains(e.UserID, string(s.buyer)) {
			t.Errorf("event %d carries a full PIN: %q", i, e.UserID)
		}
	}
	if e := events[0]; e.UserID != "KG"+s.seller.Masked() || e.Client != portal {
		t.Errorf("creation event by %q via %q, want %q via %q", e.UserID, e.Client,
			"KG"+s.seller.Masked(), portal)
	}

	// After: the buyer holds the certificate; the seller does not.
	cert, err := fx.svc.RegistrationCertificate(ctx, citizen(s.buyer), s.vin)
	if err != nil {
		t.Fatalf("RegistrationCertificate for the buyer: %v", err)
	}
	if cert.Registration.CertificateNumber != tr.CertificateNumber ||
		cert.Registration.Owner.PIN != s.buyer || cert.Vehicle.VIN != s.vin {
		t.Errorf("got certificate %+v, want %s of %s", cert.Registration, tr.CertificateNumber, s.vin)
	}
	_, err = fx.svc.RegistrationCertificate(ctx, citizen(s.seller), s.vin)
	wantCode(t, err, adapter.NotOwner)

	rep, err = fx.svc.CheckVehicle(ctx, citizen(s.outsider), adapter.VehicleQuery{VIN: adapter.VIN(s.vin)})
	if err != nil || rep.OpenTransfer {
		t.Errorf("got report %+v (%v) after completion, want no open transfer", rep, err)
	}
	var buyerName string
	if err := fx.sql.QueryRowContext(ctx, `SELECT name FROM persons WHERE pin = $1`,
		string(s.buyer)).Scan(&buyerName); err != nil {
		t.Fatalf("buyer's name: %v", err)
	}
	if want := initials(buyerName); rep.OwnerMasked != want {
		t.Errorf("got owner %q after completion, want the buyer's initials %q (seller's %q)",
			rep.OwnerMasked, want, sellerInitials)
	}
}

// initials reduces a name to the first letter of each part: "Асанов
// Бакыт" is "А. Б.".
func initials(name string) string {
	var parts []string
	for _, f := range strings.Fields(name) {
		parts = append(parts, string([]rune(f)[:1])+".")
	}
	return strings.Join(parts, " ")
}

// checkOwnerChanged checks the registrations of a completed sale: exactly
// one current, the buyer's, with a new certificate number, opened by the
// transfer; the seller's closed at completion.
func checkOwnerChanged(t *testing.T, fx *fixture, s *sale) {
	t.Helper()
	tr := s.transfer
	if !regexp.MustCompile(`^KG[0-9]{8}$`).MatchString(tr.CertificateNumber) ||
		tr.CertificateNumber == s.cert {
		t.Errorf("got certificate %q, want a new KG number (old %s)", tr.CertificateNumber, s.cert)
	}
	rows, err := fx.sql.QueryContext(fx.ctx, `SELECT owner_pin, certificate_number,
			until IS NULL, coalesce(until, 'epoch'), coalesce(transfer_id, '')
		FROM registrations WHERE vehicle_id = $1 ORDER BY id`, s.vehicleID)
	if err != nil {
		t.Fatalf("registrations: %v", err)
	}
	defer rows.Close()
	var current, sellerClosed int
	for rows.Next() {
		var (
			owner, cert, transfer string
			open                  bool
			until                 time.Time
		)
		if err := rows.Scan(&owner, &cert, &open, &until, &transfer); err != nil {
			t.Fatalf("scan registration: %v", err)
		}
		switch {
		case open:
			current++
			if owner != string(s.buyer) || cert != tr.CertificateNumber || transfer != tr.ID {
				t.Errorf("current registration: owner %s cert %s transfer %q, want %s %s %s",
					owner, cert, transfer, s.buyer, tr.CertificateNumber, tr.ID)
			}
		case owner == string(s.seller) && cert == s.cert:
			sellerClosed++
			if !until.Equal(fx.clock.Now()) {
				t.Errorf("seller's registration closed at %v, want %v", until, fx.clock.Now())
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("registrations: %v", err)
	}
	if current != 1 || sellerClosed != 1 {
		t.Errorf("got %d current registrations and %d closed of the seller, want 1 and 1",
			current, sellerClosed)
	}
}

// testConfirmPaymentTwice checks that a repeated callback answers as the
// first and changes nothing.
func testConfirmPaymentTwice(t *testing.T, fx *fixture) {
	s := fx.saleIn(t, adapter.Completed)
	before := fx.fingerprint(t)

	fx.clock.Advance(time.Hour)
	tr, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), s.confirmation())
	if err != nil {
		t.Fatalf("second ConfirmPayment: %v", err)
	}
	if tr.State != adapter.Completed || tr.CertificateNumber != s.transfer.CertificateNumber {
		t.Errorf("got %s with certificate %q, want %s with %q", tr.State, tr.CertificateNumber,
			adapter.Completed, s.transfer.CertificateNumber)
	}
	if after := fx.fingerprint(t); after != before {
		t.Errorf("the repeated confirmation changed the registry: %s -> %s", before, after)
	}

	// The same order paid again under another bank reference is a second
	// payment: refused, so the bank reverses it, and nothing changes.
	second := s.confirmation()
	second.BankReference += "-AGAIN"
	_, err = fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), second)
	if got := adapter.CodeOf(err); got != adapter.AlreadyPaid {
		t.Errorf("second payment: got %q (%v), want %q", got, err, adapter.AlreadyPaid)
	}
	if after := fx.fingerprint(t); after != before {
		t.Errorf("the second payment changed the registry: %s -> %s", before, after)
	}
}

// testRejectAndRetake follows the inspector's other two decisions.
func testRejectAndRetake(t *testing.T, fx *fixture) {

	t.Run("REJECT ends the transfer and frees the vehicle", func(t *testing.T) {
		s := fx.saleIn(t, adapter.Rejected)
		if s.order != nil {
			t.Errorf("got order %+v on rejection, want none", s.order)
		}
		if got := fx.stored(t, s.transfer.ID); got.State != adapter.Rejected || !got.Deadline.IsZero() {
			t.Errorf("stored %s with deadline %v, want %s and none", got.State, got.Deadline, adapter.Rejected)
		}
		var n int
		err := fx.sql.QueryRowContext(fx.ctx, `SELECT count(*) FROM inspections
			WHERE transfer_id = $1 AND decision = 'REJECT' AND inspector_id = 'INS-0042'`,
			s.transfer.ID).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("got %d REJECT inspections (%v), want 1", n, err)
		}
		// The seller may offer the vehicle again.
		again, err := fx.svc.InitiateTransfer(fx.ctx, citizen(s.seller), s.request())
		if err != nil {
			t.Fatalf("InitiateTransfer after rejection: %v", err)
		}
		s.transfer = again
	})

	t.Run("RETAKE asks for new photos and then approval works", func(t *testing.T) {
		s := fx.saleIn(t, adapter.AwaitingInspection)
		fx.inspect(t, s, adapter.Retake)
		if s.transfer.State != adapter.AwaitingPhotos || s.order != nil {
			t.Fatalf("got %s with order %v, want %s and none", s.transfer.State, s.order, adapter.AwaitingPhotos)
		}
		photos, err := fx.svc.VINPhotos(fx.ctx, inspector(), s.transfer.ID)
		if err != nil || len(photos) != 0 {
			t.Errorf("got %d photos (%v) after RETAKE, want 0", len(photos), err)
		}
		pending, err := fx.svc.PendingInspections(fx.ctx, inspector(), 10)
		if err != nil || len(pending) != 0 {
			t.Errorf("got %d pending (%v) after RETAKE, want 0", len(pending), err)
		}
		fx.upload(t, s)
		fx.inspect(t, s, adapter.Approve)
		if s.transfer.State != adapter.AwaitingPayment || s.order == nil {
			t.Fatalf("got %s with order %v after retake and approval", s.transfer.State, s.order)
		}
		var decisions string
		err = fx.sql.QueryRowContext(fx.ctx, `SELECT string_agg(decision, ',' ORDER BY id)
			FROM inspections WHERE transfer_id = $1`, s.transfer.ID).Scan(&decisions)
		if err != nil || decisions != "RETAKE,APPROVE" {
			t.Errorf("got decisions %q (%v), want RETAKE,APPROVE", decisions, err)
		}
	})
}

// testCancel checks cancelling by either party before payment.
func testCancel(t *testing.T, fx *fixture) {

	t.Run("buyer cancels before accepting", func(t *testing.T) {
		s := fx.saleIn(t, adapter.AwaitingBuyer)
		tr, err := fx.svc.CancelTransfer(fx.ctx, citizen(s.buyer), s.transfer.ID, "  found another car  ")
		if err != nil {
			t.Fatalf("CancelTransfer: %v", err)
		}
		if tr.State != adapter.Cancelled {
			t.Fatalf("got %s, want %s", tr.State, adapter.Cancelled)
		}
		es := fx.events(t, tr.ID)
		if last := es[len(es)-1]; last.To != adapter.Cancelled || last.Note != "found another car" {
			t.Errorf("got last event %+v, want CANCELLED with the reason", last)
		}
	})

	t.Run("cancel after approval withdraws the unsent order", func(t *testing.T) {
		fx.drain(t)
		s := fx.saleIn(t, adapter.AwaitingPayment)
		fx.cancel(t, s)
		if s.transfer.State != adapter.Cancelled {
			t.Fatalf("got %s, want %s", s.transfer.State, adapter.Cancelled)
		}
		if o := fx.orderOf(t, s.transfer.ID); o.Status != adapter.OrderCancelled ||
			o.Call != adapter.CallCancel {
			t.Errorf("got order %s owing %q, want %s owing %s", o.Status, o.Call,
				adapter.OrderCancelled, adapter.CallCancel)
		}
		// A cancelled order is never created at the bank; its cancellation
		// is owed all the same, since an attempt may have reached the bank.
		if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 1 {
			t.Errorf("SendOrders = %d, %v; want 1, nil", n, err)
		}
		if c, x := fx.bank.callsTo("createPaymentOrder", s.order.ID),
			fx.bank.callsTo("cancelPaymentOrder", s.order.ID); c != 0 || x != 1 {
			t.Errorf("the bank got %d creations and %d cancellations, want 0 and 1", c, x)
		}
		if o := fx.orderOf(t, s.transfer.ID); o.Status != adapter.OrderCancelled ||
			o.Call != adapter.CallNone || o.Attention != "" {
			t.Errorf("got order %s owing %q, flag %q; want %s owing nothing", o.Status, o.Call,
				o.Attention, adapter.OrderCancelled)
		}

		// Paying it now is accepted, leaves the transfer cancelled and the
		// seller the owner, and queues a refund.
		owner := fx.ownerOf(t, s)
		fx.bank.takePayment(s.order.ID)
		tr, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), s.confirmation())
		if err != nil || tr.State != adapter.Cancelled {
			t.Fatalf("late ConfirmPayment = %s, %v; want %s, nil", tr.State, err, adapter.Cancelled)
		}
		if got := fx.ownerOf(t, s); got != owner || got != s.seller {
			t.Errorf("got owner %s after a late payment, want the seller %s", got, s.seller)
		}
		if o := fx.orderOf(t, s.transfer.ID); o.Status != adapter.OrderPaid ||
			o.Call != adapter.CallRefund {
			t.Errorf("got order %s owing %q, want %s owing %s", o.Status, o.Call,
				adapter.OrderPaid, adapter.CallRefund)
		}
		es := fx.events(t, tr.ID)
		if last := es[len(es)-1]; last.From != adapter.Cancelled || last.To != adapter.Cancelled ||
			!strings.Contains(last.Note, "refund queued") {
			t.Errorf("got last event %+v, want a refund queued in CANCELLED", last)
		}

		// A repeated callback changes nothing: one refund is owed.
		fp := fx.fingerprint(t)
		if _, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), s.confirmation()); err != nil {
			t.Errorf("repeated late ConfirmPayment: %v", err)
		}
		if after := fx.fingerprint(t); after != fp {
			t.Errorf("a repeated late payment changed the registry: %s -> %s", fp, after)
		}

		// The outbox refunds it once.
		if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 1 {
			t.Errorf("SendOrders = %d, %v; want 1, nil", n, err)
		}
		fx.drain(t)
		if n := fx.bank.callsTo("refundPayment", s.order.ID); n != 1 {
			t.Errorf("the bank got %d refunds, want 1", n)
		}
		if o := fx.orderOf(t, s.transfer.ID); o.Status != adapter.OrderRefunded ||
			o.Call != adapter.CallNone || o.RefundID != "RF-"+s.order.ID {
			t.Errorf("got order %s owing %q, refund %q; want %s owing nothing, RF-%s",
				o.Status, o.Call, o.RefundID, adapter.OrderRefunded, s.order.ID)
		}
		if got := fx.bank.statusOf(s.order.ID); got != "REFUNDED" {
			t.Errorf("the bank holds the order as %s, want REFUNDED", got)
		}
	})

	t.Run("cancel after the order was sent cancels it at the bank", func(t *testing.T) {
		fx.drain(t)
		s := fx.saleIn(t, adapter.AwaitingPayment)
		if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 1 {
			t.Fatalf("SendOrders = %d, %v; want 1, nil", n, err)
		}
		fx.cancel(t, s)
		if o := fx.orderOf(t, s.transfer.ID); o.Status != adapter.OrderCancelled ||
			o.Call != adapter.CallCancel {
			t.Errorf("got order %s owing %q, want %s owing %s", o.Status, o.Call,
				adapter.OrderCancelled, adapter.CallCancel)
		}
		if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 1 {
			t.Errorf("SendOrders = %d, %v; want 1, nil", n, err)
		}
		if n := fx.bank.callsTo("cancelPaymentOrder", s.order.ID); n != 1 {
			t.Errorf("the bank got %d cancellations, want 1", n)
		}
		if got := fx.bank.statusOf(s.order.ID); got != "CANCELLED" {
			t.Errorf("the bank holds the order as %s, want CANCELLED", got)
		}
		if o := fx.orderOf(t, s.transfer.ID); o.Status != adapter.OrderCancelled ||
			o.Call != adapter.CallNone {
			t.Errorf("got order %s owing %q, want %s owing nothing", o.Status, o.Call,
				adapter.OrderCancelled)
		}
		// Nothing more is owed.
		if n, err := fx.svc.SendOrders(fx.ctx); err != nil || n != 0 {
			t.Errorf("SendOrders = %d, %v; want 0, nil", n, err)
		}
	})
}
