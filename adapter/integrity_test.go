package adapter_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// Integrity tests against a real PostgreSQL registry: races, deadlines,
// risk signals and the daily limit. Helpers carry an "ig" prefix so that
// they stay apart from the other tests of this package.

// igSale is a vehicle that may be sold, its owner and a buyer.
type igSale struct {
	VIN, Cert     string
	Seller, Buyer adapter.PIN
}

// igWorld is a seeded registry with a Service over it and a clock the test
// moves.
type igWorld struct {
	db    *registry.DB
	banks adapter.Banks
	pilot *testBank // the PILOT bank behind banks
	svc   *adapter.Service
	sales []igSale
	next  atomic.Int64
	made  atomic.Int64 // sellers giveVehicles made
	now   atomic.Pointer[time.Time]
	ids   atomic.Int64
}

// take hands out the next unused sale; subtests sharing a world never
// touch each other's vehicles or people.
func (w *igWorld) take(tb testing.TB) igSale {
	tb.Helper()
	i := int(w.next.Add(1)) - 1
	if i >= len(w.sales) {
		return w.giveVehicles(tb, 1)[0]
	}
	return w.sales[i]
}

func igNew(tb testing.TB, cfg adapter.Config) *igWorld {
	tb.Helper()
	w := &igWorld{db: registrytest.New(tb)}
	w.banks, w.pilot = newTestBanks(tb)
	ctx := context.Background()
	if _, err := registry.SeedDemo(ctx, w.db, 1); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	start := time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)
	w.now.Store(&start)
	w.svc = w.service(cfg)
	w.sales = igSales(tb, w.db)
	return w
}

// service returns another Service on the same registry and clock, as a
// second adapter process would have.
func (w *igWorld) service(cfg adapter.Config) *adapter.Service {
	s := adapter.New(w.db, w.banks, cfg)
	s.Now = func() time.Time { return *w.now.Load() }
	return s
}

func (w *igWorld) advance(d time.Duration) {
	t := w.now.Load().Add(d)
	w.now.Store(&t)
}

// igSales lists the unrestricted vehicles with a VIN, each with its owner,
// paired with buyers who own nothing.
func igSales(tb testing.TB, db *registry.DB) []igSale {
	tb.Helper()
	rows, err := db.SQL().Query(`
		SELECT v.vin, r.certificate_number, r.owner_pin
		FROM vehicles v JOIN registrations r ON r.vehicle_id = v.id AND r.until IS NULL
		WHERE v.vin IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM restrictions x WHERE x.vehicle_id = v.id AND x.lifted_at IS NULL)
		  AND r.owner_pin IN (SELECT owner_pin FROM registrations WHERE until IS NULL
		                      GROUP BY owner_pin HAVING count(*) = 1)
		ORDER BY v.id`)
	if err != nil {
		tb.Fatalf("list vehicles: %v", err)
	}
	defer rows.Close()
	var sales []igSale
	for rows.Next() {
		var s igSale
		if err := rows.Scan(&s.VIN, &s.Cert, &s.Seller); err != nil {
			tb.Fatalf("scan: %v", err)
		}
		sales = append(sales, s)
	}
	if len(sales) < 16 {
		tb.Fatalf("seed has %d sellable vehicles, want at least 16", len(sales))
	}
	// Each sale gets a buyer of its own, so no buyer's limits or ownership
	// tie two sales together.
	buyers := make([]adapter.PIN, len(sales))
	for i := range buyers {
		buyers[i] = adapter.PIN(fmt.Sprintf("2150619907%04d", i))
		_, err := db.SQL().Exec(`INSERT INTO persons (pin, name, birth_date)
			VALUES ($1, $2, '1990-06-15')`, string(buyers[i]), fmt.Sprintf("Buyer %d", i))
		if err != nil {
			tb.Fatalf("add buyer: %v", err)
		}
	}
	for i := range sales {
		sales[i].Buyer = buyers[i]
	}
	return sales
}

