package soap

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMisrouted checks that a request on a path taking no messages gets a
// Client.UnknownService fault with HTTP 500 naming the right path, with
// the header echoed when the body has one.
func TestMisrouted(t *testing.T) {
	simple := readTestdata(t, "corpus/simple.query")
	tests := []struct {
		name string
		ct   string
		body []byte
		echo bool // the SOAP Header is echoed
		read bool // the X-Road header is valid, so Observe sees it
	}{
		{"X-Road message", "text/xml; charset=utf-8", simple, true, true},
		{"broken X-Road header", "text/xml", simpleWith(t, "<xroad:id>1234567890</xroad:id>",
			""), true, false},
		{"not XML", "text/xml", []byte("hello"), false, false},
		{"no body", "", nil, false, false},
		{"form", "application/x-www-form-urlencoded", []byte("a=b"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ex Exchange
			h := &Misrouted{Path: "/xroad", Observe: func(e Exchange) { ex = e }}
			req := httptest.NewRequest(http.MethodPost, "/xroad/", bytes.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			r := toReply(t, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())

			if r.status != http.StatusInternalServerError || r.fault() != CodeUnknownService {
				t.Fatalf("got %d %q, want 500 %s\n%s", r.status, r.fault(), CodeUnknownService,
					r.body)
			}
			s := r.doc.FindElement("/Envelope/Body/Fault/faultstring")
			if s == nil || !strings.Contains(s.Text(), `"/xroad/"`) ||
				!strings.Contains(s.Text(), "POST to /xroad") {
				t.Errorf("got faultstring %v, want it to name /xroad/ and /xroad", s)
			}
			if got := r.header() != nil; got != tt.echo {
				t.Fatalf("got header echoed %v, want %v", got, tt.echo)
			}
			if tt.echo {
				if d := sameTree(requestHeader(t, tt.body), r.header()); d != "" {
					t.Errorf("echo differs: %s", d)
				}
			}
			if ex.Status != http.StatusInternalServerError || ex.FaultCode != CodeUnknownService {
				t.Errorf("got exchange %+v, want the fault observed", ex)
			}
			if (ex.Header != nil) != tt.read {
				t.Errorf("got exchange header %v, want one: %v", ex.Header, tt.read)
			}
		})
	}
}
