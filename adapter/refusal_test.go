package adapter_test

import (
	"bytes"
	"testing"

	"github.com/google/uuid"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// refusal is one request the service must refuse with a business code,
// changing nothing in the registry.
type refusal struct {
	name string
	// state is where the sale's transfer stands before the call; "" means
	// no transfer yet (the sale only names vehicle, seller and buyer).
	state adapter.State
	// setup, when set, prepares the registry further before the snapshot.
	setup func(t *testing.T, fx *fixture, s *sale)
	call  func(fx *fixture, s *sale) error
	want  adapter.Code
}

// runRefusals runs each case on a fresh sale in one registry, checking the
// code and that neither the transfer nor anything else changed.
func runRefusals(t *testing.T, fx *fixture, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s *sale
			if tc.state == "" {
				s = fx.newSale(t)
			} else {
				s = fx.saleIn(t, tc.state)
			}
			if tc.setup != nil {
				tc.setup(t, fx, s)
			}
			var events int
			if s.transfer.ID != "" {
				events = len(fx.events(t, s.transfer.ID))
			}
			before := fx.fingerprint(t)

			err := tc.call(fx, s)
			wantCode(t, err, tc.want)

			if after := fx.fingerprint(t); after != before {
				t.Errorf("the refusal changed the registry: %s -> %s", before, after)
			}
			if s.transfer.ID != "" {
				if got := fx.stored(t, s.transfer.ID); got.State != s.transfer.State {
					t.Errorf("got state %s after the refusal, want %s", got.State, s.transfer.State)
				}
				if got := len(fx.events(t, s.transfer.ID)); got != events {
					t.Errorf("got %d events after the refusal, want %d", got, events)
				}
			}
		})
	}
}

// TestRefusals checks every business refusal of the workflow on one
// registry; each case starts from a sale of its own and leaves no open
// transfer behind.
func TestRefusals(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	t.Run("initiate", func(t *testing.T) { testInitiateRefusals(t, fx) })
	t.Run("accept and cancel", func(t *testing.T) { testAcceptAndCancelRefusals(t, fx) })
	t.Run("photos", func(t *testing.T) { testPhotoRefusals(t, fx) })
	t.Run("inspection", func(t *testing.T) { testInspectionRefusals(t, fx) })
	t.Run("payment and reads", func(t *testing.T) { testPaymentAndReadRefusals(t, fx) })
}

// initiateWith returns a call initiating s's sale, by the caller that by
// returns, after edit changed the request.
func initiateWith(by func(s *sale) adapter.Caller,
	edit func(r *adapter.InitiateRequest, s *sale)) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		r := s.request()
		if edit != nil {
			edit(&r, s)
		}
		_, err := fx.svc.InitiateTransfer(fx.ctx, by(s), r)
		return err
	}
}

func bySeller(s *sale) adapter.Caller   { return citizen(s.seller) }
func byBuyer(s *sale) adapter.Caller    { return citizen(s.buyer) }
func byOutsider(s *sale) adapter.Caller { return citizen(s.outsider) }

// Persons the registry does not hold, or may not hold: PINs whose serial
// the demo seed never uses.
const (
	minorPIN   = "20101201500012" // born 1 January 2015
	minor2PIN  = "10101201200034" // born 1 January 2012
	unknownPIN = "21505198099999" // an adult the registry does not know
)

// restrictedSale points s at the first vehicle under a restriction of kind,
// as offered by its owner.
func restrictedSale(kind adapter.RestrictionKind) func(t *testing.T, fx *fixture, s *sale) {
	return func(t *testing.T, fx *fixture, s *sale) {
		t.Helper()
		err := fx.sql.QueryRowContext(fx.ctx, `
			SELECT v.vin, r.certificate_number, r.owner_pin
			FROM restrictions x JOIN vehicles v ON v.id = x.vehicle_id
			JOIN registrations r ON r.vehicle_id = v.id AND r.until IS NULL
			WHERE x.kind = $1 AND x.lifted_at IS NULL AND v.vin IS NOT NULL
			ORDER BY v.id LIMIT 1`, string(kind)).Scan(&s.vin, &s.cert, &s.seller)
		if err != nil {
			t.Fatalf("find a vehicle under %s: %v", kind, err)
		}
		if s.buyer == s.seller {
			s.buyer = s.outsider
		}
	}
}

