package adapter

import (
	"io"
	"time"
)

// Photo kinds an inspector expects.
const (
	PhotoVINPlate = "VIN_PLATE" // the VIN plate or stamping
	PhotoFront    = "FRONT"
	PhotoRear     = "REAR"
	PhotoOther    = "OTHER"
)

// Photo is an image uploaded for the remote inspection.
type Photo struct {
	ID          int64
	TransferID  string
	Kind        string
	ContentType string
	SHA256      string // hex digest, to spot the same photo reused elsewhere
	Size        int64  // bytes of content; 0 when unknown before storing
	UploadedBy  string // masked PIN of the uploader
	UploadedAt  time.Time

	// Content holds the bytes of a photo read back from the store, and of
	// a photo to store when Open is nil.
	Content []byte

	// Open, when set, returns a reader of the content of a photo to store,
	// from its beginning at each call; a Store streams it in pieces, so a
	// large photo is never held in memory, and calls it again when it
	// retries a transaction.
	Open func() (io.ReadCloser, error)
}

// Decision is an inspector's verdict on the photos.
type Decision string

// Inspection decisions.
const (
	Approve Decision = "APPROVE"
	Reject  Decision = "REJECT"
	Retake  Decision = "RETAKE"
)

// Inspection is an inspector's decision on a transfer.
type Inspection struct {
	TransferID  string
	InspectorID string
	Decision    Decision
	ObservedVIN string
	Comment     string
	At          time.Time
}

// PendingInspection is a transfer waiting for an inspector, with what the
// inspector needs to pick it.
type PendingInspection struct {
	Transfer   Transfer
	Vehicle    Vehicle
	PhotoCount int
	Since      time.Time

	// Facts the store supplies, from which the Service derives Signals.
	LastOwnerChange time.Time // when the vehicle last changed owner; zero if never
	ReusedPhotos    int       // photos of this transfer whose hash another transfer has
	ObservedVIN     string    // the VIN the latest RETAKE decision recorded, if any

	// Signals are what the inspector should look at before deciding.
	Signals []RiskSignal
}

// Risk signal codes, stable like result codes.
const (
	SignalRecentOwnerChange = "RECENT_OWNER_CHANGE"
	SignalPhotoReused       = "PHOTO_REUSED"
	SignalObservedVIN       = "OBSERVED_VIN_DIFFERS"
)

// RiskSignal is something an inspector should look at: a stable code and
// an explanation.
type RiskSignal struct {
	Code string
	Text string
}
