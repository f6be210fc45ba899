package endpoint

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

func checkVehicle(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.CheckVehicle](req)
	if err != nil {
		return nil, err
	}
	q, err := adapter.ParseVehicleQuery(in.Vin, in.Plate, in.BodyNumber)
	if err == nil {
		var r adapter.VehicleReport
		if r, err = s.domain.CheckVehicle(ctx, c, q); err == nil {
			return &vehicle.CheckVehicleResponse{Result: result(nil), Vehicle: vehicleOf(r)}, nil
		}
	}
	return &vehicle.CheckVehicleResponse{Result: result(err)}, err
}

func vehicleOf(r adapter.VehicleReport) *vehicle.Vehicle {
	v := &vehicle.Vehicle{
		Vin: r.Vehicle.VIN, Plate: r.Vehicle.Plate, BodyNumber: r.Vehicle.BodyNumber,
		Make: r.Vehicle.Make, Model: r.Vehicle.Model, Year: int32(r.Vehicle.Year),
		Color: r.Vehicle.Color, OwnerMasked: r.OwnerMasked,
		Restricted: len(r.Restrictions) > 0, OpenTransfer: r.OpenTransfer,
	}
	for _, k := range r.Restrictions {
		v.Restriction = append(v.Restriction, string(k))
	}
	return v
}

func initiateTransfer(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.InitiateTransfer](req)
	if err != nil {
		return nil, err
	}
	r := adapter.InitiateRequest{
		VIN: in.Vin, CertificateNumber: in.CertificateNumber,
		SellerPIN: in.SellerPin, BuyerPIN: in.BuyerPin, Price: in.Price,
	}
	if in.SellerAccount != nil {
		r.SellerAccount = adapter.Account{
			BankCode: in.SellerAccount.BankCode, Number: in.SellerAccount.AccountNumber,
		}
	}
	t, err := s.domain.InitiateTransfer(ctx, c, r)
	if err != nil {
		return &vehicle.InitiateTransferResponse{Result: result(err)}, err
	}
	return &vehicle.InitiateTransferResponse{
		Result: result(nil), TransferId: t.ID, State: string(t.State), Deadline: stamp(t.Deadline),
	}, nil
}

func acceptTransfer(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.AcceptTransfer](req)
	if err != nil {
		return nil, err
	}
	t, err := s.domain.AcceptTransfer(ctx, c, in.TransferId, in.BuyerBankCode)
	if err != nil {
		return &vehicle.AcceptTransferResponse{Result: result(err), TransferId: in.TransferId}, err
	}
	return &vehicle.AcceptTransferResponse{
		Result: result(nil), TransferId: t.ID, State: string(t.State), Deadline: stamp(t.Deadline),
	}, nil
}

func cancelTransfer(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.CancelTransfer](req)
	if err != nil {
		return nil, err
	}
	t, err := s.domain.CancelTransfer(ctx, c, in.TransferId, in.Reason)
	if err != nil {
		return &vehicle.CancelTransferResponse{Result: result(err), TransferId: in.TransferId}, err
	}
	return &vehicle.CancelTransferResponse{
		Result: result(nil), TransferId: t.ID, State: string(t.State),
	}, nil
}

func uploadVinPhotos(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.UploadVinPhotos](req)
	if err != nil {
		return nil, err
	}
	photos := make([]adapter.PhotoUpload, 0, len(in.Photo))
	for i, p := range in.Photo {
		a, err := photoContent(req, i)
		if err != nil {
			return nil, &soap.Fault{Code: soap.CodeBadRequest,
				String: fmt.Sprintf("photo %d: %v", i+1, err)}
		}
		// The domain reads the content through Open as it stores it: a
		// large photo stays in the temporary file soap spooled it to.
		photos = append(photos, adapter.PhotoUpload{
			Kind: p.Kind, ContentType: p.ContentType, Size: a.Size(), Open: a.Open,
		})
	}
	t, n, err := s.domain.UploadVINPhotos(ctx, c, in.TransferId, photos)
	if err != nil {
		return &vehicle.UploadVinPhotosResponse{Result: result(err), TransferId: in.TransferId}, err
	}
	return &vehicle.UploadVinPhotosResponse{
		Result: result(nil), TransferId: t.ID, State: string(t.State), PhotoCount: int32(n),
	}, nil
}