// badCheckDigit returns a North American VIN whose check digit is wrong.
func badCheckDigit() string {
	v := []byte("1HGCM82633A004352")
	v[8] = adapter.VINCheckDigit(string(v))
	if v[8] == '0' {
		v[8] = '1'
	} else {
		v[8] = '0'
	}
	return string(v)
}

func testInitiateRefusals(t *testing.T, fx *fixture) {
	edit := func(f func(r *adapter.InitiateRequest, s *sale)) func(*fixture, *sale) error {
		return initiateWith(bySeller, f)
	}
	runRefusals(t, fx, []refusal{
		{name: "vehicle not in the registry", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.VIN = "WVWZZZ1JZXW999999"
		}), want: adapter.VehicleNotFound},
		{name: "VIN too short", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.VIN = "JTN123"
		}), want: adapter.InvalidVIN},
		{name: "VIN with the letter O", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.VIN = s.vin[:16] + "O"
		}), want: adapter.InvalidVIN},
		{name: "VIN failing its check digit", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.VIN = badCheckDigit()
		}), want: adapter.InvalidVIN},
		{name: "seller PIN too short", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.SellerPIN = "2150519801"
		}), want: adapter.InvalidPIN},
		{name: "buyer PIN with an impossible date", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.BuyerPIN = "21399199912345"
		}), want: adapter.InvalidPIN},
		{name: "buyer PIN born in the future", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.BuyerPIN = "20101203012345"
		}), want: adapter.InvalidPIN},
		{name: "userId without KG", call: initiateWith(func(s *sale) adapter.Caller {
			c := citizen(s.seller)
			c.UserID = "KZ" + string(s.seller)
			return c
		}, nil), want: adapter.InvalidPIN},
		{name: "seller is not the owner", call: initiateWith(byOutsider,
			func(r *adapter.InitiateRequest, s *sale) { r.SellerPIN = string(s.outsider) }),
			want: adapter.NotOwner},
		{name: "caller is not the seller", call: initiateWith(byBuyer, nil), want: adapter.NotOwner},
		{name: "certificate number differs", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.CertificateNumber = "KG00000000"
		}), want: adapter.CertificateMismatch},
		{name: "vehicle under arrest", setup: restrictedSale(adapter.Arrest),
			call: edit(nil), want: adapter.VehicleRestricted},
		{name: "vehicle under pledge", setup: restrictedSale(adapter.Pledge),
			call: edit(nil), want: adapter.VehicleRestricted},
		{name: "vehicle wanted", setup: restrictedSale(adapter.Wanted),
			call: edit(nil), want: adapter.VehicleRestricted},
		{name: "open transfer awaiting the buyer", state: adapter.AwaitingBuyer,
			call: edit(nil), want: adapter.TransferExists},
		{name: "open transfer to another buyer awaiting payment", state: adapter.AwaitingPayment,
			call: edit(func(r *adapter.InitiateRequest, s *sale) { r.BuyerPIN = string(s.outsider) }),
			want: adapter.TransferExists},
		{name: "price zero", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.Price = "0.00"
		}), want: adapter.InvalidPrice},
		{name: "price negative", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.Price = "-100.00"
		}), want: adapter.InvalidPrice},
		{name: "price with three decimals", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.Price = "100.005"
		}), want: adapter.InvalidPrice},
		{name: "price not a number", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.Price = "1e6"
		}), want: adapter.InvalidPrice},
		{name: "price missing", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.Price = ""
		}), want: adapter.InvalidPrice},
		{name: "price above the maximum", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.Price = "100000000001.00"
		}), want: adapter.InvalidPrice},
		{name: "account without bank code", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.SellerAccount.BankCode = ""
		}), want: adapter.InvalidAccount},
		{name: "account with a one-letter bank code", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.SellerAccount.BankCode = "k"
		}), want: adapter.InvalidAccount},
		{name: "account number too short", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.SellerAccount.Number = "12345"
		}), want: adapter.InvalidAccount},
		{name: "account number with letters", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.SellerAccount.Number = "12800100123456AB"
		}), want: adapter.InvalidAccount},
		{name: "buyer is the seller", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.BuyerPIN = string(s.seller)
		}), want: adapter.SameParty},
		{name: "buyer under 18", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.BuyerPIN = minorPIN
		}), want: adapter.PartyUnderage},
		{name: "seller under 18", call: initiateWith(
			func(*sale) adapter.Caller { return citizen(minor2PIN) },
			func(r *adapter.InitiateRequest, s *sale) { r.SellerPIN = minor2PIN }),
			want: adapter.PartyUnderage},
		{name: "buyer unknown to the registry", call: edit(func(r *adapter.InitiateRequest, s *sale) {
			r.BuyerPIN = unknownPIN
		}), want: adapter.PersonNotFound},
	})
}