func (w *igWorld) citizen(pin adapter.PIN) adapter.Caller {
	return adapter.Caller{Client: "central-server/GOV/70000001/tunduk-portal",
		Role: adapter.RoleCitizen, UserID: "KG" + string(pin),
		MessageID: fmt.Sprintf("m-%d", w.ids.Add(1))}
}

func (w *igWorld) inspector() adapter.Caller {
	return adapter.Caller{Client: "central-server/GOV/70000005/inspection",
		Role: adapter.RoleInspector, MessageID: fmt.Sprintf("m-%d", w.ids.Add(1))}
}

func (w *igWorld) bank() adapter.Caller {
	return adapter.Caller{Client: "central-server/COM/60000001/payments", Role: adapter.RoleBank,
		BankCode: "PILOT", MessageID: fmt.Sprintf("m-%d", w.ids.Add(1))}
}

func (w *igWorld) initiate(s igSale) (adapter.Transfer, error) {
	return w.initiateWith(w.svc, s)
}

func (w *igWorld) initiateWith(svc *adapter.Service, s igSale) (adapter.Transfer, error) {
	return svc.InitiateTransfer(context.Background(), w.citizen(s.Seller), adapter.InitiateRequest{
		VIN: s.VIN, CertificateNumber: s.Cert, SellerPIN: string(s.Seller),
		BuyerPIN: string(s.Buyer), Price: "350000.00",
		SellerAccount: adapter.Account{BankCode: "PILOT", Number: "1234567890123456"},
	})
}

// igPNG is a small PNG-signed photo; distinct tags give distinct hashes.
func igPNG(tag string) adapter.PhotoUpload {
	return adapter.PhotoUpload{Kind: adapter.PhotoVINPlate, ContentType: "image/png",
		Content: []byte("\x89PNG\r\n\x1a\n" + tag)}
}

// toInspection initiates, accepts and uploads a photo with tag.
func (w *igWorld) toInspection(tb testing.TB, s igSale, tag string) adapter.Transfer {
	tb.Helper()
	ctx := context.Background()
	t, err := w.initiate(s)
	if err != nil {
		tb.Fatalf("initiate %s: %v", s.VIN, err)
	}
	if _, err := w.svc.AcceptTransfer(ctx, w.citizen(s.Buyer), t.ID, "PILOT"); err != nil {
		tb.Fatalf("accept: %v", err)
	}
	t, _, err = w.svc.UploadVINPhotos(ctx, w.citizen(s.Seller), t.ID,
		[]adapter.PhotoUpload{igPNG(tag)})
	if err != nil {
		tb.Fatalf("upload: %v", err)
	}
	return t
}

// toPayment brings a sale to AwaitingPayment and returns its order.
func (w *igWorld) toPayment(tb testing.TB, s igSale) (adapter.Transfer, adapter.PaymentOrder) {
	tb.Helper()
	t := w.toInspection(tb, s, s.VIN)
	t, o, err := w.svc.SubmitInspection(context.Background(), w.inspector(), adapter.InspectionRequest{
		TransferID: t.ID, InspectorID: "INS-1", Decision: "APPROVE", ObservedVIN: s.VIN,
	})
	if err != nil || o == nil {
		tb.Fatalf("approve: order %v, %v", o, err)
	}
	return t, *o
}

// confirm is the bank taking the buyer's payment and calling back.
func (w *igWorld) confirm(t adapter.Transfer, o adapter.PaymentOrder) (adapter.Transfer, error) {
	w.pilot.takePayment(o.ID)
	return w.svc.ConfirmPayment(context.Background(), w.bank(), adapter.PaymentConfirmation{
		OrderID: o.ID, TransferID: t.ID, Amount: o.Amount.String(), BankReference: "REF-" + o.ID,
		PaidAt: *w.now.Load(),
	})
}

// drain makes every bank call the outbox owes now.
func (w *igWorld) drain(tb testing.TB) {
	tb.Helper()
	for range 10 {
		n, err := w.svc.SendOrders(context.Background())
		if err != nil {
			tb.Fatalf("SendOrders: %v", err)
		}
		if n == 0 {
			return
		}
	}
	tb.Fatal("the outbox still owes calls after 10 rounds")
}