// photoContent returns the content of the i-th photo element in whichever
// form it came: inline base64, a swaRef contentRef naming an attachment, or
// an MTOM xop:Include inside content.
func photoContent(req *soap.Request, i int) (*soap.Attachment, error) {
	photos := children(req.Body, "photo")
	if i >= len(photos) {
		return nil, fmt.Errorf("no photo element %d", i+1)
	}
	var el *etree.Element
	for _, name := range []string{"content", "contentRef"} {
		if c := children(photos[i], name); len(c) == 1 {
			if el != nil {
				return nil, fmt.Errorf("both content and contentRef")
			}
			el = c[0]
		}
	}
	if el == nil {
		return nil, fmt.Errorf("neither content nor contentRef")
	}
	a, err := req.Content(el)
	if err != nil {
		return nil, err
	}
	if a.Size() == 0 {
		return nil, fmt.Errorf("the content is empty")
	}
	return a, nil
}

// children returns el's child elements with a local name, in order.
func children(el *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local {
			out = append(out, c)
		}
	}
	return out
}

func listPendingInspections(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.ListPendingInspections](req)
	if err != nil {
		return nil, err
	}
	list, err := s.domain.PendingInspections(ctx, c, int(in.Limit))
	if err != nil {
		return &vehicle.ListPendingInspectionsResponse{Result: result(err)}, err
	}
	out := &vehicle.ListPendingInspectionsResponse{Result: result(nil)}
	for _, p := range list {
		in := &vehicle.Inspection{
			TransferId: p.Transfer.ID, Vin: p.Vehicle.VIN, Plate: p.Vehicle.Plate,
			Make: p.Vehicle.Make, Model: p.Vehicle.Model, Year: int32(p.Vehicle.Year),
			PhotoCount: int32(p.PhotoCount), SubmittedAt: stamp(p.Since),
		}
		for _, sig := range p.Signals {
			in.RiskSignal = append(in.RiskSignal, &vehicle.RiskSignal{Code: sig.Code, Text: sig.Text})
		}
		out.Inspection = append(out.Inspection, in)
	}
	return out, nil
}

func getVinPhotos(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.GetVinPhotos](req)
	if err != nil {
		return nil, err
	}
	photos, err := s.domain.VINPhotos(ctx, c, in.TransferId)
	if err != nil {
		return &vehicle.GetVinPhotosResponse{Result: result(err), TransferId: in.TransferId}, err
	}
	// A caller that sent attachments can read them, so the photos go back
	// as attachments too instead of inflating the envelope by a third.
	asAttachments := len(req.Attachments) > 0
	out := &vehicle.GetVinPhotosResponse{Result: result(nil), TransferId: in.TransferId}
	var atts []*soap.Attachment
	for i, p := range photos {
		sp := &vehicle.StoredPhoto{
			Kind: p.Kind, ContentType: p.ContentType, Sha256: p.SHA256, Size: int64(len(p.Content)),
		}
		if asAttachments {
			cid := fmt.Sprintf("photo-%d-%s@vehicles.mvd.gov.kg", i+1, p.SHA256[:12])
			ref := vehicle.SwaRef("cid:" + cid)
			sp.ContentRef = &ref
			atts = append(atts, soap.NewAttachment(cid, p.ContentType, p.Content))
		} else {
			sp.Content = (*vehicle.Base64)(&p.Content)
		}
		out.Photo = append(out.Photo, sp)
	}
	return withAttachments{out, atts}, nil
}

func submitInspection(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.SubmitInspection](req)
	if err != nil {
		return nil, err
	}
	t, order, err := s.domain.SubmitInspection(ctx, c, adapter.InspectionRequest{
		TransferID: in.TransferId, InspectorID: in.InspectorId, Decision: in.Decision,
		ObservedVIN: in.ObservedVin, Comment: in.Comment,
	})
	if err != nil {
		return &vehicle.SubmitInspectionResponse{Result: result(err), TransferId: in.TransferId}, err
	}
	out := &vehicle.SubmitInspectionResponse{
		Result: result(nil), TransferId: t.ID, State: string(t.State), ApprovalCode: t.ApprovalCode,
	}
	if order != nil {
		out.PaymentOrderId, out.Amount = order.ID, order.Amount.String()
	}
	return out, nil
}

