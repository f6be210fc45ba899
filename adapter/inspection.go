package adapter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// PhotoUpload is one photo as a caller sends it. A large photo comes as
// Size and Open, so that it goes from where the caller put it (a temporary
// file, say) to the store without being held in memory; a small one may
// come as Content.
type PhotoUpload struct {
	Kind        string
	ContentType string

	// Size is the length of the content in bytes; with Open nil it is
	// ignored and len(Content) counts.
	Size int64

	// Open returns a reader of the content from its beginning; it may be
	// called several times and must keep working until UploadVINPhotos
	// returns. When nil, Content holds the bytes.
	Open func() (io.ReadCloser, error)

	Content []byte
}

// size returns the length of p's content.
func (p PhotoUpload) size() int64 {
	if p.Open == nil {
		return int64(len(p.Content))
	}
	return p.Size
}

// open returns a reader of p's content.
func (p PhotoUpload) open() (io.ReadCloser, error) {
	if p.Open == nil {
		return io.NopCloser(bytes.NewReader(p.Content)), nil
	}
	return p.Open()
}

// head returns the first n bytes of p's content, or all of a shorter one.
func (p PhotoUpload) head(n int) ([]byte, error) {
	rc, err := p.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(rc, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return b[:k], err
}

var photoKinds = map[string]bool{PhotoVINPlate: true, PhotoFront: true, PhotoRear: true, PhotoOther: true}

// checkPhoto refuses a photo of an unknown kind, a type other than JPEG or
// PNG, a size out of bounds, or content that is not what it claims to be.
func (s *Service) checkPhoto(p PhotoUpload) error {
	if !photoKinds[p.Kind] {
		return refuse(InvalidPhoto, "kind %q", p.Kind)
	}
	if n := p.size(); n <= 0 || n > int64(s.cfg.Photos.MaxBytes) {
		return refuse(InvalidPhoto, "%d bytes, want 1 to %d", n, s.cfg.Photos.MaxBytes)
	}
	ct := strings.ToLower(strings.TrimSpace(p.ContentType))
	if ct != "image/jpeg" && ct != "image/png" {
		return refuse(InvalidPhoto, "content type %q, want image/jpeg or image/png", p.ContentType)
	}
	// The declared type is the caller's word; the bytes are the evidence.
	// Sniffing needs only the first 512 of them.
	head, err := p.head(512)
	if err != nil {
		return fmt.Errorf("adapter: read photo: %w", err)
	}
	if sniffed := http.DetectContentType(head); sniffed != ct {
		return refuse(InvalidPhoto, "declared %s, content is %s", ct, sniffed)
	}
	return nil
}

// UploadVINPhotos stores the photos an inspector needs and hands the
// transfer to inspection. Only the current owner, who has the vehicle and
// its papers, may upload; the set must include a photo of the VIN plate.
func (s *Service) UploadVINPhotos(
	ctx context.Context, c Caller, id string, photos []PhotoUpload,
) (Transfer, int, error) {
	pin, err := s.citizen(c)
	if err != nil {
		return Transfer{}, 0, err
	}
	if len(photos) == 0 || len(photos) > s.cfg.Photos.MaxCount {
		return Transfer{}, 0, refuse(InvalidPhoto, "%d photos, want 1 to %d",
			len(photos), s.cfg.Photos.MaxCount)
	}
	hasVIN := false
	for _, p := range photos {
		if err := s.checkPhoto(p); err != nil {
			return Transfer{}, 0, err
		}
		hasVIN = hasVIN || p.Kind == PhotoVINPlate
	}
	if !hasVIN {
		return Transfer{}, 0, refuse(InvalidPhoto, "no %s photo", PhotoVINPlate)
	}

	var t Transfer
	err = s.store.InTx(ctx, func(tx Tx) error {
		if t, err = loadTransfer(ctx, tx, id, true); err != nil {
			return err
		}
		if err := checkOwner(ctx, tx, t, pin); err != nil {
			return err
		}
		if t.State != AwaitingPhotos {
			return refuse(InvalidState, "upload photos to %s in %s", t.ID, t.State)
		}
		for _, p := range photos {
			// The store streams the content and computes its digest on
			// the way, so a photo is read once more, never held whole.
			err := tx.AddPhoto(ctx, Photo{
				TransferID: t.ID, Kind: p.Kind, ContentType: strings.ToLower(p.ContentType),
				Size: p.size(), Open: p.open, UploadedBy: pin.Masked(), UploadedAt: s.now(),
			})
			if err != nil {
				return fmt.Errorf("adapter: store photo of %s: %w", t.ID, err)
			}
		}
		return s.move(ctx, tx, c, &t, AwaitingInspection, fmt.Sprintf("%d photos", len(photos)))
	})
	return t, len(photos), err
}

// checkOwner refuses a caller who is not both the seller of t and the
// vehicle's current owner in the registry.
func checkOwner(ctx context.Context, tx Tx, t Transfer, pin PIN) error {
	if pin != t.SellerPIN {
		return refuse(NotOwner, "%s is not the seller of %s", pin.Masked(), t.ID)
	}
	reg, err := tx.CurrentRegistration(ctx, t.VehicleID)
	if err != nil {
		return notFound(err, VehicleNotFound, "registration of vehicle %d", t.VehicleID)
	}
	if reg.Owner.PIN != pin {
		return refuse(NotOwner, "%s no longer owns the vehicle of %s", pin.Masked(), t.ID)
	}
	return nil
}

// PendingInspections lists up to limit transfers waiting for an inspector,
// oldest first; limit is clamped to 1..100 with 20 for zero.
func (s *Service) PendingInspections(ctx context.Context, c Caller, limit int) ([]PendingInspection, error) {
	switch {
	case limit <= 0:
		limit = 20
	case limit > 100:
		limit = 100
	}
	var list []PendingInspection
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		list, err = tx.PendingInspections(ctx, limit)
		return err
	})
	for i := range list {
		list[i].Signals = s.signals(list[i])
	}
	return list, err
}