// order returns the status of an order and the call it owes.
func (w *igWorld) order(tb testing.TB, id string) (adapter.OrderStatus, adapter.Call) {
	tb.Helper()
	var status, call string
	if err := w.db.SQL().QueryRow(`SELECT status, pending_call FROM payment_orders
		WHERE id = $1`, id).Scan(&status, &call); err != nil {
		tb.Fatalf("order %s: %v", id, err)
	}
	return adapter.OrderStatus(status), adapter.Call(call)
}

func (w *igWorld) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := w.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

func (w *igWorld) state(tb testing.TB, id string) adapter.State {
	tb.Helper()
	var s string
	if err := w.db.SQL().QueryRow(`SELECT state FROM transfers WHERE id = $1`, id).Scan(&s); err != nil {
		tb.Fatalf("state of %s: %v", id, err)
	}
	return adapter.State(s)
}

// TestIntegrity shares one seeded database among its subtests, each on
// vehicles of its own, to keep the suite quick.
func TestIntegrity(t *testing.T) {
	w := igNew(t, adapter.Config{})
	t.Run("fifty concurrent initiations make one transfer", w.testFiftyInitiations)
	t.Run("confirmPayment racing cancelTransfer leaves one outcome", w.testConfirmRacingCancel)
	t.Run("completed transfer has one current registration", w.testCompletion)
	t.Run("sweeper expires overdue transfers", w.testSweeper)
	t.Run("risk signals", w.testRiskSignals)
	t.Run("daily limit of a seller", w.testDailyLimit)
}

func (w *igWorld) testFiftyInitiations(t *testing.T) {
	s := w.take(t)

	const n = 50
	codes := make([]adapter.Code, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.initiate(s)
			codes[i] = adapter.CodeOf(err)
		}()
	}
	wg.Wait()

	tally := map[adapter.Code]int{}
	for _, c := range codes {
		tally[c]++
	}
	if tally[adapter.OK] != 1 || tally[adapter.TransferExists] != n-1 {
		t.Errorf("got results %v, want 1 OK and %d TRANSFER_EXISTS", tally, n-1)
	}
	got := w.count(t, `SELECT count(*) FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id
		WHERE v.vin = $1`, s.VIN)
	if got != 1 {
		t.Errorf("got %d transfers of the vehicle, want 1", got)
	}
	if got := w.count(t, `SELECT count(*) FROM transfer_events e JOIN transfers t
		ON t.id = e.transfer_id JOIN vehicles v ON v.id = t.vehicle_id WHERE v.vin = $1`,
		s.VIN); got != 1 {
		t.Errorf("got %d events, want 1 (one creation)", got)
	}
}

