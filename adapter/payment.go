package adapter

import (
	"context"
	"errors"
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
	OrderRefunded  OrderStatus = "REFUNDED"  // paid, and the payment returned
)

// Call is a call to the bank that an order owes: the payment outbox. An
// order owes at most one at a time.
type Call string

// Calls an order may owe its bank.
const (
	CallNone   Call = ""
	CallCreate Call = "CREATE" // createPaymentOrder
	CallCancel Call = "CANCEL" // cancelPaymentOrder, for an ended transfer
	CallRefund Call = "REFUND" // refundPayment, for a payment that cannot complete a transfer
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
	CreatedAt     time.Time

	// The outbox: the call owed to the bank and its retries.
	Call          Call
	Attempts      int // of the owed call
	NextAttemptAt time.Time
	LastError     string
	// Attention says why an operator must look at the order; the owed
	// call is no longer retried while it is set. FlaggedAt is when it was.
	Attention string
	FlaggedAt time.Time
	// CheckedAt is the last news of the order from the bank.
	CheckedAt  time.Time
	RefundID   string
	RefundedAt time.Time
}

// Bank order statuses, as the bank contract names them.
const (
	BankCreated   = "CREATED"
	BankPaid      = "PAID"
	BankCancelled = "CANCELLED"
	BankRefunded  = "REFUNDED"
	BankExpired   = "EXPIRED"
)

// BankOrder is the bank's view of an order.
type BankOrder struct {
	OrderID       string
	BankOrderID   string
	Status        string // one of the Bank* statuses
	Amount        Money  // set by GetPaymentOrder
	BankReference string // of the payment, once paid
	PaidAt        time.Time
	RefundID      string // set by RefundPayment
}

// Errors a Bank wraps, so the outbox can tell answers from failures.
var (
	// ErrBankRefused means the bank answered with a result other than OK.
	ErrBankRefused = errors.New("adapter: refused by the bank")
	// ErrNoBankOrder means the bank does not hold the order.
	ErrNoBankOrder = errors.New("adapter: the bank does not hold the order")
)

// Bank is a partner bank's payment service. Every call is idempotent on our
// order id, so the outbox may repeat any of them after a timeout.
type Bank interface {
	// CreatePaymentOrder places o at the bank. Placing the same order id
	// twice must not create a second order.
	CreatePaymentOrder(ctx context.Context, o PaymentOrder) (BankOrder, error)
	// PaymentOrder returns the bank's view of the order; an error wrapping
	// ErrNoBankOrder when the bank does not hold it.
	PaymentOrder(ctx context.Context, o PaymentOrder) (BankOrder, error)
	// CancelPaymentOrder withdraws an unpaid order. A paid order is refused
	// with an error wrapping ErrBankRefused.
	CancelPaymentOrder(ctx context.Context, o PaymentOrder, reason string) (BankOrder, error)
	// RefundPayment returns the payment of o to the payer.
	RefundPayment(ctx context.Context, o PaymentOrder, reason string) (BankOrder, error)
}

// Banks finds the payment service of a bank by its code.
type Banks interface {
	// Bank returns the enabled bank with the code, or ok false.
	Bank(code string) (b Bank, ok bool)
}
