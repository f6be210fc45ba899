package main

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Order statuses on the bank's side.
const (
	statusCreated   = "CREATED"
	statusPaid      = "PAID"
	statusCancelled = "CANCELLED"
	statusRefunded  = "REFUNDED"
)

// errNoOrder means the ledger holds no order under the id asked for.
var errNoOrder = errors.New("no such order")

// order is a payment order as the simulated bank holds it.
type order struct {
	OrderID       string    `json:"orderId"`
	BankOrderID   string    `json:"bankOrderId"`
	TransferID    string    `json:"transferId"`
	PayerPIN      string    `json:"payerPin"`
	Amount        string    `json:"amount"`
	Payee         string    `json:"payee"`
	Status        string    `json:"status"`
	BankReference string    `json:"bankReference,omitempty"`
	PaidAt        time.Time `json:"paidAt,omitzero"`
	Confirmed     bool      `json:"confirmed"` // the adapter acknowledged the payment
	ConfirmResult string    `json:"confirmResult,omitempty"`
	Refunds       []string  `json:"refunds,omitempty"` // refunds carried out; never more than one
	RefundedAt    time.Time `json:"refundedAt,omitzero"`
	Callbacks     int       `json:"callbacks"` // confirmPayment calls sent
	Creates       int       `json:"creates"`   // createPaymentOrder requests carried out and answered
	Created       time.Time `json:"created"`
}

// ledger is the simulated bank's book of orders, safe for concurrent use.
type ledger struct {
	mu     sync.Mutex
	orders map[string]*order
	seq    int
}

func newLedger() *ledger { return &ledger{orders: make(map[string]*order)} }

// create records an order under the caller's order id. The same id again
// returns the order already held, so a retried request never creates a
// second one; the same id with another amount is refused. answered says
// whether the caller will get the answer, for the order's Creates.
func (l *ledger) create(o order, now time.Time, answered bool) (order, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.orders[o.OrderID]; ok {
		if cur.Amount != o.Amount || cur.TransferID != o.TransferID {
			return order{}, false, fmt.Errorf("order %s exists with other terms", o.OrderID)
		}
		if answered {
			cur.Creates++
		}
		return *cur, false, nil
	}
	l.seq++
	o.BankOrderID = fmt.Sprintf("SIM-%06d", l.seq)
	o.Status = statusCreated
	o.Created = now
	o.Creates = 0
	if answered {
		o.Creates = 1
	}
	l.orders[o.OrderID] = &o
	return o, true, nil
}

// get returns a copy of an order.
func (l *ledger) get(id string) (order, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.orders[id]
	if !ok {
		return order{}, false
	}
	return *o, true
}

// update applies fn to an order under the lock and returns the result.
func (l *ledger) update(id string, fn func(o *order) error) (order, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.orders[id]
	if !ok {
		return order{}, fmt.Errorf("order %s: %w", id, errNoOrder)
	}
	err := fn(o)
	return *o, err
}

// list returns every order, oldest first.
func (l *ledger) list() []order {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]order, 0, len(l.orders))
	for _, o := range l.orders {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BankOrderID < out[j].BankOrderID })
	return out
}
