// Package bankclient reaches the partner banks' payment services as an
// X-Road consumer: each call goes through soap.Client to our own security
// server, with the bank's service identifier in the header, and implements
// adapter.Bank.
package bankclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/bank"
)

// Version is the version of the bank contract this client speaks.
const Version = "v1"

// ErrRefused is wrapped by errors for a call the bank answered with a result
// code other than OK. The same errors wrap adapter.ErrBankRefused, and
// adapter.ErrNoBankOrder when the code is OrderNotFound.
var ErrRefused = errors.New("bankclient: refused by the bank")

// OrderNotFound is the result code by which a bank says it does not hold an
// order.
const OrderNotFound = "ORDER_NOT_FOUND"

// Bank is one partner bank's payment service.
type Bank struct {
	Code    string
	Name    string
	Service soap.Identifier // the bank's subsystem that provides the payment service
	Enabled bool

	client *soap.Client
}

var _ adapter.Bank = (*Bank)(nil)

// service is the identifier of one operation of the bank's contract.
func (b *Bank) service(code string) soap.Identifier {
	return b.Service.Subsystem().Service(code, Version)
}

// call sends one request body and decodes the response into resp. The
// buyer's PIN travels as userId because the bank acts for that citizen.
func (b *Bank) call(ctx context.Context, code, userID string, req, resp any) error {
	body, err := soap.Marshal(req)
	if err != nil {
		return fmt.Errorf("bankclient: encode %s: %w", code, err)
	}
	r, err := b.client.Do(ctx, soap.Call{Service: b.service(code), UserID: userID, Body: body})
	if err != nil {
		return fmt.Errorf("bankclient: %s at %s: %w", code, b.Code, err)
	}
	defer r.Close()
	if err := soap.Unmarshal(r.Body, resp); err != nil {
		return fmt.Errorf("bankclient: decode %sResponse from %s: %w", code, b.Code, err)
	}
	return nil
}

