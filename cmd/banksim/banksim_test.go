package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/bank"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Identifiers of the sample configuration (testdata/adapter.toml).
const (
	bankPath    = "central-server/COM/60000001/payments"
	adapterPath = "central-server/GOV/70000005/vehicle-reregistration"
)

// clock is a fixed time, so that paidAt is predictable.
var clock = time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)

// fakeAdapter is the adapter's confirmPayment endpoint as banksim sees it:
// it records what arrives and answers with result code.
type fakeAdapter struct {
	mu       sync.Mutex
	code     string
	headers  []soap.Header
	confirms []vehicle.ConfirmPayment
}

func (a *fakeAdapter) ServeSOAP(_ context.Context, req *soap.Request) (*soap.Response, error) {
	var in vehicle.ConfirmPayment
	if err := soap.Unmarshal(req.Body, &in); err != nil {
		return nil, &soap.Fault{Code: soap.CodeBadRequest, String: err.Error()}
	}
	a.mu.Lock()
	a.headers = append(a.headers, req.Header)
	a.confirms = append(a.confirms, in)
	code := a.code
	a.mu.Unlock()

	body, err := soap.Marshal(&vehicle.ConfirmPaymentResponse{
		Result:  &vehicle.Result{Code: code},
		OrderId: in.OrderId, TransferId: in.TransferId, State: "COMPLETED",
	})
	if err != nil {
		return nil, err
	}
	return &soap.Response{Body: body}, nil
}

// calls returns copies of what the adapter has received.
func (a *fakeAdapter) calls() ([]soap.Header, []vehicle.ConfirmPayment) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]soap.Header(nil), a.headers...),
		append([]vehicle.ConfirmPayment(nil), a.confirms...)
}

// bankFixture is a banksim served by httptest, wired to a fake adapter.
type bankFixture struct {
	url     string // the bank's base URL
	ledger  *ledger
	payer   *payer
	adapter *fakeAdapter
	bankID  soap.Identifier
}

// newBank starts banksim's routes and a fake adapter; payAfter is the
// payer's delay (negative: pay only on request).
func newBank(t *testing.T, payAfter time.Duration) *bankFixture {
	t.Helper()
	bankID := mustID(t, bankPath)
	adapterID := mustID(t, adapterPath)

	fa := &fakeAdapter{code: "OK"}
	adapterSrv := httptest.NewServer(&soap.Handler{Service: fa, Provider: adapterID})
	t.Cleanup(adapterSrv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	log := logrus.New()
	log.Out = io.Discard
	l := newLedger()
	p := &payer{
		ledger:  l,
		client:  &soap.Client{URL: adapterSrv.URL, Client: bankID},
		adapter: adapterID.Service("confirmPayment", "v1"),
		delay:   payAfter,
		log:     log,
		now:     func() time.Time { return clock },
		ctx:     ctx,
	}
	bankSrv := httptest.NewServer(routes(l, p, bankID))
	// Cleanups run last-in first-out: stop pending payments, then servers.
	t.Cleanup(bankSrv.Close)
	t.Cleanup(func() { cancel(); p.wg.Wait() })
	return &bankFixture{url: bankSrv.URL, ledger: l, payer: p, adapter: fa, bankID: bankID}
}

func mustID(t testing.TB, path string) soap.Identifier {
	t.Helper()
	id, err := soap.ParseSubsystem(path)
	if err != nil {
		t.Fatalf("ParseSubsystem(%q): %v", path, err)
	}
	return id
}

// call sends one bank request, as the adapter would, and decodes the
// response into resp.
func (b *bankFixture) call(t *testing.T, code string, req, resp any) {
	t.Helper()
	body, err := soap.Marshal(req)
	if err != nil {
		t.Fatalf("marshal %s: %v", code, err)
	}
	c := &soap.Client{URL: b.url + "/xroad", Client: mustID(t, adapterPath)}
	r, err := c.Do(context.Background(), soap.Call{Service: b.bankID.Service(code, "v1"), Body: body})
	if err != nil {
		t.Fatalf("%s: %v", code, err)
	}
	if err := soap.Unmarshal(r.Body, resp); err != nil {
		t.Fatalf("decode %sResponse: %v", code, err)
	}
}

func (b *bankFixture) create(t *testing.T, orderID, transferID, amount string,
) *bank.CreatePaymentOrderResponse {
	t.Helper()
	var resp bank.CreatePaymentOrderResponse
	b.call(t, "createPaymentOrder", &bank.CreatePaymentOrder{
		OrderId: orderID, TransferId: transferID, PayerPin: "22701197302825", Amount: amount,
		Payee: &bank.BankAccount{BankCode: "PILOT", AccountNumber: "1030120000123456"},
	}, &resp)
	return &resp
}

// orders reads GET /orders.
func (b *bankFixture) orders(t *testing.T) []order {
	t.Helper()
	res, err := http.Get(b.url + "/orders")
	if err != nil {
		t.Fatalf("GET /orders: %v", err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /orders Content-Type = %q, want application/json", ct)
	}
	var list []order
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatalf("GET /orders: decode: %v", err)
	}
	return list
}

// pay posts /orders/{id}/pay and returns the status and the order sent back.
func (b *bankFixture) pay(t *testing.T, id string) (int, order) {
	t.Helper()
	res, err := http.Post(b.url+"/orders/"+id+"/pay", "", nil)
	if err != nil {
		t.Fatalf("POST pay: %v", err)
	}
	defer res.Body.Close()
	var o order
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&o); err != nil {
			t.Fatalf("POST pay: decode: %v", err)
		}
	}
	return res.StatusCode, o
}

