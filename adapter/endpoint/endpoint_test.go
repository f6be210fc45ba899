package endpoint_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
)

// exchange sends r and checks what every answer must satisfy: HTTP 200,
// text/xml, the request header echoed, the response element named after
// the service code plus Response in the contract's namespace, and a
// result with code want and its three messages.
func exchange(t *testing.T, srv *server, r request, want adapter.Code) *etree.Element {
	t.Helper()
	raw := render(t, r)
	rep := post(t, srv.url, raw)
	if rep.status != http.StatusOK {
		t.Fatalf("got HTTP %d, want 200: %s", rep.status, rep.raw)
	}
	if !strings.HasPrefix(rep.contentType, "text/xml") {
		t.Errorf("got Content-Type %q, want text/xml", rep.contentType)
	}
	checkEcho(t, headerOf(t, raw), rep.header)
	code := r.Code
	if code == "" {
		code = strings.SplitN(r.File, "-", 2)[0]
	}
	if rep.body.Tag != code+"Response" || rep.body.NamespaceURI() != nsVehicle {
		t.Fatalf("got {%s}%s, want {%s}%sResponse", rep.body.NamespaceURI(), rep.body.Tag,
			nsVehicle, code)
	}
	checkResult(t, rep.body, want)
	return rep.body
}

