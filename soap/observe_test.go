package soap

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestObserve checks what Handler.Observe reports for a success, a fault
// after the header was read, and a fault before it, with an injected clock.
func TestObserve(t *testing.T) {
	var form [2]bool
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		form = [2]bool{req.Multipart, req.MTOM}
		return &Response{Body: NewResponseElement(req)}, nil
	})
	tests := []struct {
		name      string
		provider  Identifier
		ct        string
		body      []byte
		status    int
		fault     string
		header    bool
		multipart bool
	}{
		{"success", producer, "text/xml", simpleWith(t), http.StatusOK, "", true, false},
		{"unknown service", ourProvider, "text/xml", simpleWith(t), 500, CodeUnknownService,
			true, false},
		{"broken XML", producer, "text/xml", simpleWith(t)[:300], 500, CodeInvalidXML, false, false},
		{"empty body", producer, "text/xml", simpleWith(t, "<ns1:testQuery ", "<!--",
			"</ns1:testQuery>", "-->"), 500, CodeInvalidBody, true, false},
		{"bad protocol version", producer, "text/xml", simpleWith(t, ">4.0<", ">3.0<"), 500,
			CodeInvalidProtocolVersion, false, false},
		{"multipart", producer, "multipart/related; boundary=BOUNDARY",
			multipartBody(part{"Content-Type: text/xml", swaEnvelope(t)}), 200, "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Exchange
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			h := &Handler{Service: svc, Provider: tt.provider,
				Observe: func(e Exchange) { got = append(got, e) },
				Now: func() time.Time {
					clock = clock.Add(250 * time.Millisecond)
					return clock
				}}
			form = [2]bool{}
			r := post(t, h, tt.ct, tt.body)
			if len(got) != 1 {
				t.Fatalf("got %d exchanges observed, want 1", len(got))
			}
			e := got[0]
			if e.Status != tt.status || r.status != tt.status || e.FaultCode != tt.fault {
				t.Errorf("got %d/%d %q, want %d %q", e.Status, r.status, e.FaultCode, tt.status, tt.fault)
			}
			if (e.Header != nil) != tt.header {
				t.Errorf("got header %v, want one: %v", e.Header, tt.header)
			}
			if e.Duration != 250*time.Millisecond {
				t.Errorf("got duration %v, want 250ms", e.Duration)
			}
			if tt.fault == "" && form[0] != tt.multipart {
				t.Errorf("got Multipart %v, want %v", form[0], tt.multipart)
			}
		})
	}
}