func code(r *bank.Result) string {
	if r == nil {
		return "<no result>"
	}
	return r.Code
}

func TestCreatePaymentOrderIsIdempotent(t *testing.T) {
	b := newBank(t, -1)

	first := b.create(t, "order-1", "transfer-1", "351350.00")
	again := b.create(t, "order-1", "transfer-1", "351350.00")
	for i, r := range []*bank.CreatePaymentOrderResponse{first, again} {
		if code(r.Result) != "OK" || r.Status != statusCreated || r.OrderId != "order-1" {
			t.Errorf("call %d: got %s %s %s, want OK CREATED order-1",
				i+1, code(r.Result), r.Status, r.OrderId)
		}
	}
	if first.BankOrderId == "" || again.BankOrderId != first.BankOrderId {
		t.Errorf("bankOrderId: got %q then %q, want the same non-empty id",
			first.BankOrderId, again.BankOrderId)
	}
	if got := b.orders(t); len(got) != 1 || got[0].Creates != 2 {
		t.Errorf("GET /orders: got %+v, want 1 order created by 2 answered requests", got)
	}
}

func TestCreatePaymentOrderRefuses(t *testing.T) {
	b := newBank(t, -1)
	b.create(t, "order-1", "transfer-1", "351350.00")

	tests := []struct {
		name                        string
		orderID, transferID, amount string
		payee                       bool
		wantCode                    string
	}{
		{"other amount", "order-1", "transfer-1", "351351.00", true, "ORDER_CONFLICT"},
		{"other transfer", "order-1", "transfer-2", "351350.00", true, "ORDER_CONFLICT"},
		{"no amount", "order-2", "transfer-2", "", true, "INVALID_REQUEST"},
		{"no payee", "order-3", "transfer-3", "100.00", false, "INVALID_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &bank.CreatePaymentOrder{
				OrderId: tt.orderID, TransferId: tt.transferID, Amount: tt.amount,
			}
			if tt.payee {
				req.Payee = &bank.BankAccount{BankCode: "PILOT", AccountNumber: "1"}
			}
			var resp bank.CreatePaymentOrderResponse
			b.call(t, "createPaymentOrder", req, &resp)
			if got := code(resp.Result); got != tt.wantCode {
				t.Errorf("got %s, want %s", got, tt.wantCode)
			}
		})
	}

	// The refusals left the first order as it was and added none.
	list := b.orders(t)
	if len(list) != 1 || list[0].Amount != "351350.00" || list[0].TransferID != "transfer-1" {
		t.Errorf("GET /orders: got %+v, want only order-1 for 351350.00", list)
	}
}