func accept(by func(*sale) adapter.Caller, bankCode string) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		_, err := fx.svc.AcceptTransfer(fx.ctx, by(s), s.transfer.ID, bankCode)
		return err
	}
}

func cancelBy(by func(*sale) adapter.Caller) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		_, err := fx.svc.CancelTransfer(fx.ctx, by(s), s.transfer.ID, "no")
		return err
	}
}

func testAcceptAndCancelRefusals(t *testing.T, fx *fixture) {
	badUser := func(s *sale) adapter.Caller {
		c := citizen(s.buyer)
		c.UserID = "KG123"
		return c
	}
	runRefusals(t, fx, []refusal{
		{name: "seller accepts", state: adapter.AwaitingBuyer, call: accept(bySeller, "PILOT"),
			want: adapter.NotBuyer},
		{name: "outsider accepts", state: adapter.AwaitingBuyer, call: accept(byOutsider, "PILOT"),
			want: adapter.NotBuyer},
		{name: "malformed userId accepts", state: adapter.AwaitingBuyer, call: accept(badUser, "PILOT"),
			want: adapter.InvalidPIN},
		{name: "unknown bank", state: adapter.AwaitingBuyer, call: accept(byBuyer, "NOBANK"),
			want: adapter.UnknownBank},
		{name: "disabled bank", state: adapter.AwaitingBuyer, call: accept(byBuyer, "OFF"),
			want: adapter.UnknownBank},
		{name: "no bank", state: adapter.AwaitingBuyer, call: accept(byBuyer, ""),
			want: adapter.UnknownBank},
		{name: "unknown transfer", state: adapter.AwaitingBuyer, call: func(fx *fixture, s *sale) error {
			_, err := fx.svc.AcceptTransfer(fx.ctx, citizen(s.buyer), uuid.NewString(), "PILOT")
			return err
		}, want: adapter.TransferNotFound},
		{name: "transfer id not a UUID", state: adapter.AwaitingBuyer, call: func(fx *fixture, s *sale) error {
			_, err := fx.svc.AcceptTransfer(fx.ctx, citizen(s.buyer), "1 OR 1=1", "PILOT")
			return err
		}, want: adapter.TransferNotFound},
		{name: "accept twice", state: adapter.AwaitingPhotos, call: accept(byBuyer, "PILOT"),
			want: adapter.InvalidState},
		{name: "accept awaiting payment", state: adapter.AwaitingPayment, call: accept(byBuyer, "PILOT"),
			want: adapter.InvalidState},
		{name: "accept cancelled", state: adapter.Cancelled, call: accept(byBuyer, "PILOT"),
			want: adapter.InvalidState},
		{name: "accept completed", state: adapter.Completed, call: accept(byBuyer, "PILOT"),
			want: adapter.InvalidState},
		{name: "outsider cancels", state: adapter.AwaitingBuyer, call: cancelBy(byOutsider),
			want: adapter.NotParty},
		{name: "cancel completed", state: adapter.Completed, call: cancelBy(bySeller),
			want: adapter.InvalidState},
		{name: "cancel cancelled", state: adapter.Cancelled, call: cancelBy(byBuyer),
			want: adapter.InvalidState},
		{name: "cancel rejected", state: adapter.Rejected, call: cancelBy(bySeller),
			want: adapter.InvalidState},
	})
}

