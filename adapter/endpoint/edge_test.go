package endpoint_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/soap"
)

// TestInternalError loses the registry under a running endpoint: a request
// gets Server.InternalError with its header echoed and nothing of the
// cause, which goes to the log, once.
func TestInternalError(t *testing.T) {
	t.Parallel()
	log, sink := jsonLog()
	srv := serve(t, options{log: log})
	d := srv.demo
	if err := srv.db.Close(); err != nil {
		t.Fatalf("close the registry: %v", err)
	}

	tests := []struct {
		name string
		req  request
	}{
		{"check a vehicle", request{File: "checkVehicle", Client: portal,
			B: map[string]string{"vin": d.Vehicle.VIN}}},
		{"initiate", request{File: "initiateTransfer", Client: portal,
			UserID: "KG" + string(d.Owner.PIN), B: map[string]string{
				"vin": d.Vehicle.VIN, "certificate": d.CertificateNumber,
				"seller": string(d.Owner.PIN), "buyer": string(d.Buyer.PIN)}}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req
			r.ID, r.Version = "internal-"+strings.ReplaceAll(tc.name, " ", "-"), "v1"
			raw := render(t, r)
			rep := post(t, srv.url, raw)
			s := soapFault(t, rep, soap.CodeInternalError)
			checkEcho(t, headerOf(t, raw), rep.header)
			// The header carries the userId by right; the fault must not.
			fault := mustString(rep.body)
			for _, leak := range []string{"sql", "database", "closed", "registry", "adapter:",
				d.Vehicle.VIN, string(d.Owner.PIN)} {
				if strings.Contains(fault, leak) {
					t.Errorf("the fault carries %q: %s", leak, s)
				}
			}
			if n := strings.Count(sink.String(), `"msg":"internal error"`); n != i+1 {
				t.Errorf("got %d internal errors logged, want %d:\n%s", n, i+1, sink)
			}
			if !strings.Contains(sink.String(), "database is closed") ||
				!strings.Contains(sink.String(), r.ID) {
				t.Errorf("the log lacks the cause or the message id:\n%s", sink)
			}
		})
	}
}

// TestAdmitUsesDomainClock checks that the endpoint judges a userId's date
// of birth by the domain's clock, not the machine's: at a clock in 1990 a
// citizen born in 2000 does not exist yet.
func TestAdmitUsesDomainClock(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.domain.Now = func() time.Time { return time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC) }
	raw := render(t, request{File: "getRegistrationCertificate", Client: portal,
		ID: "clock-1990", Version: "v1", UserID: "KG21506200012345",
		B: map[string]string{"vin": srv.demo.Vehicle.VIN}})
	rep := post(t, srv.url, raw)
	if s := soapFault(t, rep, soap.CodeAccessDenied); !strings.Contains(s, "userId") {
		t.Errorf("got faultstring %q, want it to name userId", s)
	}
	checkEcho(t, headerOf(t, raw), rep.header)
}