// TestRoundTrip sends every service code through the HTTP handler in the
// order of a sale, as each channel would, and compares the responses with
// golden files.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	d := srv.demo
	seller, buyer := "KG"+string(d.Owner.PIN), "KG"+string(d.Buyer.PIN)
	vars := map[string]string{
		"vin": d.Vehicle.VIN, "certificate": d.CertificateNumber,
		"seller": string(d.Owner.PIN), "buyer": string(d.Buyer.PIN),
		"transfer": transferID(1), "order": transferID(2),
		"jpeg": photo(t, "vin-plate.jpg"), "png": photo(t, "front.png"),
	}
	var newCertificate, restrictedCert string
	err := srv.db.SQL().QueryRow(`SELECT certificate_number FROM registrations
		WHERE vehicle_id = $1 AND until IS NULL`, d.Restricted.ID).Scan(&restrictedCert)
	if err != nil {
		t.Fatalf("certificate of the restricted vehicle: %v", err)
	}

	steps := []struct {
		name   string
		req    request
		want   adapter.Code
		check  func(t *testing.T, body *etree.Element)
		golden bool
	}{
		{"check by VIN", request{File: "checkVehicle", Client: portal}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				// The contract: an absent restricted means false.
				if child(b, "vehicle/vin") != d.Vehicle.VIN || child(b, "vehicle/restricted") != "" {
					t.Errorf("got vehicle %s restricted %q, want %s free", child(b, "vehicle/vin"),
						child(b, "vehicle/restricted"), d.Vehicle.VIN)
				}
			}, true},
		{"check a restricted vehicle by plate", request{File: "checkVehicle-plate", Client: bankApp,
			B: map[string]string{"plate": d.Restricted.Plate}}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if child(b, "vehicle/restricted") != "true" ||
					child(b, "vehicle/restriction") != string(d.Restriction.Kind) {
					t.Errorf("got restricted %s %s, want true %s", child(b, "vehicle/restricted"),
						child(b, "vehicle/restriction"), d.Restriction.Kind)
				}
			}, true},
		{"initiate", request{File: "initiateTransfer", Client: portal, UserID: seller}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if child(b, "transferId") != transferID(1) || child(b, "state") != "AWAITING_BUYER" ||
					child(b, "deadline") != "2026-03-13T06:00:00Z" {
					t.Errorf("got transfer %s in %s until %s", child(b, "transferId"),
						child(b, "state"), child(b, "deadline"))
				}
			}, true},
		{"initiate a restricted vehicle", request{File: "initiateTransfer", Client: portal,
			UserID: "KG" + string(d.RestrictedOwner.PIN), B: map[string]string{
				"vin": d.Restricted.VIN, "certificate": restrictedCert,
				"seller": string(d.RestrictedOwner.PIN), "buyer": string(d.Buyer.PIN)}},
			adapter.VehicleRestricted, nil, true},
		{"status for the seller", request{File: "getTransferStatus", Client: portal, UserID: seller},
			adapter.OK, nil, true},
		{"accept", request{File: "acceptTransfer", Client: portal, UserID: buyer}, adapter.OK, nil, true},
		{"accept again", request{File: "acceptTransfer", Client: portal, UserID: buyer},
			adapter.InvalidState, nil, true},
		{"upload photos", request{File: "uploadVinPhotos", Client: portal, UserID: seller}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if child(b, "photoCount") != "2" || child(b, "state") != "AWAITING_INSPECTION" {
					t.Errorf("got %s photos, state %s", child(b, "photoCount"), child(b, "state"))
				}
			}, true},
		{"list pending inspections", request{File: "listPendingInspections", Client: inspection},
			adapter.OK, func(t *testing.T, b *etree.Element) {
				if n := len(b.SelectElements("inspection")); n != 1 {
					t.Errorf("got %d pending inspections, want 1", n)
				}
			}, true},
		{"get photos", request{File: "getVinPhotos", Client: inspection}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				ps := b.SelectElements("photo")
				if len(ps) != 2 || child(ps[0], "content") != vars["jpeg"] ||
					child(ps[1], "content") != vars["png"] {
					t.Errorf("got %d photos, want the two sent back unchanged", len(ps))
				}
			}, true},
		{"approve", request{File: "submitInspection", Client: inspection}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if child(b, "paymentOrderId") != transferID(2) || child(b, "amount") != "351350.00" ||
					len(child(b, "approvalCode")) != 8 {
					t.Errorf("got order %s amount %s approval %q", child(b, "paymentOrderId"),
						child(b, "amount"), child(b, "approvalCode"))
				}
			}, true},
		{"payment of the price without fees", request{File: "confirmPayment", Client: pilotBank,
			B: map[string]string{"amount": "350000.00"}}, adapter.AmountMismatch, nil, true},
		{"confirm payment", request{File: "confirmPayment", Client: pilotBank}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				newCertificate = child(b, "certificateNumber")
				if child(b, "state") != "COMPLETED" || newCertificate == d.CertificateNumber ||
					len(newCertificate) != 10 {
					t.Errorf("got state %s certificate %q", child(b, "state"), newCertificate)
				}
			}, true},
		{"confirm payment again", request{File: "confirmPayment", Client: pilotBank}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if got := child(b, "certificateNumber"); got != newCertificate {
					t.Errorf("got certificate %q on the repeated callback, want %q", got, newCertificate)
				}
			}, false},
		{"status for the bank", request{File: "getTransferStatus", Client: pilotBank}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if child(b, "transfer/state") != "COMPLETED" ||
					child(b, "transfer/payment/status") != "PAID" ||
					len(b.FindElements("transfer/event")) != 5 {
					t.Errorf("got state %s, payment %s, %d events",
						child(b, "transfer/state"), child(b, "transfer/payment/status"),
						len(b.FindElements("transfer/event")))
				}
				if strings.Contains(string(mustString(b)), string(d.Owner.PIN)) {
					t.Error("the status carries the seller's full PIN")
				}
			}, true},
		{"certificate for the buyer", request{File: "getRegistrationCertificate", Client: portal,
			UserID: buyer}, adapter.OK, func(t *testing.T, b *etree.Element) {
			if child(b, "certificate/certificateNumber") != newCertificate ||
				child(b, "certificate/ownerPin") != string(d.Buyer.PIN) {
				t.Errorf("got certificate %s of %s", child(b, "certificate/certificateNumber"),
					child(b, "certificate/ownerPin"))
			}
		}, true},
		{"certificate for the seller", request{File: "getRegistrationCertificate", Client: portal,
			UserID: seller}, adapter.NotOwner, nil, true},
		{"resell to the first owner", request{File: "initiateTransfer", Client: portal, UserID: buyer},
			adapter.OK, nil, false},
		{"cancel", request{File: "cancelTransfer", Client: portal, UserID: seller}, adapter.OK,
			func(t *testing.T, b *etree.Element) {
				if child(b, "state") != "CANCELLED" || child(b, "transferId") != transferID(3) {
					t.Errorf("got %s %s, want %s CANCELLED", child(b, "transferId"),
						child(b, "state"), transferID(3))
				}
			}, true},
	}
	for i, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			r := st.req
			r.ID = "msg-" + strings.ReplaceAll(st.name, " ", "-")
			r.Version = "v1"
			b := map[string]string{}
			for k, v := range vars {
				b[k] = v
			}
			for k, v := range r.B {
				b[k] = v
			}
			r.B = b
			switch st.name {
			case "resell to the first owner":
				r.B["certificate"], r.B["seller"], r.B["buyer"] = newCertificate,
					string(d.Buyer.PIN), string(d.Owner.PIN)
			case "cancel":
				r.B["transfer"] = transferID(3)
			}
			body := exchange(t, srv, r, st.want)
			if st.check != nil {
				st.check(t, body)
			}
			if st.golden {
				checkGolden(t, "roundtrip-"+strings.ReplaceAll(st.name, " ", "-"), body)
			}
		})
		if !ok {
			t.Fatalf("step %d (%s) failed; the later steps depend on it", i+1, st.name)
		}
	}
}

func mustString(el *etree.Element) string {
	doc := etree.NewDocumentWithRoot(el.Copy())
	s, _ := doc.WriteToString()
	return s
}

// soapFault checks that rep is a SOAP fault with code want and returns
// its faultstring.
func soapFault(t *testing.T, rep reply, want string) string {
	t.Helper()
	if rep.status != http.StatusInternalServerError {
		t.Errorf("got HTTP %d for a fault, want 500", rep.status)
	}
	if rep.body.Tag != "Fault" || rep.body.NamespaceURI() != nsEnvelope {
		t.Fatalf("got {%s}%s, want a SOAP Fault: %s", rep.body.NamespaceURI(), rep.body.Tag, rep.raw)
	}
	if got := child(rep.body, "faultcode"); got != want && !strings.HasSuffix(got, ":"+want) {
		t.Errorf("got faultcode %q, want %s", got, want)
	}
	s := child(rep.body, "faultstring")
	if s == "" {
		t.Error("got an empty faultstring")
	}
	return s
}

