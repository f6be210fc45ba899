package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// payer plays the buyer paying in the bank's app: after a delay (or when
// asked) it marks an order paid and tells the adapter with confirmPayment.
type payer struct {
	ledger  *ledger
	client  *soap.Client
	adapter soap.Identifier // the adapter's confirmPayment service
	delay   time.Duration   // negative: pay only on request
	faults  *faults
	log     logrus.FieldLogger
	now     func() time.Time

	ctx context.Context // ends the pending payments on shutdown
	wg  sync.WaitGroup
}

// schedule pays the order after the configured delay.
func (p *payer) schedule(orderID string) {
	if p.delay < 0 {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(p.delay):
		}
		if err := p.pay(p.ctx, orderID); err != nil {
			p.log.WithError(err).WithField("order", orderID).Error("payment not confirmed")
		}
	}()
}

// pay marks the order paid, once, and sends confirmPayment as the faults
// allow: at once, or in the background after -callback-delay.
func (p *payer) pay(ctx context.Context, orderID string) error {
	o, err := p.ledger.update(orderID, func(o *order) error {
		switch o.Status {
		case statusPaid:
			return nil
		case statusCreated:
			ref := make([]byte, 6)
			_, _ = rand.Read(ref)
			o.Status, o.BankReference, o.PaidAt = statusPaid, "PAY-"+hex.EncodeToString(ref), p.now()
			return nil
		}
		return fmt.Errorf("order %s is %s", o.OrderID, o.Status)
	})
	if err != nil {
		return err
	}
	p.log.WithFields(logrus.Fields{
		"order": o.OrderID, "amount": o.Amount, "reference": o.BankReference,
	}).Info("buyer paid")
	if p.faults.roll(p.faults.LostCallbacks) {
		p.log.WithField("order", o.OrderID).Info("fault: the callback is lost")
		return nil
	}
	if p.faults == nil || p.faults.CallbackDelay <= 0 {
		p.callback(o)
		return nil
	}
	// A delayed callback comes after the pay request has returned.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.callback(o)
	}()
	return nil
}

// callback sends the confirmation of a paid order after the configured
// delay, and its duplicates, one after the other.
func (p *payer) callback(o order) {
	f := p.faults
	if f == nil {
		f = &faults{}
	}
	select {
	case <-p.ctx.Done():
		return
	case <-time.After(f.CallbackDelay):
	}
	for range 1 + f.DupCallbacks {
		sent := o
		if f.roll(f.WrongAmount) {
			sent.Amount = wrongAmount(o.Amount)
			p.log.WithFields(logrus.Fields{"order": o.OrderID, "amount": sent.Amount}).
				Info("fault: the callback carries a wrong amount")
		}
		if err := p.confirm(p.ctx, sent); err != nil {
			p.log.WithError(err).WithField("order", o.OrderID).Error("payment not confirmed")
		}
	}
}

// wrongAmount is amount less one som, or a plain wrong number when amount
// cannot be read.
func wrongAmount(amount string) string {
	var som, tyiyn int64
	if _, err := fmt.Sscanf(amount, "%d.%d", &som, &tyiyn); err != nil || som < 1 {
		return "1.00"
	}
	return fmt.Sprintf("%d.%02d", som-1, tyiyn)
}

// confirm sends confirmPayment for a paid order and records the answer.
func (p *payer) confirm(ctx context.Context, o order) error {
	body, err := soap.Marshal(&vehicle.ConfirmPayment{
		OrderId: o.OrderID, TransferId: o.TransferID, Amount: o.Amount,
		BankReference: o.BankReference, PaidAt: o.PaidAt.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	var last error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		_, _ = p.ledger.update(o.OrderID, func(o *order) error { o.Callbacks++; return nil })
		resp, err := p.client.Do(ctx, soap.Call{Service: p.adapter, UserID: "KG" + o.PayerPIN, Body: body})
		if err != nil {
			last = err
			continue
		}
		defer resp.Close()
		var r vehicle.ConfirmPaymentResponse
		if err := soap.Unmarshal(resp.Body, &r); err != nil {
			return fmt.Errorf("decode confirmPaymentResponse: %w", err)
		}
		code := ""
		if r.Result != nil {
			code = r.Result.Code
		}
		_, _ = p.ledger.update(o.OrderID, func(o *order) error {
			o.Confirmed, o.ConfirmResult = o.Confirmed || code == "OK", code
			return nil
		})
		p.log.WithFields(logrus.Fields{
			"order": o.OrderID, "result": code, "state": r.State, "certificate": r.CertificateNumber,
		}).Info("adapter answered confirmPayment")
		return nil
	}
	return fmt.Errorf("confirmPayment for %s: %w", o.OrderID, last)
}