func TestGetPaymentOrder(t *testing.T) {
	b := newBank(t, -1)
	b.create(t, "order-1", "transfer-1", "500.00")

	var resp bank.GetPaymentOrderResponse
	b.call(t, "getPaymentOrder", &bank.GetPaymentOrder{OrderId: "order-1"}, &resp)
	if code(resp.Result) != "OK" || resp.Status != statusCreated || resp.Amount != "500.00" ||
		resp.PaidAt != "" {
		t.Errorf("created: got %s %s %s paidAt %q, want OK CREATED 500.00 and no paidAt",
			code(resp.Result), resp.Status, resp.Amount, resp.PaidAt)
	}

	if status, _ := b.pay(t, "order-1"); status != http.StatusOK {
		t.Fatalf("pay: got HTTP %d, want 200", status)
	}
	resp = bank.GetPaymentOrderResponse{}
	b.call(t, "getPaymentOrder", &bank.GetPaymentOrder{OrderId: "order-1"}, &resp)
	if resp.Status != statusPaid || resp.BankReference == "" ||
		resp.PaidAt != "2026-03-01T10:30:00Z" {
		t.Errorf("paid: got %s reference %q paidAt %q, want PAID, a reference, 2026-03-01T10:30:00Z",
			resp.Status, resp.BankReference, resp.PaidAt)
	}

	resp = bank.GetPaymentOrderResponse{}
	b.call(t, "getPaymentOrder", &bank.GetPaymentOrder{OrderId: "missing"}, &resp)
	if got := code(resp.Result); got != "ORDER_NOT_FOUND" {
		t.Errorf("missing: got %s, want ORDER_NOT_FOUND", got)
	}
}

func TestCancelPaymentOrder(t *testing.T) {
	b := newBank(t, -1)
	b.create(t, "created", "t1", "100.00")
	b.create(t, "paid", "t2", "100.00")
	b.create(t, "refunded", "t3", "100.00")
	for _, id := range []string{"paid", "refunded"} {
		if status, _ := b.pay(t, id); status != http.StatusOK {
			t.Fatalf("pay %s: got HTTP %d, want 200", id, status)
		}
	}
	var refund bank.RefundPaymentResponse
	b.call(t, "refundPayment", &bank.RefundPayment{OrderId: "refunded", Amount: "100.00"}, &refund)
	if code(refund.Result) != "OK" {
		t.Fatalf("refund: got %s, want OK", code(refund.Result))
	}

	tests := []struct {
		name, orderID, wantCode, wantStatus string
	}{
		{"created order is cancelled", "created", "OK", statusCancelled},
		{"cancelling again keeps it cancelled", "created", "OK", statusCancelled},
		{"paid order is refused", "paid", "INVALID_STATE", statusPaid},
		{"refunded order is refused", "refunded", "INVALID_STATE", statusRefunded},
		{"missing order is not found", "missing", "ORDER_NOT_FOUND", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp bank.CancelPaymentOrderResponse
			b.call(t, "cancelPaymentOrder", &bank.CancelPaymentOrder{OrderId: tt.orderID}, &resp)
			if code(resp.Result) != tt.wantCode || resp.Status != tt.wantStatus {
				t.Errorf("got %s %s, want %s %s", code(resp.Result), resp.Status,
					tt.wantCode, tt.wantStatus)
			}
			if o, _ := b.ledger.get(tt.orderID); o.Status != tt.wantStatus {
				t.Errorf("ledger: got %s, want %s", o.Status, tt.wantStatus)
			}
		})
	}

	// A cancelled order can no longer be paid.
	if status, _ := b.pay(t, "created"); status != http.StatusConflict {
		t.Errorf("pay a cancelled order: got HTTP %d, want 409", status)
	}
}