// testConfirmRacingCancel races the bank's confirmation of a sent order
// against the buyer's cancellation. Either the payment wins (COMPLETED, the
// buyer owns, the order PAID and never refunded) or the cancellation does
// (CANCELLED, the seller owns, the late payment accepted and refunded once).
// Never a completed transfer with a refund, never a payment kept without
// completion.
func (w *igWorld) testConfirmRacingCancel(t *testing.T) {
	outcomes := map[adapter.State]int{}
	for range 6 {
		s := w.take(t)
		tr, o := w.toPayment(t, s)
		w.drain(t) // the bank holds the order
		var (
			wg                  sync.WaitGroup
			confirmErr, cancErr error
		)
		wg.Add(2)
		go func() { defer wg.Done(); _, confirmErr = w.confirm(tr, o) }()
		go func() {
			defer wg.Done()
			_, cancErr = w.svc.CancelTransfer(context.Background(), w.citizen(s.Buyer), tr.ID, "changed mind")
		}()
		wg.Wait()

		st := w.state(t, tr.ID)
		outcomes[st]++
		owner := ""
		if err := w.db.SQL().QueryRow(`SELECT r.owner_pin FROM registrations r
			JOIN vehicles v ON v.id = r.vehicle_id WHERE v.vin = $1 AND r.until IS NULL`,
			s.VIN).Scan(&owner); err != nil {
			t.Fatalf("owner: %v", err)
		}
		status, call := w.order(t, o.ID)
		switch st {
		case adapter.Completed:
			if confirmErr != nil || adapter.CodeOf(cancErr) != adapter.InvalidState ||
				owner != string(s.Buyer) || status != adapter.OrderPaid || call != adapter.CallNone {
				t.Errorf("completed: confirm %v, cancel %v, owner buyer %v, order %s owing %q; "+
					"want OK, INVALID_STATE, true, PAID owing nothing", confirmErr, cancErr,
					owner == string(s.Buyer), status, call)
			}
		case adapter.Cancelled:
			// The payment came second: accepted, and its refund queued.
			if cancErr != nil || confirmErr != nil || owner != string(s.Seller) ||
				status != adapter.OrderPaid || call != adapter.CallRefund {
				t.Errorf("cancelled: confirm %v, cancel %v, owner seller %v, order %s owing %q; "+
					"want OK, OK, true, PAID owing REFUND", confirmErr, cancErr,
					owner == string(s.Seller), status, call)
			}
		default:
			t.Errorf("got state %s, want COMPLETED or CANCELLED (confirm %v, cancel %v)",
				st, confirmErr, cancErr)
		}

		// The outbox settles what is owed: a refund only for the cancelled.
		w.drain(t)
		status, call = w.order(t, o.ID)
		refunds := w.pilot.callsTo("refundPayment", o.ID)
		switch st {
		case adapter.Completed:
			if status != adapter.OrderPaid || call != adapter.CallNone || refunds != 0 ||
				w.pilot.statusOf(o.ID) != "PAID" {
				t.Errorf("completed, settled: order %s owing %q, %d refunds, bank %s; "+
					"want PAID owing nothing, 0, PAID", status, call, refunds, w.pilot.statusOf(o.ID))
			}
		case adapter.Cancelled:
			if status != adapter.OrderRefunded || call != adapter.CallNone || refunds != 1 ||
				w.pilot.statusOf(o.ID) != "REFUNDED" {
				t.Errorf("cancelled, settled: order %s owing %q, %d refunds, bank %s; "+
					"want REFUNDED owing nothing, 1, REFUNDED", status, call, refunds,
					w.pilot.statusOf(o.ID))
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

func (w *igWorld) testCompletion(t *testing.T) {
	s := w.take(t)
	tr, o := w.toPayment(t, s)

	// The bank calls back several times at once; one completion results.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = w.confirm(tr, o) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("confirmation %d: got %v, want nil", i, err)
		}
	}

	var cert, owner string
	if err := w.db.SQL().QueryRow(`SELECT r.certificate_number, r.owner_pin FROM registrations r
		JOIN vehicles v ON v.id = r.vehicle_id WHERE v.vin = $1 AND r.until IS NULL`,
		s.VIN).Scan(&cert, &owner); err != nil {
		t.Fatalf("current registration: %v", err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"current registrations", w.count(t, `SELECT count(*) FROM registrations r
			JOIN vehicles v ON v.id = r.vehicle_id WHERE v.vin = $1 AND r.until IS NULL`, s.VIN), 1},
		{"registrations opened by the transfer", w.count(t,
			`SELECT count(*) FROM registrations WHERE transfer_id = $1`, tr.ID), 1},
		{"owner is the buyer", owner == string(s.Buyer), true},
		{"certificate is new", cert != s.Cert && cert != "", true},
		{"completion events", w.count(t, `SELECT count(*) FROM transfer_events
			WHERE transfer_id = $1 AND to_state = 'COMPLETED'`, tr.ID), 1},
		{"state", w.state(t, tr.ID), adapter.Completed},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func (w *igWorld) testSweeper(t *testing.T) {
	ctx := context.Background()
	cfg := adapter.Config{}
	buyerStep := w.take(t)
	ta, err := w.initiate(buyerStep)
	if err != nil {
		t.Fatalf("initiate: %v", err)
	}
	paying := w.take(t)
	tb, ob := w.toPayment(t, paying)
	inspecting := w.take(t)
	tc := w.toInspection(t, inspecting, inspecting.VIN)
	movedOn := w.take(t)
	td, err := w.initiate(movedOn)
	if err != nil {
		t.Fatalf("initiate: %v", err)
	}

	// Within every deadline nothing of ours expires.
	w.advance(47 * time.Hour)
	if _, err := w.svc.ExpireOverdue(ctx); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	for _, tr := range []adapter.Transfer{ta, tb, tc, td} {
		if st := w.state(t, tr.ID); st == adapter.Expired {
			t.Errorf("%s expired after 47h, before its deadline", tr.ID)
		}
	}

	// A step taken renews the deadline.
	w.advance(24 * time.Hour)
	if _, err := w.svc.AcceptTransfer(ctx, w.citizen(movedOn.Buyer), td.ID, "PILOT"); err != nil {
		t.Fatalf("accept: %v", err)
	}
	w.advance(2 * time.Hour)

	// Two adapter processes sweep at once: each overdue transfer expires
	// exactly once.
	overdue := w.count(t, `SELECT count(*) FROM transfers WHERE deadline <= $1 AND state IN
		('AWAITING_BUYER', 'AWAITING_PHOTOS', 'AWAITING_INSPECTION', 'AWAITING_PAYMENT')`,
		*w.now.Load())
	second := w.service(cfg)
	var n1, n2 int
	var e1, e2 error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); n1, e1 = w.svc.ExpireOverdue(ctx) }()
	go func() { defer wg.Done(); n2, e2 = second.ExpireOverdue(ctx) }()
	wg.Wait()
	if e1 != nil || e2 != nil {
		t.Fatalf("sweeps: %v, %v", e1, e2)
	}
	if n1+n2 != overdue || overdue < 3 {
		t.Errorf("got %d+%d expired, want the %d overdue (at least 3)", n1, n2, overdue)
	}

	for _, tr := range []adapter.Transfer{ta, tb, tc} {
		if st := w.state(t, tr.ID); st != adapter.Expired {
			t.Errorf("%s: got state %s, want EXPIRED", tr.ID, st)
		}
		got := w.count(t, `SELECT count(*) FROM transfer_events WHERE transfer_id = $1
			AND to_state = 'EXPIRED' AND client = $2`, tr.ID, adapter.SweeperClient)
		if got != 1 {
			t.Errorf("%s: got %d EXPIRED events by the sweeper, want 1", tr.ID, got)
		}
	}
	if st := w.state(t, td.ID); st != adapter.AwaitingPhotos {
		t.Errorf("renewed transfer: got state %s, want AWAITING_PHOTOS", st)
	}
	var status string
	if err := w.db.SQL().QueryRow(`SELECT status FROM payment_orders WHERE id = $1`,
		ob.ID).Scan(&status); err != nil {
		t.Fatalf("order: %v", err)
	}
	if status != string(adapter.OrderCancelled) {
		t.Errorf("order of the expired transfer: got %s, want CANCELLED", status)
	}

	// The withdrawn order owes the bank a cancellation.
	if status, call := w.order(t, ob.ID); status != adapter.OrderCancelled ||
		call != adapter.CallCancel {
		t.Errorf("order of the expired transfer: got %s owing %q, want CANCELLED owing CANCEL",
			status, call)
	}

	// An expired transfer takes no further step. A payment that arrives
	// anyway is accepted and refunded; the transfer stays expired.
	got, err := w.confirm(tb, ob)
	if err != nil || got.State != adapter.Expired {
		t.Errorf("confirm after expiry: got %s, %v; want EXPIRED, nil", got.State, err)
	}
	if status, call := w.order(t, ob.ID); status != adapter.OrderPaid || call != adapter.CallRefund {
		t.Errorf("order paid after expiry: got %s owing %q, want PAID owing REFUND", status, call)
	}
	w.drain(t)
	if status, _ := w.order(t, ob.ID); status != adapter.OrderRefunded ||
		w.pilot.callsTo("refundPayment", ob.ID) != 1 {
		t.Errorf("order paid after expiry, settled: got %s with %d refunds, want REFUNDED, 1",
			status, w.pilot.callsTo("refundPayment", ob.ID))
	}
	if st := w.state(t, tb.ID); st != adapter.Expired {
		t.Errorf("paid after expiry: got state %s, want EXPIRED", st)
	}
	_, err = w.svc.AcceptTransfer(ctx, w.citizen(buyerStep.Buyer), ta.ID, "PILOT")
	if adapter.CodeOf(err) != adapter.InvalidState {
		t.Errorf("accept after expiry: got %v, want INVALID_STATE", err)
	}
	if n, err := w.svc.ExpireOverdue(ctx); n != 0 || err != nil {
		t.Errorf("second sweep: got %d, %v; want 0, nil", n, err)
	}
	// The vehicle is free for a new sale.
	if _, err := w.initiate(buyerStep); err != nil {
		t.Errorf("initiate after expiry: got %v, want nil", err)
	}
}

func (w *igWorld) testRiskSignals(t *testing.T) {
	ctx := context.Background()

	// The same photo in two transfers.
	s1, s2 := w.take(t), w.take(t)
	t1 := w.toInspection(t, s1, "shared photo")
	t2 := w.toInspection(t, s2, "shared photo")

	// An inspector asked for a retake after reading another VIN.
	s3 := w.take(t)
	t3 := w.toInspection(t, s3, "first shot")
	_, _, err := w.svc.SubmitInspection(ctx, w.inspector(), adapter.InspectionRequest{
		TransferID: t3.ID, InspectorID: "INS-1", Decision: "RETAKE",
		ObservedVIN: "XTA21070012345678", Comment: "the plate looks restamped",
	})
	if err != nil {
		t.Fatalf("retake: %v", err)
	}
	if _, _, err := w.svc.UploadVINPhotos(ctx, w.citizen(s3.Seller), t3.ID,
		[]adapter.PhotoUpload{igPNG("second shot")}); err != nil {
		t.Fatalf("upload again: %v", err)
	}

	// A vehicle sold on right after it was bought.
	s4 := w.take(t)
	tr, o := w.toPayment(t, s4)
	done, err := w.confirm(tr, o)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	resale := igSale{VIN: s4.VIN, Cert: done.CertificateNumber, Seller: s4.Buyer, Buyer: s4.Seller}
	t4 := w.toInspection(t, resale, "resale")

	// And one with nothing to flag.
	s5 := w.take(t)
	t5 := w.toInspection(t, s5, "clean")

	signals := func(svc *adapter.Service) map[string][]string {
		t.Helper()
		list, err := svc.PendingInspections(ctx, w.inspector(), 100)
		if err != nil {
			t.Fatalf("pending inspections: %v", err)
		}
		out := map[string][]string{}
		for _, p := range list {
			out[p.Transfer.ID] = []string{}
			for _, s := range p.Signals {
				out[p.Transfer.ID] = append(out[p.Transfer.ID], s.Code)
			}
		}
		return out
	}
	got := signals(w.svc)
	for _, c := range []struct {
		name, id string
		want     string
	}{
		{"first of a shared photo", t1.ID, "[PHOTO_REUSED]"},
		{"second of a shared photo", t2.ID, "[PHOTO_REUSED]"},
		{"retake read another VIN", t3.ID, "[OBSERVED_VIN_DIFFERS]"},
		{"resold right away", t4.ID, "[RECENT_OWNER_CHANGE]"},
		{"clean", t5.ID, "[]"},
	} {
		sig, ok := got[c.id]
		if !ok {
			t.Errorf("%s: transfer not listed as pending", c.name)
			continue
		}
		if fmt.Sprint(sig) != c.want {
			t.Errorf("%s: got signals %v, want %s", c.name, sig, c.want)
		}
	}

	// Outside the configured window the owner change is old news.
	short := w.service(adapter.Config{Risk: adapter.RiskRules{RecentOwnerChange: time.Hour}})
	w.advance(2 * time.Hour)
	if sig := signals(short)[t4.ID]; fmt.Sprint(sig) != "[]" {
		t.Errorf("resale two hours later, window one hour: got %v, want []", sig)
	}
}

func (w *igWorld) testDailyLimit(t *testing.T) {
	ctx := context.Background()
	svc := w.service(adapter.Config{Risk: adapter.RiskRules{DailyTransfers: 2}})
	s := w.take(t)
	for i := range 2 {
		tr, err := w.initiateWith(svc, s)
		if err != nil {
			t.Fatalf("initiation %d: %v", i+1, err)
		}
		if _, err := svc.CancelTransfer(ctx, w.citizen(s.Seller), tr.ID, "again"); err != nil {
			t.Fatalf("cancel %d: %v", i+1, err)
		}
		w.advance(time.Hour)
	}
	_, err := w.initiateWith(svc, s)
	if got := adapter.CodeOf(err); got != adapter.TooManyTransfers {
		t.Fatalf("third initiation within a day: got %v, want TOO_MANY_TRANSFERS", err)
	}
	for _, m := range adapter.TooManyTransfers.Messages() {
		if m.Text == adapter.Code("NO_SUCH_CODE").Messages()[0].Text ||
			m.Text == adapter.Code("NO_SUCH_CODE").Messages()[1].Text ||
			m.Text == adapter.Code("NO_SUCH_CODE").Messages()[2].Text {
			t.Errorf("TOO_MANY_TRANSFERS %s: got the generic text %q", m.Lang, m.Text)
		}
	}

	// Concurrent initiations of one seller, for five vehicles, cannot slip
	// past the limit either.
	vehicles := w.giveVehicles(t, 5)
	codes := make([]adapter.Code, len(vehicles))
	var wg sync.WaitGroup
	for i, v := range vehicles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.initiateWith(svc, v)
			codes[i] = adapter.CodeOf(err)
		}()
	}
	wg.Wait()
	tally := map[adapter.Code]int{}
	for _, c := range codes {
		tally[c]++
	}
	if tally[adapter.OK] != 2 || tally[adapter.TooManyTransfers] != 3 {
		t.Errorf("five concurrent initiations, limit 2: got %v, want 2 OK, 3 TOO_MANY_TRANSFERS",
			tally)
	}
}