func upload(by func(*sale) adapter.Caller, photos func() []adapter.PhotoUpload) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		_, _, err := fx.svc.UploadVINPhotos(fx.ctx, by(s), s.transfer.ID, photos())
		return err
	}
}

// photosWith returns goodPhotos with the first one edited.
func photosWith(edit func(p *adapter.PhotoUpload)) func() []adapter.PhotoUpload {
	return func() []adapter.PhotoUpload {
		ps := goodPhotos()
		edit(&ps[0])
		return ps
	}
}

func testPhotoRefusals(t *testing.T, fx *fixture) {
	tooBig := append([]byte("\xFF\xD8\xFF\xE0"), bytes.Repeat([]byte{0}, 64<<10)...)
	runRefusals(t, fx, []refusal{
		{name: "unknown kind", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) { p.Kind = "SELFIE" })), want: adapter.InvalidPhoto},
		{name: "GIF type", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) { p.ContentType = "image/gif" })),
			want: adapter.InvalidPhoto},
		{name: "declared JPEG holding a PNG", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) { p.Content = pngBytes() })),
			want: adapter.InvalidPhoto},
		{name: "declared PNG holding text", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) {
				p.ContentType, p.Content = "image/png", []byte("<html>not a photo</html>")
			})), want: adapter.InvalidPhoto},
		{name: "empty content", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) { p.Content = nil })), want: adapter.InvalidPhoto},
		{name: "over the size limit", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) { p.Content = tooBig })), want: adapter.InvalidPhoto},
		{name: "no VIN plate photo", state: adapter.AwaitingPhotos, call: upload(bySeller,
			photosWith(func(p *adapter.PhotoUpload) { p.Kind = adapter.PhotoRear })),
			want: adapter.InvalidPhoto},
		{name: "no photos", state: adapter.AwaitingPhotos, call: upload(bySeller,
			func() []adapter.PhotoUpload { return nil }), want: adapter.InvalidPhoto},
		{name: "more photos than allowed", state: adapter.AwaitingPhotos, call: upload(bySeller,
			func() []adapter.PhotoUpload {
				return append(goodPhotos(), append(goodPhotos(), goodPhotos()...)...)
			}), want: adapter.InvalidPhoto},
		{name: "outsider uploads", state: adapter.AwaitingPhotos, call: upload(byOutsider, goodPhotos),
			want: adapter.NotOwner},
		{name: "buyer uploads", state: adapter.AwaitingPhotos, call: upload(byBuyer, goodPhotos),
			want: adapter.NotOwner},
		{name: "upload before acceptance", state: adapter.AwaitingBuyer, call: upload(bySeller, goodPhotos),
			want: adapter.InvalidState},
		{name: "upload awaiting inspection", state: adapter.AwaitingInspection,
			call: upload(bySeller, goodPhotos), want: adapter.InvalidState},
		{name: "upload awaiting payment", state: adapter.AwaitingPayment,
			call: upload(bySeller, goodPhotos), want: adapter.InvalidState},
	})
}

