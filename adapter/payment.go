package adapter

import (
	"context"
	"time"
)

// OrderStatus is where a payment order stands on our side.
type OrderStatus string

// Payment order statuses. An order is written as New in the transaction
// that approves the transfer and sent to the bank afterwards, so a crash
// between the two never loses it.
const (
	OrderNew       OrderStatus = "NEW"       // written, not yet accepted by the bank
	OrderSent      OrderStatus = "SENT"      // the bank holds it
	OrderPaid      OrderStatus = "PAID"      // the bank confirmed payment
	OrderCancelled OrderStatus = "CANCELLED" // withdrawn before payment
)

// Fees are added to the price of every transfer.
type Fees struct {
	State   Money // the state registration fee
	Service Money // the service operator's fee
}

// PaymentOrder is what the buyer pays at their bank: the price to the
// seller plus the fees.
type PaymentOrder struct {
	ID            string // our order id; the bank's idempotency key
	TransferID    string
	BankCode      string
	PayerPIN      PIN
	Payee         Account
	Price         Money
	StateFee      Money
	ServiceFee    Money
	Amount        Money // Price + StateFee + ServiceFee
	Status        OrderStatus
	BankOrderID   string
	BankReference string
	PaidAt        time.Time
	ExpiresAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
}

// BankOrder is the bank's view of an order.
type BankOrder struct {
	OrderID     string
	BankOrderID string
	Status      string
}

// Bank is a partner bank's payment service.
type Bank interface {
	// CreatePaymentOrder places o at the bank. Placing the same order id
	// twice must not create a second order.
	CreatePaymentOrder(ctx context.Context, o PaymentOrder) (BankOrder, error)
}

// Banks finds the payment service of a bank by its code.
type Banks interface {
	// Bank returns the enabled bank with the code, or ok false.
	Bank(code string) (b Bank, ok bool)
}
