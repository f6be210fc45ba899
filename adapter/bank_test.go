package adapter_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/bank"
)

// Identifiers of the parties on the bus, as the sample configuration names
// them.
var (
	adapterID = soap.Identifier{ObjectType: soap.TypeSubsystem, XRoadInstance: "central-server",
		MemberClass: "GOV", MemberCode: "70000005", SubsystemCode: "vehicle-reregistration"}
	bankID = soap.Identifier{ObjectType: soap.TypeSubsystem, XRoadInstance: "central-server",
		MemberClass: "COM", MemberCode: "60000001", SubsystemCode: "payments"}
)

// bankCall is one call the test bank received: its header, the operation
// and the order it was about; Order is the body of a createPaymentOrder.
type bankCall struct {
	Header  soap.Header
	Code    string // service code
	OrderID string
	Order   bank.CreatePaymentOrder
}

// testBank is a partner bank speaking the bank contract (wsdl/bank.wsdl)
// over HTTP through soap.Handler, so the adapter reaches it with the real
// bankclient exactly as it would reach a bank behind a security server. It
// keeps its orders' statuses like a bank: a paid order cannot be cancelled,
// only a paid order is refunded, and each call is idempotent on the order.
type testBank struct {
	URL string

	mu     sync.Mutex
	calls  []bankCall
	status map[string]string // order id -> CREATED, PAID, CANCELLED, REFUNDED
	// reply, when set, answers a createPaymentOrder instead of the default
	// OK; it returns the response body or an error (a *soap.Fault).
	reply func(in *bank.CreatePaymentOrder) (any, error)
}

// newTestBank starts the bank on a loopback port until tb ends.
func newTestBank(tb testing.TB) *testBank {
	tb.Helper()
	b := &testBank{status: map[string]string{}}
	srv := httptest.NewServer(&soap.Handler{Service: soap.ServiceFunc(b.serve), Provider: bankID})
	tb.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

func (b *testBank) serve(_ context.Context, req *soap.Request) (*soap.Response, error) {
	var (
		out any
		err error
	)
	switch code := req.Header.Service.ServiceCode; code {
	case "createPaymentOrder":
		out, err = b.create(req)
	case "cancelPaymentOrder":
		in := new(bank.CancelPaymentOrder)
		out, err = b.answer(req, in, &in.OrderId, b.cancel)
	case "refundPayment":
		in := new(bank.RefundPayment)
		out, err = b.answer(req, in, &in.OrderId, b.refund)
	case "getPaymentOrder":
		in := new(bank.GetPaymentOrder)
		out, err = b.answer(req, in, &in.OrderId, b.get)
	default:
		return nil, soap.NewFault(soap.CodeUnknownService, "this bank does not provide %s", code)
	}
	if err != nil {
		return nil, err
	}
	el, err := soap.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &soap.Response{Body: el}, nil
}

func (b *testBank) create(req *soap.Request) (any, error) {
	in := new(bank.CreatePaymentOrder)
	if err := soap.Unmarshal(req.Body, in); err != nil {
		return nil, soap.NewFault(soap.CodeBadRequest, "%v", err)
	}
	b.mu.Lock()
	b.calls = append(b.calls, bankCall{Header: req.Header, Code: "createPaymentOrder",
		OrderID: in.OrderId, Order: *in})
	reply := b.reply
	b.mu.Unlock()
	if reply != nil {
		return reply(in)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status[in.OrderId] == "" {
		b.status[in.OrderId] = "CREATED"
	}
	return &bank.CreatePaymentOrderResponse{
		Result: bankResult("OK"), OrderId: in.OrderId, BankOrderId: "PB-" + in.OrderId,
		Status: "PENDING",
	}, nil
}

// answer decodes a call about one order into in, records it, and answers
// with op on the order's status, under the bank's lock.
func (b *testBank) answer(req *soap.Request, in any, id *string,
	op func(id, status string) any) (any, error) {
	if err := soap.Unmarshal(req.Body, in); err != nil {
		return nil, soap.NewFault(soap.CodeBadRequest, "%v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, bankCall{Header: req.Header, Code: req.Header.Service.ServiceCode,
		OrderID: *id})
	return op(*id, b.status[*id]), nil
}

func (b *testBank) cancel(id, status string) any {
	switch status {
	case "":
		return &bank.CancelPaymentOrderResponse{Result: bankResult("ORDER_NOT_FOUND"), OrderId: id}
	case "CREATED", "CANCELLED":
		b.status[id] = "CANCELLED"
		return &bank.CancelPaymentOrderResponse{Result: bankResult("OK"), OrderId: id,
			Status: "CANCELLED"}
	}
	return &bank.CancelPaymentOrderResponse{Result: bankResult("ORDER_" + status), OrderId: id}
}

func (b *testBank) refund(id, status string) any {
	if status != "PAID" && status != "REFUNDED" {
		return &bank.RefundPaymentResponse{Result: bankResult("NOT_PAID"), OrderId: id}
	}
	b.status[id] = "REFUNDED"
	return &bank.RefundPaymentResponse{Result: bankResult("OK"), OrderId: id,
		RefundId: "RF-" + id, Status: "REFUNDED"}
}

func (b *testBank) get(id, status string) any {
	if status == "" {
		return &bank.GetPaymentOrderResponse{Result: bankResult("ORDER_NOT_FOUND"), OrderId: id}
	}
	return &bank.GetPaymentOrderResponse{Result: bankResult("OK"), OrderId: id, Status: status}
}

// takePayment records at the bank that the buyer paid the order, as the
// bank does before it calls confirmPayment.
func (b *testBank) takePayment(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status[id] = "PAID"
}

// statusOf returns the bank's status of an order, "" for one it never got.
func (b *testBank) statusOf(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status[id]
}

// callsTo counts the calls of the service code about the order.
func (b *testBank) callsTo(code, orderID string) int {
	n := 0
	for _, c := range b.received() {
		if c.Code == code && c.OrderID == orderID {
			n++
		}
	}
	return n
}

// setReply replaces the bank's answer; nil restores the default OK.
func (b *testBank) setReply(f func(in *bank.CreatePaymentOrder) (any, error)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reply = f
}

// received returns the calls so far.
func (b *testBank) received() []bankCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bankCall(nil), b.calls...)
}

func bankResult(code string) *bank.Result {
	t := bank.Text("test bank says " + code)
	return &bank.Result{Code: code, Message: []*bank.LocalizedText{{Value: &t, Lang: "en"}}}
}
