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

// bankCall is one createPaymentOrder the test bank received.
type bankCall struct {
	Header soap.Header
	Order  bank.CreatePaymentOrder
}

// testBank is a partner bank speaking the bank contract (wsdl/bank.wsdl)
// over HTTP through soap.Handler, so the adapter reaches it with the real
// bankclient exactly as it would reach a bank behind a security server.
type testBank struct {
	URL string

	mu    sync.Mutex
	calls []bankCall
	// reply, when set, answers a createPaymentOrder instead of the default
	// OK; it returns the response body or an error (a *soap.Fault).
	reply func(in *bank.CreatePaymentOrder) (any, error)
}

// newTestBank starts the bank on a loopback port until tb ends.
func newTestBank(tb testing.TB) *testBank {
	tb.Helper()
	b := &testBank{}
	srv := httptest.NewServer(&soap.Handler{Service: soap.ServiceFunc(b.serve), Provider: bankID})
	tb.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

func (b *testBank) serve(_ context.Context, req *soap.Request) (*soap.Response, error) {
	if code := req.Header.Service.ServiceCode; code != "createPaymentOrder" {
		return nil, soap.NewFault(soap.CodeUnknownService, "this bank does not provide %s", code)
	}
	in := new(bank.CreatePaymentOrder)
	if err := soap.Unmarshal(req.Body, in); err != nil {
		return nil, soap.NewFault(soap.CodeBadRequest, "%v", err)
	}
	b.mu.Lock()
	b.calls = append(b.calls, bankCall{Header: req.Header, Order: *in})
	reply := b.reply
	b.mu.Unlock()

	var out any = &bank.CreatePaymentOrderResponse{
		Result: bankResult("OK"), OrderId: in.OrderId, BankOrderId: "PB-" + in.OrderId,
		Status: "PENDING",
	}
	if reply != nil {
		var err error
		if out, err = reply(in); err != nil {
			return nil, err
		}
	}
	el, err := soap.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &soap.Response{Body: el}, nil
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
