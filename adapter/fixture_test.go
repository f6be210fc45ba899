package adapter_test

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
	"github.com/tunduk/vehicle-adapter/soap"
)

// start is the fixed time every fixture's clock starts at.
var start = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// Clients of the configured channels.
const (
	portal     = "central-server/GOV/70000001/tunduk-portal"
	inspection = "central-server/GOV/70000005/inspection"
	bankClient = "central-server/COM/60000001/payments"
)

// Settings the fixtures' service runs with; fees as in the sample
// configuration, deadlines distinct so a wrong one shows.
var (
	stateFee   = adapter.Money(1200_00)
	serviceFee = adapter.Money(150_00)
	deadlines  = adapter.Deadlines{
		Acceptance: 72 * time.Hour, Photos: 48 * time.Hour,
		Inspection: 24 * time.Hour, Payment: 36 * time.Hour,
	}
)

// clock is a settable clock for Service.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a seeded registry of its own, the domain service over it with
// a fixed clock, and a partner bank reached through the real bank client.
type fixture struct {
	ctx   context.Context
	db    *registry.DB
	sql   *sql.DB
	svc   *adapter.Service
	demo  registry.Demo
	bank  *testBank
	clock *clock
}

// newTestBanks returns the bank directory the tests' services use: PILOT,
// an in-test bank reached through the real bank client over HTTP, and OFF,
// a disabled one.
func newTestBanks(tb testing.TB) (*bankclient.Directory, *testBank) {
	tb.Helper()
	b := newTestBank(tb)
	client := &soap.Client{URL: b.URL, Client: adapterID}
	other := bankID
	other.MemberCode = "60000002"
	banks, err := bankclient.NewDirectory(client, []bankclient.Bank{
		{Code: "PILOT", Name: "Pilot Bank", Service: bankID, Enabled: true},
		{Code: "OFF", Name: "Disabled Bank", Service: other, Enabled: false},
	})
	if err != nil {
		tb.Fatalf("NewDirectory: %v", err)
	}
	return banks, b
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := registrytest.New(t)
	demo, err := registry.SeedDemo(ctx, db, 7)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	banks, b := newTestBanks(t)
	svc := adapter.New(db, banks, adapter.Config{
		Fees:      adapter.Fees{State: stateFee, Service: serviceFee},
		Deadlines: deadlines,
		Photos:    adapter.PhotoRules{MaxCount: 4, MaxBytes: 64 << 10},
		// The fixture sells the same cars again and again from one clock
		// day; the daily limit has tests of its own.
		Risk: adapter.RiskRules{DailyTransfers: 1000},
	})
	clk := &clock{t: start}
	svc.Now = clk.Now
	return &fixture{ctx: ctx, db: db, sql: db.SQL(), svc: svc, demo: demo, bank: b, clock: clk}
}

// Callers.

func citizen(pin adapter.PIN) adapter.Caller {
	return adapter.Caller{Client: portal, Role: adapter.RoleCitizen, UserID: "KG" + string(pin),
		MessageID: uuid.NewString()}
}

func inspector() adapter.Caller {
	return adapter.Caller{Client: inspection, Role: adapter.RoleInspector,
		MessageID: uuid.NewString()}
}

func bankCaller(code string) adapter.Caller {
	return adapter.Caller{Client: bankClient, Role: adapter.RoleBank, BankCode: code,
		MessageID: uuid.NewString()}
}

// sale is one vehicle offered by its owner to a buyer, and its transfer
// once initiated.
type sale struct {
	vehicleID int64
	vin       string
	cert      string
	seller    adapter.PIN
	buyer     adapter.PIN
	outsider  adapter.PIN // a registered adult who is neither party
	price     string
	transfer  adapter.Transfer
	order     *adapter.PaymentOrder
}

// newSale picks the first vehicle with a VIN that is free of restrictions
// and open transfers, its owner as seller, and two other persons as buyer
// and outsider. A transfer still open when t ends is cancelled, so the
// vehicle serves the next test.
func (fx *fixture) newSale(t *testing.T) *sale {
	t.Helper()
	s := &sale{price: "350000.00"}
	err := fx.sql.QueryRowContext(fx.ctx, `
		SELECT v.id, v.vin, r.certificate_number, r.owner_pin
		FROM vehicles v JOIN registrations r ON r.vehicle_id = v.id AND r.until IS NULL
		WHERE v.vin IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM restrictions x
		                  WHERE x.vehicle_id = v.id AND x.lifted_at IS NULL)
		  AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.vehicle_id = v.id
		                  AND t.state IN ('AWAITING_BUYER', 'AWAITING_PHOTOS',
		                                  'AWAITING_INSPECTION', 'AWAITING_PAYMENT'))
		ORDER BY v.id LIMIT 1`).Scan(&s.vehicleID, &s.vin, &s.cert, &s.seller)
	if err != nil {
		t.Fatalf("find a free vehicle: %v", err)
	}
	err = fx.sql.QueryRowContext(fx.ctx, `
		SELECT (SELECT pin FROM persons WHERE pin <> $1 ORDER BY pin LIMIT 1),
		       (SELECT pin FROM persons WHERE pin <> $1 ORDER BY pin DESC LIMIT 1)`,
		string(s.seller)).Scan(&s.buyer, &s.outsider)
	if err != nil {
		t.Fatalf("find a buyer: %v", err)
	}
	t.Cleanup(func() { fx.abandon(t, s) })
	return s
}