// VINPhotos returns the photos of a transfer to the inspection subsystem.
func (s *Service) VINPhotos(ctx context.Context, c Caller, id string) ([]Photo, error) {
	var photos []Photo
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := loadTransfer(ctx, tx, id, false)
		if err != nil {
			return err
		}
		photos, err = tx.Photos(ctx, t.ID)
		return err
	})
	return photos, err
}

// InspectionRequest is an inspector's decision as sent.
type InspectionRequest struct {
	TransferID  string
	InspectorID string
	Decision    string
	ObservedVIN string
	Comment     string
}

// SubmitInspection records an inspector's decision. APPROVE needs the VIN
// the inspector read off the photos to match the registry; it issues an
// approval code and writes the buyer's payment order in the same
// transaction, to be sent to the bank afterwards. REJECT ends the transfer;
// RETAKE asks for new photos.
func (s *Service) SubmitInspection(
	ctx context.Context, c Caller, r InspectionRequest,
) (Transfer, *PaymentOrder, error) {
	d := Decision(strings.ToUpper(strings.TrimSpace(r.Decision)))
	if d != Approve && d != Reject && d != Retake {
		return Transfer{}, nil, refuse(InvalidDecision, "decision %q", r.Decision)
	}
	inspector := strings.TrimSpace(r.InspectorID)
	if inspector == "" {
		return Transfer{}, nil, refuse(InvalidRequest, "no inspectorId")
	}
	var (
		t     Transfer
		order *PaymentOrder
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if t, err = loadTransfer(ctx, tx, r.TransferID, true); err != nil {
			return err
		}
		if t.State != AwaitingInspection {
			return refuse(InvalidState, "inspect %s in %s", t.ID, t.State)
		}
		in := Inspection{
			TransferID: t.ID, InspectorID: inspector, Decision: d,
			ObservedVIN: NormalizeVIN(r.ObservedVIN), Comment: truncate(r.Comment, 1000), At: s.now(),
		}
		note := fmt.Sprintf("%s by inspector %s", d, inspector)
		switch d {
		case Reject:
			err = s.move(ctx, tx, c, &t, Rejected, note)
		case Retake:
			if err = tx.DeletePhotos(ctx, t.ID); err == nil {
				err = s.move(ctx, tx, c, &t, AwaitingPhotos, note)
			}
		case Approve:
			order, err = s.approve(ctx, tx, c, &t, in, note)
		}
		if err != nil {
			return err
		}
		if err := tx.AddInspection(ctx, in); err != nil {
			return fmt.Errorf("adapter: record inspection of %s: %w", t.ID, err)
		}
		return nil
	})
	if err == nil && order != nil {
		s.afterCommit(ctx, func() {
			s.checkpoint(PointApproved)
			s.Wake()
		})
	}
	return t, order, err
}

// approve moves t to payment: the observed VIN must match, restrictions are
// checked again, and the payment order is written as New.
func (s *Service) approve(
	ctx context.Context, tx Tx, c Caller, t *Transfer, in Inspection, note string,
) (*PaymentOrder, error) {
	if in.ObservedVIN != t.VIN {
		return nil, refuse(VINMismatch, "observed %q, registry %q", in.ObservedVIN, t.VIN)
	}
	if err := checkRestrictions(ctx, tx, t.VehicleID); err != nil {
		return nil, err
	}
	code, err := newApprovalCode()
	if err != nil {
		return nil, err
	}
	t.ApprovalCode = code
	if err := s.move(ctx, tx, c, t, AwaitingPayment, note); err != nil {
		return nil, err
	}
	now := s.now()
	o := PaymentOrder{
		ID: s.NewID(), TransferID: t.ID, BankCode: t.BuyerBankCode, PayerPIN: t.BuyerPIN,
		Payee: t.SellerAccount, Price: t.Price, StateFee: s.cfg.Fees.State,
		ServiceFee: s.cfg.Fees.Service, Amount: t.Price + s.cfg.Fees.State + s.cfg.Fees.Service,
		Status: OrderNew, ExpiresAt: t.Deadline, Call: CallCreate, NextAttemptAt: now,
		CheckedAt: now, CreatedAt: now,
	}
	if err := tx.CreatePaymentOrder(ctx, o); err != nil {
		return nil, fmt.Errorf("adapter: create order for %s: %w", t.ID, err)
	}
	return &o, nil
}
