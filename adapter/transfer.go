package adapter

import "time"

// State is where a transfer stands.
type State string

// Transfer states. A transfer moves AwaitingBuyer -> AwaitingPhotos ->
// AwaitingInspection -> AwaitingPayment -> Completed; Cancelled and Rejected
// end it early, and a RETAKE decision sends it back to AwaitingPhotos.
const (
	AwaitingBuyer      State = "AWAITING_BUYER"
	AwaitingPhotos     State = "AWAITING_PHOTOS"
	AwaitingInspection State = "AWAITING_INSPECTION"
	AwaitingPayment    State = "AWAITING_PAYMENT"
	Completed          State = "COMPLETED"
	Cancelled          State = "CANCELLED"
	Rejected           State = "REJECTED"
	// Expired ends a transfer whose current step passed its deadline.
	Expired State = "EXPIRED"
	// Blocked holds a paid transfer whose vehicle came under a restriction
	// before completion; the payment is to be refunded.
	Blocked State = "BLOCKED"
)

// OpenStates are the states of a transfer that has not ended; a vehicle has
// at most one transfer in them.
var OpenStates = []State{AwaitingBuyer, AwaitingPhotos, AwaitingInspection, AwaitingPayment}

// Open reports whether a transfer in s has not ended.
func (s State) Open() bool {
	for _, o := range OpenStates {
		if s == o {
			return true
		}
	}
	return false
}

// Account is a bank account that receives the price.
type Account struct {
	BankCode string
	Number   string
}

// Transfer is one sale of a vehicle from its owner to a buyer.
type Transfer struct {
	ID                string
	VehicleID         int64
	VIN               string
	Plate             string
	SellerPIN         PIN
	BuyerPIN          PIN
	Price             Money
	SellerAccount     Account
	BuyerBankCode     string
	State             State
	ApprovalCode      string
	CertificateNumber string // the buyer's new certificate, once completed
	Deadline          time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Party reports whether pin is the seller or the buyer of t.
func (t Transfer) Party(pin PIN) bool { return pin == t.SellerPIN || pin == t.BuyerPIN }

// Event is one entry in a transfer's history: who moved it from which state
// to which, through which X-Road message.
type Event struct {
	ID         int64
	TransferID string
	From       State // empty for the creation
	To         State
	Client     string // X-Road client identifier path
	UserID     string // masked when it carries a PIN
	MessageID  string
	Note       string
	At         time.Time
}