// giveVehicles registers n new vehicles to a new person, each with a new
// buyer of its own.
func (w *igWorld) giveVehicles(tb testing.TB, n int) []igSale {
	tb.Helper()
	db := w.db.SQL()
	k := w.made.Add(1)
	pin := adapter.PIN(fmt.Sprintf("1010119850%04d", k))
	if _, err := db.Exec(`INSERT INTO persons (pin, name, birth_date)
		VALUES ($1, 'Seller', '1985-01-01')`, string(pin)); err != nil {
		tb.Fatalf("add person: %v", err)
	}
	var sales []igSale
	for i := range n {
		// A European WMI (W) needs no check digit.
		j := int(k)*100 + i
		s := igSale{VIN: fmt.Sprintf("WVWZZZ1KZ8W%06d", j),
			Cert: fmt.Sprintf("KG9%07d", j), Seller: pin,
			Buyer: adapter.PIN(fmt.Sprintf("215061991%05d", j))}
		var id int64
		err := db.QueryRow(`INSERT INTO vehicles (vin, make, model, year)
			VALUES ($1, 'Volkswagen', 'Golf', 2008) RETURNING id`, s.VIN).Scan(&id)
		if err == nil {
			_, err = db.Exec(`INSERT INTO registrations (vehicle_id, owner_pin,
				certificate_number, since) VALUES ($1, $2, $3, '2020-01-01')`, id, string(pin), s.Cert)
		}
		if err == nil {
			_, err = db.Exec(`INSERT INTO persons (pin, name, birth_date)
				VALUES ($1, 'Buyer', '1990-06-15')`, string(s.Buyer))
		}
		if err != nil {
			tb.Fatalf("add vehicle: %v", err)
		}
		sales = append(sales, s)
	}
	return sales
}