func TestRefundPayment(t *testing.T) {
	b := newBank(t, -1)
	b.create(t, "created", "t1", "100.00")
	b.create(t, "paid", "t2", "250.00")
	if status, _ := b.pay(t, "paid"); status != http.StatusOK {
		t.Fatalf("pay: got HTTP %d, want 200", status)
	}

	tests := []struct {
		name, orderID, amount, wantCode, wantStatus string
	}{
		{"unpaid order is refused", "created", "100.00", "INVALID_STATE", statusCreated},
		{"other amount is refused", "paid", "200.00", "INVALID_STATE", statusPaid},
		{"paid order is refunded", "paid", "250.00", "OK", statusRefunded},
		{"refunding again answers the same", "paid", "250.00", "OK", statusRefunded},
		{"missing order is not found", "missing", "250.00", "ORDER_NOT_FOUND", ""},
	}
	var refundIDs []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp bank.RefundPaymentResponse
			b.call(t, "refundPayment",
				&bank.RefundPayment{OrderId: tt.orderID, Amount: tt.amount}, &resp)
			if code(resp.Result) != tt.wantCode || resp.Status != tt.wantStatus {
				t.Errorf("got %s %s, want %s %s", code(resp.Result), resp.Status,
					tt.wantCode, tt.wantStatus)
			}
			if tt.wantCode == "OK" {
				refundIDs = append(refundIDs, resp.RefundId)
			}
		})
	}
	if len(refundIDs) != 2 || refundIDs[0] == "" || refundIDs[0] != refundIDs[1] {
		t.Errorf("refund ids: got %q, want one id twice", refundIDs)
	}
	if o, _ := b.ledger.get("paid"); len(o.Refunds) != 1 {
		t.Errorf("ledger: got %d refunds, want 1", len(o.Refunds))
	}
}

func TestUnknownServiceIsAFault(t *testing.T) {
	b := newBank(t, -1)
	body := etree.NewElement("payAll")
	body.CreateAttr("xmlns", "http://payments.tunduk.kg/xroad/bank/v1")
	c := &soap.Client{URL: b.url + "/xroad", Client: mustID(t, adapterPath)}
	call := soap.Call{Service: b.bankID.Service("payAll", "v1"), Body: body}
	_, err := c.Do(context.Background(), call)
	if got := soap.FaultCode(err); got != soap.CodeUnknownService {
		t.Errorf("got fault %q (%v), want %s", got, err, soap.CodeUnknownService)
	}
}

func TestOrdersJSON(t *testing.T) {
	b := newBank(t, -1)
	if got := b.orders(t); len(got) != 0 {
		t.Fatalf("empty bank: got %d orders, want 0", len(got))
	}
	b.create(t, "order-a", "t1", "100.00")
	b.create(t, "order-b", "t2", "200.00")

	// Decoded as plain JSON, so that the field names are checked too.
	res, err := http.Get(b.url + "/orders")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list []map[string]any
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(list) != 2 {
		t.Fatalf("got %d orders, want 2", len(list))
	}
	want := []map[string]any{
		{"orderId": "order-a", "transferId": "t1", "amount": "100.00", "status": "CREATED",
			"payerPin": "22701197302825", "payee": "PILOT/1030120000123456", "confirmed": false,
			"bankOrderId": "SIM-000001"},
		{"orderId": "order-b", "transferId": "t2", "amount": "200.00", "status": "CREATED",
			"bankOrderId": "SIM-000002"},
	}
	for i, w := range want {
		for k, v := range w {
			if list[i][k] != v {
				t.Errorf("order %d: %s: got %v, want %v", i, k, list[i][k], v)
			}
		}
	}
	if _, ok := list[0]["paidAt"]; ok {
		t.Errorf("unpaid order: got paidAt %v, want none", list[0]["paidAt"])
	}
}