func inspect(edit func(r *adapter.InspectionRequest, s *sale)) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		r := adapter.InspectionRequest{TransferID: s.transfer.ID, InspectorID: "INS-7",
			Decision: "APPROVE", ObservedVIN: s.vin}
		if edit != nil {
			edit(&r, s)
		}
		_, _, err := fx.svc.SubmitInspection(fx.ctx, inspector(), r)
		return err
	}
}

func testInspectionRefusals(t *testing.T, fx *fixture) {
	decide := func(d string) func(*fixture, *sale) error {
		return inspect(func(r *adapter.InspectionRequest, s *sale) { r.Decision = d })
	}
	runRefusals(t, fx, []refusal{
		{name: "unknown decision", state: adapter.AwaitingInspection, call: decide("MAYBE"),
			want: adapter.InvalidDecision},
		{name: "no decision", state: adapter.AwaitingInspection, call: decide(""),
			want: adapter.InvalidDecision},
		{name: "no inspector", state: adapter.AwaitingInspection,
			call: inspect(func(r *adapter.InspectionRequest, s *sale) { r.InspectorID = " " }),
			want: adapter.InvalidRequest},
		{name: "observed VIN differs", state: adapter.AwaitingInspection,
			call: inspect(func(r *adapter.InspectionRequest, s *sale) {
				r.ObservedVIN = s.vin[:16] + map[bool]string{true: "1", false: "2"}[s.vin[16] != '1']
			}), want: adapter.VINMismatch},
		{name: "no observed VIN", state: adapter.AwaitingInspection,
			call: inspect(func(r *adapter.InspectionRequest, s *sale) { r.ObservedVIN = "" }),
			want: adapter.VINMismatch},
		{name: "restricted since the photos", state: adapter.AwaitingInspection,
			setup: func(t *testing.T, fx *fixture, s *sale) {
				_, err := fx.sql.ExecContext(fx.ctx, `INSERT INTO restrictions
					(vehicle_id, kind, authority, since) VALUES ($1, 'ARREST', 'test court', $2)`,
					s.vehicleID, start)
				if err != nil {
					t.Fatalf("add restriction: %v", err)
				}
			}, call: inspect(nil), want: adapter.VehicleRestricted},
		{name: "unknown transfer", state: adapter.AwaitingInspection,
			call: inspect(func(r *adapter.InspectionRequest, s *sale) { r.TransferID = uuid.NewString() }),
			want: adapter.TransferNotFound},
		{name: "inspect awaiting the buyer", state: adapter.AwaitingBuyer, call: inspect(nil),
			want: adapter.InvalidState},
		{name: "inspect awaiting photos", state: adapter.AwaitingPhotos, call: decide("REJECT"),
			want: adapter.InvalidState},
		{name: "approve twice", state: adapter.AwaitingPayment, call: inspect(nil),
			want: adapter.InvalidState},
		{name: "retake awaiting payment", state: adapter.AwaitingPayment, call: decide("RETAKE"),
			want: adapter.InvalidState},
		{name: "inspect rejected", state: adapter.Rejected, call: inspect(nil),
			want: adapter.InvalidState},
		{name: "inspect completed", state: adapter.Completed, call: decide("REJECT"),
			want: adapter.InvalidState},
	})
}

func confirm(by string, edit func(p *adapter.PaymentConfirmation, s *sale)) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		p := s.confirmation()
		if edit != nil {
			edit(&p, s)
		}
		_, err := fx.svc.ConfirmPayment(fx.ctx, bankCaller(by), p)
		return err
	}
}

func certificate(by func(*sale) adapter.Caller, vin func(*sale) string) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		_, err := fx.svc.RegistrationCertificate(fx.ctx, by(s), vin(s))
		return err
	}
}

func status(c func(*sale) adapter.Caller) func(*fixture, *sale) error {
	return func(fx *fixture, s *sale) error {
		_, err := fx.svc.TransferStatus(fx.ctx, c(s), s.transfer.ID)
		return err
	}
}

