package soap

import (
	"net/http"
	"testing"
)

// TestMustUnderstand checks SOAP 1.1 mustUnderstand on header elements:
// an element addressed to us that we do not understand is refused with
// SOAP-ENV:MustUnderstand and the header echoed; the X-Road fields, "0",
// other actors and attributes outside the SOAP namespace pass.
func TestMustUnderstand(t *testing.T) {
	const at = "<xroad:id>"
	withHeader := func(el string) []byte {
		return simpleWith(t, at, el+at)
	}
	mustFault := prefixEnvelope + ":" + CodeMustUnderstand
	tests := []struct {
		name string
		body []byte
		want string // faultcode as written; "" for success
	}{
		{"unknown, mustUnderstand 1", withHeader(
			`<w:Security xmlns:w="urn:wsse" SOAP-ENV:mustUnderstand="1">x</w:Security>`),
			mustFault},
		{"unknown, mustUnderstand true", withHeader(
			`<w:Security xmlns:w="urn:wsse" SOAP-ENV:mustUnderstand="true"/>`), mustFault},
		{"unknown, actor next", withHeader(`<w:Security xmlns:w="urn:wsse" ` +
			`SOAP-ENV:mustUnderstand="1" SOAP-ENV:actor="` + NSActorNext + `"/>`), mustFault},
		{"unknown in the X-Road namespace", withHeader(
			`<xroad:securityServer SOAP-ENV:mustUnderstand="1"/>`), mustFault},
		{"unknown, X-Road header broken too", simpleWith(t,
			"<xroad:id>1234567890</xroad:id>",
			`<w:Security xmlns:w="urn:wsse" SOAP-ENV:mustUnderstand="1"/>`), mustFault},
		{"unknown, mustUnderstand 0", withHeader(
			`<w:Security xmlns:w="urn:wsse" SOAP-ENV:mustUnderstand="0"/>`), ""},
		{"unknown, for another actor", withHeader(`<w:Security xmlns:w="urn:wsse" ` +
			`SOAP-ENV:mustUnderstand="1" SOAP-ENV:actor="urn:someone-else"/>`), ""},
		{"unknown, attribute not in the SOAP namespace", withHeader(
			`<w:Security xmlns:w="urn:wsse" mustUnderstand="1"/>`), ""},
		{"nested, not a header element", withHeader(`<w:Trace xmlns:w="urn:w">` +
			`<w:hop SOAP-ENV:mustUnderstand="1"/></w:Trace>`), ""},
		{"X-Road field", simpleWith(t, at, `<xroad:id SOAP-ENV:mustUnderstand="1">`), ""},
		{"represented party", withHeader(`<r:representedParty xmlns:r="` + NSRepresented +
			`" SOAP-ENV:mustUnderstand="1"><r:partyCode>123</r:partyCode>` +
			`</r:representedParty>`), ""},
		{"invalid value", withHeader(
			`<w:Security xmlns:w="urn:wsse" SOAP-ENV:mustUnderstand="yes"/>`), CodeInvalidSoap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ex Exchange
			svc := &echoService{}
			h := &Handler{Service: svc, Provider: producer, Observe: func(e Exchange) { ex = e }}
			r := post(t, h, "text/xml; charset=utf-8", tt.body)
			wantStatus := http.StatusOK
			if tt.want != "" {
				wantStatus = http.StatusInternalServerError
			}
			if r.status != wantStatus || r.fault() != tt.want {
				t.Fatalf("got %d %q, want %d %q\n%s", r.status, r.fault(), wantStatus, tt.want,
					r.body)
			}
			if tt.want != "" && len(svc.got) != 0 {
				t.Errorf("got the service called, want it not to be")
			}
			if fe := r.doc.FindElement("/Envelope/Body/Fault"); tt.want == mustFault &&
				(fe == nil || fe.Space != prefixEnvelope || fe.NamespaceURI() != NSEnvelope) {
				t.Errorf("got fault element %v, want the faultcode's prefix %s bound to %s",
					fe, prefixEnvelope, NSEnvelope)
			}
			if tt.want == mustFault && ex.FaultCode != CodeMustUnderstand {
				t.Errorf("got Exchange.FaultCode %q, want %q", ex.FaultCode, CodeMustUnderstand)
			}
			if r.header() == nil {
				t.Fatalf("got no header echoed, want the request's\n%s", r.body)
			}
			if d := sameTree(requestHeader(t, tt.body), r.header()); d != "" {
				t.Errorf("echo differs: %s", d)
			}
		})
	}
}