// abandon cancels the sale's transfer if it is still open.
func (fx *fixture) abandon(t *testing.T, s *sale) {
	if s.transfer.ID == "" {
		return
	}
	var state adapter.State
	err := fx.sql.QueryRowContext(fx.ctx, `SELECT state FROM transfers WHERE id = $1`,
		s.transfer.ID).Scan(&state)
	if err != nil {
		t.Errorf("state of %s: %v", s.transfer.ID, err)
		return
	}
	if !state.Open() {
		return
	}
	if _, err := fx.svc.CancelTransfer(fx.ctx, citizen(s.seller), s.transfer.ID, "test over"); err != nil {
		t.Errorf("cancel %s after the test: %v", s.transfer.ID, err)
	}
}

func (s *sale) request() adapter.InitiateRequest {
	return adapter.InitiateRequest{
		VIN: s.vin, CertificateNumber: s.cert, SellerPIN: string(s.seller),
		BuyerPIN: string(s.buyer), Price: s.price,
		SellerAccount: adapter.Account{BankCode: "KICB", Number: "1280010012345678"},
	}
}

// Steps of the workflow that must succeed; each fails the test otherwise.

func (fx *fixture) initiate(t *testing.T, s *sale) {
	t.Helper()
	tr, err := fx.svc.InitiateTransfer(fx.ctx, citizen(s.seller), s.request())
	if err != nil {
		t.Fatalf("InitiateTransfer: %v", err)
	}
	s.transfer = tr
}

func (fx *fixture) accept(t *testing.T, s *sale) {
	t.Helper()
	tr, err := fx.svc.AcceptTransfer(fx.ctx, citizen(s.buyer), s.transfer.ID, "PILOT")
	if err != nil {
		t.Fatalf("AcceptTransfer: %v", err)
	}
	s.transfer = tr
}

func (fx *fixture) upload(t *testing.T, s *sale) {
	t.Helper()
	tr, _, err := fx.svc.UploadVINPhotos(fx.ctx, citizen(s.seller), s.transfer.ID, goodPhotos())
	if err != nil {
		t.Fatalf("UploadVINPhotos: %v", err)
	}
	s.transfer = tr
}

func (fx *fixture) inspect(t *testing.T, s *sale, d adapter.Decision) {
	t.Helper()
	tr, o, err := fx.svc.SubmitInspection(fx.ctx, inspector(), adapter.InspectionRequest{
		TransferID: s.transfer.ID, InspectorID: "INS-0042", Decision: string(d),
		ObservedVIN: s.vin, Comment: "plate and stamping agree",
	})
	if err != nil {
		t.Fatalf("SubmitInspection %s: %v", d, err)
	}
	s.transfer, s.order = tr, o
}

func (fx *fixture) pay(t *testing.T, s *sale) {
	t.Helper()
	fx.bank.takePayment(s.order.ID)
	tr, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller("PILOT"), s.confirmation())
	if err != nil {
		t.Fatalf("ConfirmPayment: %v", err)
	}
	s.transfer = tr
}

func (s *sale) confirmation() adapter.PaymentConfirmation {
	return adapter.PaymentConfirmation{
		OrderID: s.order.ID, TransferID: s.transfer.ID, Amount: s.order.Amount.String(),
		BankReference: "PB-REF-1", PaidAt: start.Add(time.Hour),
	}
}

// saleIn returns a sale whose transfer has reached st along the main path.
func (fx *fixture) saleIn(t *testing.T, st adapter.State) *sale {
	t.Helper()
	s := fx.newSale(t)
	steps := []struct {
		reached adapter.State
		do      func(*testing.T, *sale)
	}{
		{adapter.AwaitingBuyer, fx.initiate},
		{adapter.AwaitingPhotos, fx.accept},
		{adapter.AwaitingInspection, fx.upload},
		{adapter.AwaitingPayment, func(t *testing.T, s *sale) { fx.inspect(t, s, adapter.Approve) }},
		{adapter.Completed, fx.pay},
	}
	switch st {
	case adapter.Cancelled:
		fx.initiate(t, s)
		fx.cancel(t, s)
		return s
	case adapter.Rejected:
		fx.saleUntil(t, s, steps[:3])
		fx.inspect(t, s, adapter.Reject)
		return s
	}
	for i, step := range steps {
		if step.reached == st {
			fx.saleUntil(t, s, steps[:i+1])
			return s
		}
	}
	t.Fatalf("saleIn: no path to %s", st)
	return nil
}