func TestPayConfirmsWithTheBanksHeader(t *testing.T) {
	b := newBank(t, -1)
	b.create(t, "order-1", "transfer-1", "351350.00")

	status, o := b.pay(t, "order-1")
	if status != http.StatusOK {
		t.Fatalf("POST /orders/order-1/pay: got HTTP %d, want 200", status)
	}
	if o.Status != statusPaid || !o.Confirmed || o.ConfirmResult != "OK" {
		t.Errorf("order: got %s confirmed %v result %q, want PAID confirmed OK",
			o.Status, o.Confirmed, o.ConfirmResult)
	}

	headers, confirms := b.adapter.calls()
	if len(headers) != 1 {
		t.Fatalf("adapter got %d confirmPayment calls, want 1", len(headers))
	}
	h := headers[0]
	if got := h.Client.String(); got != mustID(t, bankPath).String() {
		t.Errorf("client: got %s, want the bank's %s", got, bankPath)
	}
	if got, want := h.Service, mustID(t, adapterPath).Service("confirmPayment", "v1"); got != want {
		t.Errorf("service: got %s, want %s", got, want)
	}
	if h.UserID != "KG22701197302825" || h.ID == "" || h.ProtocolVersion != "4.0" {
		t.Errorf("header: got userId %q id %q protocolVersion %q, want KG+payer PIN, an id, 4.0",
			h.UserID, h.ID, h.ProtocolVersion)
	}
	want := vehicle.ConfirmPayment{
		OrderId: "order-1", TransferId: "transfer-1", Amount: "351350.00",
		BankReference: o.BankReference, PaidAt: "2026-03-01T10:30:00Z",
	}
	c := confirms[0]
	c.XMLName = want.XMLName
	if c != want || c.BankReference == "" {
		t.Errorf("confirmPayment: got %+v, want %+v", c, want)
	}

	// Paying again does not pay twice; it repeats the confirmation, which
	// the adapter treats as a retry.
	status, again := b.pay(t, "order-1")
	if status != http.StatusOK || again.BankReference != o.BankReference {
		t.Errorf("pay again: got HTTP %d reference %q, want 200 and %q",
			status, again.BankReference, o.BankReference)
	}
	if headers, _ := b.adapter.calls(); len(headers) != 2 || headers[1].ID == headers[0].ID {
		t.Errorf("pay again: got %d calls, want 2 with distinct message ids", len(headers))
	}

	if status, _ := b.pay(t, "missing"); status != http.StatusConflict {
		t.Errorf("pay a missing order: got HTTP %d, want 409", status)
	}
}

func TestPayRecordsARefusal(t *testing.T) {
	b := newBank(t, -1)
	b.adapter.mu.Lock()
	b.adapter.code = "AMOUNT_MISMATCH"
	b.adapter.mu.Unlock()
	b.create(t, "order-1", "transfer-1", "100.00")

	status, o := b.pay(t, "order-1")
	if status != http.StatusOK || o.Confirmed || o.ConfirmResult != "AMOUNT_MISMATCH" {
		t.Errorf("got HTTP %d confirmed %v result %q, want 200, not confirmed, AMOUNT_MISMATCH",
			status, o.Confirmed, o.ConfirmResult)
	}
}

func TestPaysAutomaticallyAfterTheDelay(t *testing.T) {
	b := newBank(t, 10*time.Millisecond)
	b.create(t, "order-1", "transfer-1", "100.00")

	deadline := time.Now().Add(5 * time.Second)
	for {
		list := b.orders(t)
		if len(list) == 1 && list[0].Status == statusPaid && list[0].Confirmed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %+v, want order-1 PAID and confirmed within 5s", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if headers, _ := b.adapter.calls(); len(headers) != 1 {
		t.Errorf("got %d confirmPayment calls, want 1", len(headers))
	}
}