func confirmPayment(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.ConfirmPayment](req)
	if err != nil {
		return nil, err
	}
	paidAt, err := time.Parse(time.RFC3339, strings.TrimSpace(in.PaidAt))
	if err != nil {
		return nil, &soap.Fault{Code: soap.CodeBadRequest,
			String: fmt.Sprintf("paidAt %q is not an xsd:dateTime with a time zone", in.PaidAt)}
	}
	t, err := s.domain.ConfirmPayment(ctx, c, adapter.PaymentConfirmation{
		OrderID: in.OrderId, TransferID: in.TransferId, Amount: in.Amount,
		BankReference: in.BankReference, PaidAt: paidAt,
	})
	if err != nil {
		if code := adapter.CodeOf(err); code != "" {
			// A refused payment is money the bank believes it moved: an
			// operator must be able to find it.
			s.log.WithFields(logrus.Fields{
				"client": c.Client, "messageId": c.MessageID, "order": in.OrderId,
				"transfer": in.TransferId, "amount": in.Amount, "result": string(code),
			}).Warn("payment confirmation refused: " + err.Error())
		}
		return &vehicle.ConfirmPaymentResponse{
			Result: result(err), OrderId: in.OrderId, TransferId: in.TransferId,
		}, err
	}
	return &vehicle.ConfirmPaymentResponse{
		Result: result(nil), OrderId: in.OrderId, TransferId: t.ID, State: string(t.State),
		CertificateNumber: t.CertificateNumber,
	}, nil
}

func getTransferStatus(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.GetTransferStatus](req)
	if err != nil {
		return nil, err
	}
	st, err := s.domain.TransferStatus(ctx, c, in.TransferId)
	if err != nil {
		return &vehicle.GetTransferStatusResponse{Result: result(err)}, err
	}
	return &vehicle.GetTransferStatusResponse{Result: result(nil), Transfer: transferOf(st)}, nil
}

func transferOf(st adapter.TransferStatus) *vehicle.Transfer {
	t := st.Transfer
	out := &vehicle.Transfer{
		TransferId: t.ID, Vin: t.VIN, Plate: t.Plate, State: string(t.State),
		Price: t.Price.String(), SellerPinMasked: t.SellerPIN.Masked(),
		BuyerPinMasked: t.BuyerPIN.Masked(), ApprovalCode: t.ApprovalCode,
		Deadline: stamp(t.Deadline), CertificateNumber: t.CertificateNumber,
	}
	if o := st.Order; o != nil {
		out.Payment = &vehicle.Payment{
			OrderId: o.ID, BankCode: o.BankCode, Amount: o.Amount.String(),
			Price: o.Price.String(), StateFee: o.StateFee.String(),
			ServiceFee: o.ServiceFee.String(), Status: string(o.Status),
			BankReference: o.BankReference, PaidAt: stamp(o.PaidAt),
		}
	}
	for _, e := range st.Events {
		out.Event = append(out.Event, &vehicle.TransferEvent{
			At: stamp(e.At), From: string(e.From), To: string(e.To),
			Actor: e.Client, MessageId: e.MessageID, Note: e.Note,
		})
	}
	return out
}

func getRegistrationCertificate(
	ctx context.Context, s *Service, c adapter.Caller, req *soap.Request,
) (any, error) {
	in, err := decode[vehicle.GetRegistrationCertificate](req)
	if err != nil {
		return nil, err
	}
	cert, err := s.domain.RegistrationCertificate(ctx, c, in.Vin)
	if err != nil {
		return &vehicle.GetRegistrationCertificateResponse{Result: result(err)}, err
	}
	r, v := cert.Registration, cert.Vehicle
	return &vehicle.GetRegistrationCertificateResponse{
		Result: result(nil),
		Certificate: &vehicle.Certificate{
			CertificateNumber: r.CertificateNumber, Vin: v.VIN, Plate: v.Plate,
			Make: v.Make, Model: v.Model, Year: int32(v.Year), Color: v.Color,
			OwnerPin: string(r.Owner.PIN), OwnerName: r.Owner.Name, IssuedAt: stamp(r.Since),
		},
	}, nil
}