func testPaymentAndReadRefusals(t *testing.T, fx *fixture) {
	saleVIN := func(s *sale) string { return s.vin }
	runRefusals(t, fx, []refusal{
		{name: "unknown order", state: adapter.AwaitingPayment,
			call: confirm("PILOT", func(p *adapter.PaymentConfirmation, s *sale) {
				p.OrderID = uuid.NewString()
			}), want: adapter.OrderNotFound},
		{name: "order of another transfer", state: adapter.AwaitingPayment,
			call: confirm("PILOT", func(p *adapter.PaymentConfirmation, s *sale) {
				p.TransferID = uuid.NewString()
			}), want: adapter.OrderNotFound},
		{name: "another bank confirms", state: adapter.AwaitingPayment, call: confirm("KICB", nil),
			want: adapter.WrongBank},
		{name: "price paid without fees", state: adapter.AwaitingPayment,
			call: confirm("PILOT", func(p *adapter.PaymentConfirmation, s *sale) {
				p.Amount = "350000.00"
			}), want: adapter.AmountMismatch},
		{name: "one tyiyn too much", state: adapter.AwaitingPayment,
			call: confirm("PILOT", func(p *adapter.PaymentConfirmation, s *sale) {
				p.Amount = "351350.01"
			}), want: adapter.AmountMismatch},
		{name: "amount not a number", state: adapter.AwaitingPayment,
			call: confirm("PILOT", func(p *adapter.PaymentConfirmation, s *sale) {
				p.Amount = "351,350"
			}), want: adapter.AmountMismatch},
		// A late payment of the right amount is accepted and refunded
		// (TestWorkflow/cancel); a wrong amount or bank is still refused.
		{name: "payment after cancellation of another amount", state: adapter.AwaitingPayment,
			setup: func(t *testing.T, fx *fixture, s *sale) { fx.cancel(t, s) },
			call: confirm("PILOT", func(p *adapter.PaymentConfirmation, s *sale) {
				p.Amount = "350000.00"
			}), want: adapter.AmountMismatch},
		{name: "payment after cancellation by another bank", state: adapter.AwaitingPayment,
			setup: func(t *testing.T, fx *fixture, s *sale) { fx.cancel(t, s) },
			call:  confirm("KICB", nil), want: adapter.WrongBank},
		{name: "certificate asked by the buyer before payment", state: adapter.AwaitingPayment,
			call: certificate(byBuyer, saleVIN), want: adapter.NotOwner},
		{name: "certificate asked by an outsider", call: certificate(byOutsider, saleVIN),
			want: adapter.NotOwner},
		{name: "certificate asked by the seller after the sale", state: adapter.Completed,
			call: certificate(bySeller, saleVIN), want: adapter.NotOwner},
		{name: "certificate of an unknown vehicle", call: certificate(bySeller,
			func(*sale) string { return "WVWZZZ1JZXW999999" }), want: adapter.VehicleNotFound},
		{name: "certificate of an invalid VIN", call: certificate(bySeller,
			func(*sale) string { return "123" }), want: adapter.InvalidVIN},
		{name: "status for an outsider", state: adapter.AwaitingBuyer, call: status(byOutsider),
			want: adapter.NotParty},
		{name: "status for a bank without the order", state: adapter.AwaitingPayment,
			call: status(func(*sale) adapter.Caller { return bankCaller("KICB") }), want: adapter.NotParty},
		{name: "status for a bank before any order", state: adapter.AwaitingPhotos,
			call: status(func(*sale) adapter.Caller { return bankCaller("PILOT") }), want: adapter.NotParty},
		{name: "status of an unknown transfer", state: adapter.AwaitingBuyer,
			call: func(fx *fixture, s *sale) error {
				_, err := fx.svc.TransferStatus(fx.ctx, inspector(), uuid.NewString())
				return err
			}, want: adapter.TransferNotFound},
	})
}
