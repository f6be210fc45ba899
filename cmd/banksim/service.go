package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/bank"
)

// bankService answers the bank contract (wsdl/bank.wsdl) over X-Road.
type bankService struct {
	ledger *ledger
	payer  *payer
	faults *faults
	now    func() time.Time
}

var _ soap.Service = (*bankService)(nil)

func (s *bankService) ServeSOAP(ctx context.Context, req *soap.Request) (*soap.Response, error) {
	if s.faults.roll(s.faults.SOAPFaults) {
		return nil, &soap.Fault{Code: "Server.ServerProxy.ServiceFailed",
			String: "banksim: simulated failure of the payment service"}
	}
	var (
		out any
		err error
	)
	switch code := req.Header.Service.ServiceCode; code {
	case "createPaymentOrder":
		out, err = s.create(ctx, req)
	case "getPaymentOrder":
		out, err = s.get(req)
	case "cancelPaymentOrder":
		out, err = s.cancel(req)
	case "refundPayment":
		out, err = s.refund(req)
	default:
		return nil, &soap.Fault{Code: soap.CodeUnknownService,
			String: fmt.Sprintf("the bank does not provide %s", code)}
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

func decode[T any](req *soap.Request) (*T, error) {
	v := new(T)
	if err := soap.Unmarshal(req.Body, v); err != nil {
		return nil, &soap.Fault{Code: soap.CodeBadRequest, String: err.Error()}
	}
	return v, nil
}

func result(code, text string) *bank.Result {
	t := bank.Text(text)
	return &bank.Result{Code: code, Message: []*bank.LocalizedText{{Value: &t, Lang: "en"}}}
}

// refusal is the result code for an order the ledger would not change.
func refusal(err error) string {
	if errors.Is(err, errNoOrder) {
		return "ORDER_NOT_FOUND"
	}
	return "INVALID_STATE"
}

func (s *bankService) create(ctx context.Context, req *soap.Request) (any, error) {
	in, err := decode[bank.CreatePaymentOrder](req)
	if err != nil {
		return nil, err
	}
	if in.OrderId == "" || in.Amount == "" || in.Payee == nil {
		return &bank.CreatePaymentOrderResponse{
			Result: result("INVALID_REQUEST", "orderId, amount and payee are required"),
		}, nil
	}
	if s.faults.roll(s.faults.RefuseAtCreate) {
		return &bank.CreatePaymentOrderResponse{
			Result: result("ORDER_CONFLICT", "simulated refusal"), OrderId: in.OrderId,
		}, nil
	}
	o, created, err := s.ledger.create(order{
		OrderID: in.OrderId, TransferID: in.TransferId, PayerPIN: in.PayerPin,
		Amount: in.Amount, Payee: in.Payee.BankCode + "/" + in.Payee.AccountNumber,
	}, s.now(), !unanswered(ctx))
	if err != nil {
		return &bank.CreatePaymentOrderResponse{
			Result: result("ORDER_CONFLICT", err.Error()), OrderId: in.OrderId,
		}, nil
	}
	if created {
		s.payer.schedule(o.OrderID)
	}
	return &bank.CreatePaymentOrderResponse{
		Result: result("OK", "order placed"), OrderId: o.OrderID,
		BankOrderId: o.BankOrderID, Status: o.Status,
	}, nil
}

func (s *bankService) get(req *soap.Request) (any, error) {
	in, err := decode[bank.GetPaymentOrder](req)
	if err != nil {
		return nil, err
	}
	o, ok := s.ledger.get(in.OrderId)
	if !ok {
		return &bank.GetPaymentOrderResponse{
			Result: result("ORDER_NOT_FOUND", "no such order"), OrderId: in.OrderId,
		}, nil
	}
	r := &bank.GetPaymentOrderResponse{
		Result: result("OK", ""), OrderId: o.OrderID, Status: o.Status, Amount: o.Amount,
		BankReference: o.BankReference,
	}
	if !o.PaidAt.IsZero() {
		r.PaidAt = o.PaidAt.UTC().Format(time.RFC3339)
	}
	return r, nil
}

func (s *bankService) cancel(req *soap.Request) (any, error) {
	in, err := decode[bank.CancelPaymentOrder](req)
	if err != nil {
		return nil, err
	}
	o, err := s.ledger.update(in.OrderId, func(o *order) error {
		// Only an order nobody has paid can be withdrawn; a refunded one
		// was paid and stays on the books as refunded.
		if o.Status != statusCreated && o.Status != statusCancelled {
			return fmt.Errorf("order %s is %s", o.OrderID, o.Status)
		}
		o.Status = statusCancelled
		return nil
	})
	if err != nil {
		return &bank.CancelPaymentOrderResponse{
			Result: result(refusal(err), err.Error()), OrderId: in.OrderId, Status: o.Status,
		}, nil
	}
	return &bank.CancelPaymentOrderResponse{
		Result: result("OK", "cancelled"), OrderId: o.OrderID, Status: o.Status,
	}, nil
}

func (s *bankService) refund(req *soap.Request) (any, error) {
	in, err := decode[bank.RefundPayment](req)
	if err != nil {
		return nil, err
	}
	var refundID string
	o, err := s.ledger.update(in.OrderId, func(o *order) error {
		if o.Status != statusPaid && o.Status != statusRefunded {
			return fmt.Errorf("order %s is %s, not paid", o.OrderID, o.Status)
		}
		if in.Amount != o.Amount {
			return fmt.Errorf("refund of %s for an order of %s", in.Amount, o.Amount)
		}
		if o.Status == statusPaid {
			o.Refunds = append(o.Refunds, fmt.Sprintf("RF-%s", o.BankOrderID))
			o.Status, o.RefundedAt = statusRefunded, s.now()
		}
		refundID = o.Refunds[len(o.Refunds)-1]
		return nil
	})
	if err != nil {
		return &bank.RefundPaymentResponse{
			Result: result(refusal(err), err.Error()), OrderId: in.OrderId, Status: o.Status,
		}, nil
	}
	return &bank.RefundPaymentResponse{
		Result: result("OK", "refunded"), OrderId: o.OrderID, RefundId: refundID, Status: o.Status,
	}, nil
}