func (fx *fixture) saleUntil(t *testing.T, s *sale, steps []struct {
	reached adapter.State
	do      func(*testing.T, *sale)
}) {
	t.Helper()
	for _, step := range steps {
		step.do(t, s)
		if s.transfer.State != step.reached {
			t.Fatalf("got state %s, want %s", s.transfer.State, step.reached)
		}
	}
}

func (fx *fixture) cancel(t *testing.T, s *sale) {
	t.Helper()
	tr, err := fx.svc.CancelTransfer(fx.ctx, citizen(s.seller), s.transfer.ID, "changed my mind")
	if err != nil {
		t.Fatalf("CancelTransfer: %v", err)
	}
	s.transfer = tr
}

// drain makes every bank call the outbox owes now, such as the
// cancellations of transfers earlier tests left open, so that a test counts
// only the calls it caused.
func (fx *fixture) drain(t *testing.T) {
	t.Helper()
	for range 10 {
		n, err := fx.svc.SendOrders(fx.ctx)
		if err != nil {
			t.Fatalf("SendOrders: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox still owes calls after 10 rounds")
}

// Photos.

// jpegBytes and pngBytes encode a small image; encoding into memory
// cannot fail, so a failure is a broken test setup.
func jpegBytes() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		panic("encode jpeg: " + err.Error())
	}
	return b.Bytes()
}

func pngBytes() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		panic("encode png: " + err.Error())
	}
	return b.Bytes()
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := range 16 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 90, 255})
		}
	}
	return img
}

// goodPhotos are a JPEG of the VIN plate and a PNG of the front.
func goodPhotos() []adapter.PhotoUpload {
	return []adapter.PhotoUpload{
		{Kind: adapter.PhotoVINPlate, ContentType: "image/jpeg", Content: jpegBytes()},
		{Kind: adapter.PhotoFront, ContentType: "image/png", Content: pngBytes()},
	}
}

// Registry reads.

// fingerprint summarises every row a workflow call may write, so that
// comparing two fingerprints shows whether anything changed.
func (fx *fixture) fingerprint(t *testing.T) string {
	t.Helper()
	var fp string
	err := fx.sql.QueryRowContext(fx.ctx, `SELECT concat_ws(' ',
		(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM transfers t),
		(SELECT md5(coalesce(string_agg(o::text, '|' ORDER BY id), '')) FROM payment_orders o),
		(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY id), '')) FROM registrations r),
		(SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY pin), '')) FROM persons p),
		(SELECT count(*) FROM transfer_events), (SELECT count(*) FROM vin_photos),
		(SELECT count(*) FROM inspections))`).Scan(&fp)
	if err != nil {
		t.Fatalf("fingerprint: %v", err)
	}
	return fp
}

// events returns the history of a transfer.
func (fx *fixture) events(t *testing.T, id string) []adapter.Event {
	t.Helper()
	var es []adapter.Event
	err := fx.db.InTx(fx.ctx, func(tx adapter.Tx) error {
		var err error
		es, err = tx.Events(fx.ctx, id)
		return err
	})
	if err != nil {
		t.Fatalf("events of %s: %v", id, err)
	}
	return es
}

// stored returns a transfer as the registry holds it.
func (fx *fixture) stored(t *testing.T, id string) adapter.Transfer {
	t.Helper()
	var tr adapter.Transfer
	err := fx.db.InTx(fx.ctx, func(tx adapter.Tx) error {
		var err error
		tr, err = tx.Transfer(fx.ctx, id, false)
		return err
	})
	if err != nil {
		t.Fatalf("transfer %s: %v", id, err)
	}
	return tr
}

// ownerOf returns the PIN of the current owner of the sale's vehicle.
func (fx *fixture) ownerOf(t *testing.T, s *sale) adapter.PIN {
	t.Helper()
	var pin adapter.PIN
	err := fx.sql.QueryRowContext(fx.ctx, `SELECT owner_pin FROM registrations
		WHERE vehicle_id = $1 AND until IS NULL`, s.vehicleID).Scan(&pin)
	if err != nil {
		t.Fatalf("owner of vehicle %d: %v", s.vehicleID, err)
	}
	return pin
}

// orderOf returns the latest payment order of a transfer.
func (fx *fixture) orderOf(t *testing.T, id string) adapter.PaymentOrder {
	t.Helper()
	var o adapter.PaymentOrder
	err := fx.db.InTx(fx.ctx, func(tx adapter.Tx) error {
		var err error
		o, err = tx.PaymentOrderOf(fx.ctx, id)
		return err
	})
	if err != nil {
		t.Fatalf("order of %s: %v", id, err)
	}
	return o
}

// wantCode fails unless err is the business refusal want.
func wantCode(t *testing.T, err error, want adapter.Code) {
	t.Helper()
	if got := adapter.CodeOf(err); got != want {
		t.Fatalf("got code %q (error %v), want %s", got, err, want)
	}
}
