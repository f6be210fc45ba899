package adapter

import "time"

// Vehicle is a registered vehicle as the registry knows it.
type Vehicle struct {
	ID         int64
	VIN        string // empty for old vehicles without a 17-character VIN
	BodyNumber string // body or chassis number, for vehicles without a VIN
	Plate      string
	Make       string
	Model      string
	Year       int
	Color      string
}

// VehicleQuery finds one vehicle by exactly one of its identifiers.
type VehicleQuery struct {
	VIN        VIN
	Plate      Plate
	BodyNumber string
}

// Person is a natural person known to the registry.
type Person struct {
	PIN  PIN
	Name string
}

// Registration is one period of ownership of a vehicle. Exactly one
// registration per vehicle is current (Until is zero); the registry
// enforces that.
type Registration struct {
	ID                int64
	VehicleID         int64
	Owner             Person
	CertificateNumber string
	Since             time.Time
	Until             time.Time // zero while current
	TransferID        string    // the transfer that opened it; empty for the initial one
}

// RestrictionKind names why a vehicle may not change owner.
type RestrictionKind string

// Restriction kinds that block a transfer.
const (
	Arrest RestrictionKind = "ARREST"
	Pledge RestrictionKind = "PLEDGE"
	Wanted RestrictionKind = "WANTED"
)

// Restriction is a bar on disposing of a vehicle, placed by a court, a
// lender or the police.
type Restriction struct {
	ID        int64
	VehicleID int64
	Kind      RestrictionKind
	Authority string
	Since     time.Time
}

// OwnerChange is the completion of a transfer in the registry: the current
// registration closes and one for the buyer opens with a new certificate.
type OwnerChange struct {
	VehicleID  int64
	Buyer      Person
	TransferID string
	At         time.Time
}