// CreatePaymentOrder places o at the bank. The bank treats our order id as
// an idempotency key, so calling again after a timeout is safe.
func (b *Bank) CreatePaymentOrder(ctx context.Context, o adapter.PaymentOrder) (adapter.BankOrder, error) {
	req := &bank.CreatePaymentOrder{
		OrderId: o.ID, TransferId: o.TransferID, PayerPin: string(o.PayerPIN),
		Amount: o.Amount.String(),
		Breakdown: &bank.Breakdown{
			Price: o.Price.String(), StateFee: o.StateFee.String(), ServiceFee: o.ServiceFee.String(),
		},
		Payee:       &bank.BankAccount{BankCode: o.Payee.BankCode, AccountNumber: o.Payee.Number},
		Description: "Vehicle re-registration " + o.TransferID,
	}
	if !o.ExpiresAt.IsZero() {
		req.ExpiresAt = o.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	var resp bank.CreatePaymentOrderResponse
	if err := b.call(ctx, "createPaymentOrder", "KG"+string(o.PayerPIN), req, &resp); err != nil {
		return adapter.BankOrder{}, err
	}
	bo := adapter.BankOrder{OrderID: resp.OrderId, BankOrderID: resp.BankOrderId, Status: resp.Status}
	return bo, b.check("createPaymentOrder", o.ID, resp.Result, resp.OrderId)
}

// PaymentOrder asks the bank about o with getPaymentOrder.
func (b *Bank) PaymentOrder(ctx context.Context, o adapter.PaymentOrder) (adapter.BankOrder, error) {
	var resp bank.GetPaymentOrderResponse
	err := b.call(ctx, "getPaymentOrder", "", &bank.GetPaymentOrder{OrderId: o.ID}, &resp)
	if err != nil {
		return adapter.BankOrder{}, err
	}
	if err := b.check("getPaymentOrder", o.ID, resp.Result, resp.OrderId); err != nil {
		return adapter.BankOrder{}, err
	}
	bo := adapter.BankOrder{OrderID: resp.OrderId, Status: resp.Status, BankReference: resp.BankReference}
	if resp.Amount != "" {
		if bo.Amount, err = adapter.ParseMoney(resp.Amount); err != nil {
			return adapter.BankOrder{}, fmt.Errorf("bankclient: %s reports amount %q for order %s",
				b.Code, resp.Amount, o.ID)
		}
	}
	if resp.PaidAt != "" {
		if bo.PaidAt, err = time.Parse(time.RFC3339, resp.PaidAt); err != nil {
			return adapter.BankOrder{}, fmt.Errorf("bankclient: %s reports paidAt %q for order %s",
				b.Code, resp.PaidAt, o.ID)
		}
	}
	return bo, nil
}

// CancelPaymentOrder withdraws o at the bank with cancelPaymentOrder.
func (b *Bank) CancelPaymentOrder(
	ctx context.Context, o adapter.PaymentOrder, reason string,
) (adapter.BankOrder, error) {
	var resp bank.CancelPaymentOrderResponse
	req := &bank.CancelPaymentOrder{OrderId: o.ID, Reason: reason}
	if err := b.call(ctx, "cancelPaymentOrder", "", req, &resp); err != nil {
		return adapter.BankOrder{}, err
	}
	bo := adapter.BankOrder{OrderID: resp.OrderId, Status: resp.Status}
	return bo, b.check("cancelPaymentOrder", o.ID, resp.Result, resp.OrderId)
}

// RefundPayment returns the payment of o to the payer with refundPayment.
// The bank refunds an order at most once, so a repeated call is safe.
func (b *Bank) RefundPayment(
	ctx context.Context, o adapter.PaymentOrder, reason string,
) (adapter.BankOrder, error) {
	var resp bank.RefundPaymentResponse
	req := &bank.RefundPayment{OrderId: o.ID, Amount: o.Amount.String(), Reason: reason}
	if err := b.call(ctx, "refundPayment", "KG"+string(o.PayerPIN), req, &resp); err != nil {
		return adapter.BankOrder{}, err
	}
	bo := adapter.BankOrder{OrderID: resp.OrderId, Status: resp.Status, RefundID: resp.RefundId}
	return bo, b.check("refundPayment", o.ID, resp.Result, resp.OrderId)
}

// check turns a refusal into an error and makes sure the bank answered
// about the order asked for.
func (b *Bank) check(code, orderID string, r *bank.Result, answered string) error {
	if err := refused(r); err != nil {
		return fmt.Errorf("bankclient: %s of order %s at %s: %w", code, orderID, b.Code, err)
	}
	if answered != orderID {
		return fmt.Errorf("bankclient: %s answered %s for order %q, sent %q",
			b.Code, code, answered, orderID)
	}
	return nil
}

// refused turns a non-OK result into an error wrapping ErrRefused and
// adapter.ErrBankRefused, and adapter.ErrNoBankOrder for OrderNotFound. A
// response without a result is a broken answer, not a refusal.
func refused(r *bank.Result) error {
	if r == nil {
		return errors.New("bankclient: the response has no result")
	}
	if r.Code == "OK" {
		return nil
	}
	var texts []string
	for _, m := range r.Message {
		if m != nil && m.Value != nil && m.Lang == "en" {
			texts = append(texts, string(*m.Value))
		}
	}
	err := fmt.Errorf("%w: %w: %s %s", ErrRefused, adapter.ErrBankRefused, r.Code,
		strings.Join(texts, " "))
	if r.Code == OrderNotFound {
		err = fmt.Errorf("%w: %w", adapter.ErrNoBankOrder, err)
	}
	return err
}

// Directory is the configured set of partner banks. It implements
// adapter.Banks.
type Directory struct {
	banks map[string]*Bank
}

var _ adapter.Banks = (*Directory)(nil)

// NewDirectory returns the directory of banks, all called through client.
// It returns an error for a bank listed twice or without a code or service.
func NewDirectory(client *soap.Client, banks []Bank) (*Directory, error) {
	d := &Directory{banks: make(map[string]*Bank, len(banks))}
	for _, b := range banks {
		if b.Code == "" || b.Service.MemberCode == "" {
			return nil, fmt.Errorf("bankclient: bank %q needs a code and a service", b.Name)
		}
		if _, dup := d.banks[b.Code]; dup {
			return nil, fmt.Errorf("bankclient: bank %s is listed twice", b.Code)
		}
		b.client = client
		d.banks[b.Code] = &b
	}
	return d, nil
}

// Bank returns the enabled bank with code.
func (d *Directory) Bank(code string) (adapter.Bank, bool) {
	b, ok := d.banks[code]
	if !ok || !b.Enabled {
		return nil, false
	}
	return b, true
}