// TestFaults checks the messages that get a SOAP fault instead of a
// result: callers a channel does not admit, services this adapter does
// not publish, and bodies that do not match the contract. Each fault
// comes with HTTP 500 and the request's header echoed. A request without
// serviceVersion is served.
func TestFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	d := srv.demo
	seller := "KG" + string(d.Owner.PIN)
	vars := map[string]string{
		"vin": d.Vehicle.VIN, "certificate": d.CertificateNumber,
		"seller": string(d.Owner.PIN), "buyer": string(d.Buyer.PIN),
		"transfer": transferID(1), "order": transferID(2),
		"jpeg": photo(t, "vin-plate.jpg"), "png": photo(t, "front.png"),
	}
	tests := []struct {
		name   string
		req    request
		want   string
		golden bool
	}{
		{"unknown client", request{File: "checkVehicle", Client: stranger},
			soap.CodeAccessDenied, true},
		{"inspection subsystem initiates", request{File: "initiateTransfer", Client: inspection,
			UserID: seller}, soap.CodeAccessDenied, false},
		{"bank accepts for a buyer", request{File: "acceptTransfer", Client: pilotBank,
			UserID: seller}, soap.CodeAccessDenied, false},
		{"citizen lists inspections", request{File: "listPendingInspections", Client: portal,
			UserID: seller}, soap.CodeAccessDenied, false},
		{"citizen confirms a payment", request{File: "confirmPayment", Client: portal,
			UserID: seller}, soap.CodeAccessDenied, false},
		{"bank reads a certificate", request{File: "getRegistrationCertificate", Client: pilotBank,
			UserID: seller}, soap.CodeAccessDenied, false},
		{"narrowed channel initiates", request{File: "initiateTransfer", Client: bankApp,
			UserID: seller}, soap.CodeAccessDenied, true},
		{"citizen call without userId", request{File: "initiateTransfer", Client: portal},
			soap.CodeAccessDenied, true},
		{"citizen call with a short userId", request{File: "getRegistrationCertificate",
			Client: portal, UserID: "KG2150519"}, soap.CodeAccessDenied, false},
		{"citizen call with another country's userId", request{File: "acceptTransfer",
			Client: portal, UserID: "EE" + string(d.Buyer.PIN)}, soap.CodeAccessDenied, false},
		{"citizen call with a PIN born in the future", request{File: "uploadVinPhotos",
			Client: portal, UserID: "KG20101209912345"}, soap.CodeAccessDenied, false},
		{"unknown service code", request{File: "deleteVehicle", Client: portal},
			soap.CodeUnknownService, true},
		{"unknown service version", request{File: "checkVehicle", Client: portal, Version: "v2"},
			soap.CodeUnknownService, true},
		{"unknown service for an unknown client", request{File: "deleteVehicle", Client: stranger},
			soap.CodeUnknownService, false},
		{"body in another namespace", request{File: "checkVehicle-wrongns", Client: portal},
			soap.CodeBadRequest, false},
		{"limit not a number", request{File: "listPendingInspections", Client: inspection,
			B: map[string]string{"limit": "ten"}}, soap.CodeBadRequest, false},
		{"paidAt without a time zone", request{File: "confirmPayment", Client: pilotBank,
			B: map[string]string{"paidAt": "2026-03-10T12:00:00"}}, soap.CodeBadRequest, true},
		{"photo content not base64", request{File: "uploadVinPhotos", Client: portal, UserID: seller,
			B: map[string]string{"jpeg": "not*base64!"}}, soap.CodeBadRequest, false},
		{"photo without content", request{File: "uploadVinPhotos", Client: portal, UserID: seller,
			B: map[string]string{"png": ""}}, soap.CodeBadRequest, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req
			r.ID = "fault-" + strings.ReplaceAll(tc.name, " ", "-")
			if r.Version == "" {
				r.Version = "v1"
			}
			b := map[string]string{}
			for k, v := range vars {
				b[k] = v
			}
			for k, v := range tc.req.B {
				b[k] = v
			}
			r.B = b
			raw := render(t, r)
			rep := post(t, srv.url, raw)
			soapFault(t, rep, tc.want)
			checkEcho(t, headerOf(t, raw), rep.header)
			if tc.golden {
				checkGolden(t, "fault-"+strings.ReplaceAll(tc.name, " ", "-"), rep.body)
			}
		})
	}

	// Beside them: without serviceVersion a request is served as v1.
	for _, version := range []string{"", "v1"} {
		t.Run("version "+version, func(t *testing.T) {
			body := exchange(t, srv, request{File: "checkVehicle", Client: portal, ID: "v-" + version,
				Version: version, B: map[string]string{"vin": srv.demo.Vehicle.VIN}}, adapter.OK)
			if got := child(body, "vehicle/vin"); got != srv.demo.Vehicle.VIN {
				t.Errorf("got vehicle %q, want %s", got, srv.demo.Vehicle.VIN)
			}
		})
	}
}
