package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"time"

	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// scenario drives one whole re-registration through the adapter's X-Road
// interface, as the Tunduk portal, the buyer's bank app and the MVD
// inspection subsystem would, and prints each step.
type scenario struct {
	url        string          // the adapter's /xroad (in production: a security server)
	service    soap.Identifier // the adapter's subsystem
	portal     soap.Identifier // citizen channel the seller uses
	bankApp    soap.Identifier // citizen channel the buyer uses
	inspection soap.Identifier // the MVD inspection subsystem
	bankCode   string          // the buyer's bank

	vin, certificate, seller, buyer, price, account string

	out     io.Writer
	timeout time.Duration // for the bank to pay
}

// call sends one request from client for userID and decodes the response
// into resp. A result other than OK is an error.
func (s *scenario) call(ctx context.Context, client soap.Identifier, userID, code string, req, resp any) error {
	body, err := soap.Marshal(req)
	if err != nil {
		return err
	}
	c := &soap.Client{URL: s.url, Client: client}
	r, err := c.Do(ctx, soap.Call{Service: s.service.Service(code, "v1"), UserID: userID, Body: body})
	if err != nil {
		return fmt.Errorf("%s: %w", code, err)
	}
	defer r.Close()
	if err := soap.Unmarshal(r.Body, resp); err != nil {
		return fmt.Errorf("%s: decode response: %w", code, err)
	}
	return nil
}

// step prints what is about to happen.
func (s *scenario) step(n int, format string, args ...any) {
	fmt.Fprintf(s.out, "\n%d. %s\n", n, fmt.Sprintf(format, args...))
}

// ok checks a result and prints it.
func (s *scenario) ok(r *vehicle.Result) error {
	if r == nil {
		return errors.New("the response has no result")
	}
	var en string
	for _, m := range r.Message {
		if m.Lang == "en" && m.Value != nil {
			en = string(*m.Value)
		}
	}
	fmt.Fprintf(s.out, "   result %s: %s\n", r.Code, en)
	if r.Code != "OK" {
		return fmt.Errorf("result %s: %s", r.Code, en)
	}
	return nil
}

