package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/cmd/tunduk-adapter/internal/metrics"
	"github.com/tunduk/vehicle-adapter/soap"
)

// observed wraps the X-Road handler so that every exchange gives one log
// line and its metrics. The business result code is read from the
// response body by resultService and carried to soap.Handler.Observe
// through the request's context.
type observed struct {
	base    soap.Handler
	log     logrus.FieldLogger
	metrics *metrics.Metrics
}

// outcome is filled in while one request is served.
type outcome struct{ result string }

type outcomeKey struct{}

// ServeHTTP serves r with a copy of the handler whose Observe knows r.
func (o *observed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out := &outcome{}
	r = r.WithContext(context.WithValue(r.Context(), outcomeKey{}, out))
	h := o.base
	h.Observe = func(ex soap.Exchange) { o.record(r, out, ex) }
	h.ServeHTTP(w, r)
}

// record writes the request's log line and counts it.
func (o *observed) record(r *http.Request, out *outcome, ex soap.Exchange) {
	var service, client, id string
	if ex.Header != nil {
		service = ex.Header.Service.ServiceCode
		client = ex.Header.Client.String()
		id = ex.Header.ID
	}
	result, fault := out.result, ex.FaultCode != ""
	if fault {
		result = ex.FaultCode
	}
	o.metrics.Request(service, result, fault, ex.Duration)

	e := o.log.WithFields(logrus.Fields{
		"messageId": id, "client": client, "service": service, "result": result,
		"status": ex.Status, "durationMs": float64(ex.Duration.Microseconds()) / 1000,
		"remote": r.RemoteAddr,
	})
	switch {
	case ex.Err != nil:
		e.WithError(ex.Err).Error("request")
	case fault:
		e.WithField("fault", ex.FaultString).Warn("request")
	default:
		e.Info("request")
	}
}

// resultService passes requests on and notes the result code of each
// response for observed.
type resultService struct{ next soap.Service }

var _ soap.Service = resultService{}

// ServeSOAP calls the wrapped service and records result/code of the
// response body, when the request came through observed.
func (s resultService) ServeSOAP(ctx context.Context, req *soap.Request) (*soap.Response, error) {
	resp, err := s.next.ServeSOAP(ctx, req)
	if out, ok := ctx.Value(outcomeKey{}).(*outcome); ok && err == nil && resp != nil {
		out.result = resultCode(resp.Body)
	}
	return resp, err
}

// resultCode finds the text of result/code among the body's children.
func resultCode(body *etree.Element) string {
	if body == nil {
		return ""
	}
	for _, c := range body.ChildElements() {
		if c.Tag == "result" {
			if code := c.SelectElement("code"); code != nil {
				return code.Text()
			}
		}
	}
	return ""
}

// meteredBanks times every call to a bank.
type meteredBanks struct {
	adapter.Banks
	metrics *metrics.Metrics
}

// Bank returns the bank with code, its calls timed.
func (b meteredBanks) Bank(code string) (adapter.Bank, bool) {
	bank, ok := b.Banks.Bank(code)
	if !ok {
		return nil, false
	}
	return meteredBank{Bank: bank, code: code, metrics: b.metrics}, true
}

// meteredBank times the calls of one bank.
type meteredBank struct {
	adapter.Bank
	code    string
	metrics *metrics.Metrics
}

// observe records one call. A bank that does not hold an order it is
// asked about has answered, not failed.
func (b meteredBank) observe(op string, start time.Time, err error) {
	if errors.Is(err, adapter.ErrNoBankOrder) {
		err = nil
	}
	b.metrics.BankCall(b.code, op, time.Since(start), err)
}

// CreatePaymentOrder places o, timed.
func (b meteredBank) CreatePaymentOrder(ctx context.Context,
	o adapter.PaymentOrder) (adapter.BankOrder, error) {
	start := time.Now()
	bo, err := b.Bank.CreatePaymentOrder(ctx, o)
	b.observe("createPaymentOrder", start, err)
	return bo, err
}

// PaymentOrder asks for the bank's view of o, timed.
func (b meteredBank) PaymentOrder(ctx context.Context,
	o adapter.PaymentOrder) (adapter.BankOrder, error) {
	start := time.Now()
	bo, err := b.Bank.PaymentOrder(ctx, o)
	b.observe("getPaymentOrder", start, err)
	return bo, err
}

// CancelPaymentOrder withdraws o, timed.
func (b meteredBank) CancelPaymentOrder(ctx context.Context, o adapter.PaymentOrder,
	reason string) (adapter.BankOrder, error) {
	start := time.Now()
	bo, err := b.Bank.CancelPaymentOrder(ctx, o, reason)
	b.observe("cancelPaymentOrder", start, err)
	return bo, err
}

// RefundPayment returns o's payment, timed.
func (b meteredBank) RefundPayment(ctx context.Context, o adapter.PaymentOrder,
	reason string) (adapter.BankOrder, error) {
	start := time.Now()
	bo, err := b.Bank.RefundPayment(ctx, o, reason)
	b.observe("refundPayment", start, err)
	return bo, err
}