// run performs the scenario and returns the buyer's new certificate number.
func (s *scenario) run(ctx context.Context) (string, error) {
	seller, buyer := "KG"+s.seller, "KG"+s.buyer

	s.step(1, "checkVehicle %s (Tunduk portal)", s.vin)
	var check vehicle.CheckVehicleResponse
	if err := s.call(ctx, s.portal, seller, "checkVehicle", &vehicle.CheckVehicle{Vin: s.vin}, &check); err != nil {
		return "", err
	}
	if err := s.ok(check.Result); err != nil {
		return "", err
	}
	v := check.Vehicle
	fmt.Fprintf(s.out, "   %s %s %d, plate %s, owner %s, restricted %v\n",
		v.Make, v.Model, v.Year, v.Plate, v.OwnerMasked, v.Restricted)

	s.step(2, "initiateTransfer: the seller offers it for %s som (Tunduk portal)", s.price)
	var init vehicle.InitiateTransferResponse
	if err := s.call(ctx, s.portal, seller, "initiateTransfer", &vehicle.InitiateTransfer{
		Vin: s.vin, CertificateNumber: s.certificate, SellerPin: s.seller, BuyerPin: s.buyer,
		Price:         s.price,
		SellerAccount: &vehicle.BankAccount{BankCode: s.bankCode, AccountNumber: s.account},
	}, &init); err != nil {
		return "", err
	}
	if err := s.ok(init.Result); err != nil {
		return "", err
	}
	id := init.TransferId
	fmt.Fprintf(s.out, "   transfer %s is %s until %s\n", id, init.State, init.Deadline)

	s.step(3, "acceptTransfer: the buyer accepts and will pay through %s (bank app)", s.bankCode)
	var acc vehicle.AcceptTransferResponse
	if err := s.call(ctx, s.bankApp, buyer, "acceptTransfer",
		&vehicle.AcceptTransfer{TransferId: id, BuyerBankCode: s.bankCode}, &acc); err != nil {
		return "", err
	}
	if err := s.ok(acc.Result); err != nil {
		return "", err
	}
	fmt.Fprintf(s.out, "   state %s\n", acc.State)

	s.step(4, "uploadVinPhotos: the seller photographs the VIN plate and the car (Tunduk app)")
	photos := []*vehicle.Photo{}
	for _, kind := range []string{"VIN_PLATE", "FRONT"} {
		img, err := samplePhoto(kind)
		if err != nil {
			return "", err
		}
		b := vehicle.Base64(img)
		photos = append(photos, &vehicle.Photo{Kind: kind, ContentType: "image/jpeg", Content: &b})
	}
	var up vehicle.UploadVinPhotosResponse
	if err := s.call(ctx, s.portal, seller, "uploadVinPhotos",
		&vehicle.UploadVinPhotos{TransferId: id, Photo: photos}, &up); err != nil {
		return "", err
	}
	if err := s.ok(up.Result); err != nil {
		return "", err
	}
	fmt.Fprintf(s.out, "   %d photos, state %s\n", up.PhotoCount, up.State)

	s.step(5, "listPendingInspections and getVinPhotos (MVD inspection)")
	var list vehicle.ListPendingInspectionsResponse
	if err := s.call(ctx, s.inspection, "", "listPendingInspections",
		&vehicle.ListPendingInspections{Limit: 10}, &list); err != nil {
		return "", err
	}
	if err := s.ok(list.Result); err != nil {
		return "", err
	}
	var got vehicle.GetVinPhotosResponse
	if err := s.call(ctx, s.inspection, "", "getVinPhotos",
		&vehicle.GetVinPhotos{TransferId: id}, &got); err != nil {
		return "", err
	}
	if err := s.ok(got.Result); err != nil {
		return "", err
	}
	fmt.Fprintf(s.out, "   %d transfers waiting; this one has %d photos\n", len(list.Inspection), len(got.Photo))

	s.step(6, "submitInspection APPROVE: the inspector read VIN %s on the photo", s.vin)
	var insp vehicle.SubmitInspectionResponse
	if err := s.call(ctx, s.inspection, "", "submitInspection", &vehicle.SubmitInspection{
		TransferId: id, InspectorId: "MVD-0042", Decision: "APPROVE", ObservedVin: s.vin,
		Comment: "VIN plate and body match",
	}, &insp); err != nil {
		return "", err
	}
	if err := s.ok(insp.Result); err != nil {
		return "", err
	}
	fmt.Fprintf(s.out, "   approval code %s; payment order %s for %s som sent to %s\n",
		insp.ApprovalCode, insp.PaymentOrderId, insp.Amount, s.bankCode)

	s.step(7, "the buyer pays in the bank app; the bank calls confirmPayment; waiting")
	st, err := s.waitCompleted(ctx, buyer, id)
	if err != nil {
		return "", err
	}
	for _, e := range st.Event {
		fmt.Fprintf(s.out, "   %s  %-19s -> %-19s %s\n", e.At, e.From, e.To, e.Note)
	}

	s.step(8, "getRegistrationCertificate (the buyer, Tunduk app)")
	var cert vehicle.GetRegistrationCertificateResponse
	if err := s.call(ctx, s.portal, buyer, "getRegistrationCertificate",
		&vehicle.GetRegistrationCertificate{Vin: s.vin}, &cert); err != nil {
		return "", err
	}
	if err := s.ok(cert.Result); err != nil {
		return "", err
	}
	c := cert.Certificate
	fmt.Fprintf(s.out, "   certificate %s: %s %s %d, plate %s, owner %s (%s), issued %s\n",
		c.CertificateNumber, c.Make, c.Model, c.Year, c.Plate, c.OwnerName, c.OwnerPin, c.IssuedAt)
	return c.CertificateNumber, nil
}

// waitCompleted polls getTransferStatus until the transfer completes, ends
// otherwise, or the timeout passes.
func (s *scenario) waitCompleted(ctx context.Context, userID, id string) (*vehicle.Transfer, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	for {
		var st vehicle.GetTransferStatusResponse
		if err := s.call(ctx, s.bankApp, userID, "getTransferStatus",
			&vehicle.GetTransferStatus{TransferId: id}, &st); err != nil {
			return nil, err
		}
		if st.Result == nil || st.Result.Code != "OK" || st.Transfer == nil {
			return nil, s.ok(st.Result)
		}
		switch st.Transfer.State {
		case "COMPLETED":
			fmt.Fprintf(s.out, "   COMPLETED: paid, new certificate %s\n", st.Transfer.CertificateNumber)
			return st.Transfer, nil
		case "AWAITING_PAYMENT":
		default:
			return nil, fmt.Errorf("transfer ended in %s", st.Transfer.State)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("transfer %s not paid in time: %w", id, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// samplePhoto makes a small JPEG that stands in for a photo of the car.
func samplePhoto(kind string) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	shade := uint8(len(kind) * 13)
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{shade, uint8(x * 4), uint8(y * 5), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
