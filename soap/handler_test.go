package soap

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// producer is the service provider named in the corpus messages.
var producer = Identifier{ObjectType: TypeMember, XRoadInstance: "EE",
	MemberClass: "BUSINESS", MemberCode: "producer"}

// TestHandlerServes checks that a valid message reaches the Service and
// that the response echoes the header and carries the response element.
func TestHandlerServes(t *testing.T) {
	svc := &echoService{}
	h := &Handler{Service: svc, Provider: producer}
	body := readTestdata(t, "corpus/simple.query")
	r := post(t, h, "text/xml; charset=utf-8", body, "SOAPAction", `""`)

	if r.status != http.StatusOK {
		t.Fatalf("got status %d, want 200\n%s", r.status, r.body)
	}
	if d := sameTree(requestHeader(t, body), r.header()); d != "" {
		t.Errorf("echoed header differs: %s", d)
	}
	el := r.doc.FindElement("/Envelope/Body/*")
	if el == nil || el.Tag != "testQueryResponse" ||
		el.NamespaceURI() != "http://cosumer.ee.xroad.net" {
		t.Fatalf("got body %v, want {http://cosumer.ee.xroad.net}testQueryResponse", el)
	}
	if len(svc.got) != 1 {
		t.Fatalf("got %d calls, want 1", len(svc.got))
	}
	hd := svc.got[0].Header
	want := Identifier{ObjectType: TypeService, XRoadInstance: "EE", MemberClass: "BUSINESS",
		MemberCode: "producer", ServiceCode: "testQuery"}
	if hd.Service != want || hd.ID != "1234567890" || hd.UserID != "EE37702211234" ||
		hd.ProtocolVersion != "4.0" {
		t.Errorf("got header %+v", hd)
	}
	if got := svc.got[0].Body.FindElement("request/name").Text(); got != "foo" {
		t.Errorf("got request/name %q, want foo", got)
	}
}

// TestHandlerFaults checks the faults for HTTP-level problems and for
// what the Service answers.
func TestHandlerFaults(t *testing.T) {
	simple := readTestdata(t, "corpus/simple.query")
	wrongName := ServiceFunc(func(context.Context, *Request) (*Response, error) {
		return &Response{Body: etree.NewElement("somethingElse")}, nil
	})
	wrongNS := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		el := etree.NewElement("testQueryResponse")
		el.CreateAttr("xmlns", "urn:other")
		return &Response{Body: el}, nil
	})
	panics := ServiceFunc(func(context.Context, *Request) (*Response, error) {
		panic("boom")
	})
	fails := ServiceFunc(func(context.Context, *Request) (*Response, error) {
		return nil, errors.New("database is down")
	})
	refuses := ServiceFunc(func(context.Context, *Request) (*Response, error) {
		return nil, NewFault(CodeAccessDenied, "not yours")
	})
	tests := []struct {
		name     string
		svc      Service
		provider Identifier
		ct       string
		body     []byte
		hdr      []string
		want     string
		internal bool
	}{
		{"unquoted SOAPAction", &echoService{}, producer, "text/xml", simple,
			[]string{"SOAPAction", "testQuery"}, CodeInvalidSoapAction, false},
		{"SOAPAction with space", &echoService{}, producer, "text/xml", simple,
			[]string{"SOAPAction", `"a b"`}, CodeInvalidSoapAction, false},
		{"no content type", &echoService{}, producer, "", simple, nil, CodeInvalidContentType, false},
		{"json", &echoService{}, producer, "application/json", simple, nil,
			CodeInvalidContentType, false},
		{"SOAP 1.2 content type", &echoService{}, producer, "application/soap+xml", simple, nil,
			CodeInvalidSoap, false},
		{"wrong response name", wrongName, producer, "text/xml", simple, nil, CodeInternalError, true},
		{"wrong response namespace", wrongNS, producer, "text/xml", simple, nil, CodeInternalError, true},
		{"service panics", panics, producer, "text/xml", simple, nil, CodeInternalError, true},
		{"service fails", fails, producer, "text/xml", simple, nil, CodeInternalError, true},
		{"service refuses", refuses, producer, "text/xml", simple, nil, CodeAccessDenied, false},
		{"provider not set", &echoService{}, Identifier{}, "text/xml", simple, nil,
			CodeInternalError, true},
		{"other subsystem of our member", &echoService{},
			Identifier{ObjectType: TypeSubsystem, XRoadInstance: "EE", MemberClass: "BUSINESS",
				MemberCode: "producer", SubsystemCode: "x"},
			"text/xml", simple, nil, CodeUnknownService, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ex Exchange
			h := &Handler{Service: tt.svc, Provider: tt.provider,
				Observe: func(e Exchange) { ex = e }}
			r := post(t, h, tt.ct, tt.body, tt.hdr...)
			if r.status != http.StatusInternalServerError || r.fault() != tt.want {
				t.Fatalf("got %d %q, want 500 %q\n%s", r.status, r.fault(), tt.want, r.body)
			}
			if ex.FaultCode != tt.want || ex.Status != 500 {
				t.Errorf("got exchange %+v, want fault %s", ex, tt.want)
			}
			if (ex.Err != nil) != tt.internal {
				t.Errorf("got exchange error %v, want one: %v", ex.Err, tt.internal)
			}
			if tt.internal && strings.Contains(string(r.body), "boom") {
				t.Errorf("the internal error leaked into the fault: %s", r.body)
			}
			if r.header() == nil {
				t.Errorf("got no echoed header, want one")
			}
		})
	}
}

// TestHandlerMethods checks that methods other than POST get a fault and
// that GET ?wsdl goes to the WSDL handler.
func TestHandlerMethods(t *testing.T) {
	wsdl := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<definitions/>"))
	})
	h := &Handler{Service: &echoService{}, Provider: producer, WSDL: wsdl}
	tests := []struct {
		method, target string
		status         int
		fault          string
	}{
		{http.MethodGet, "/xroad?wsdl", 200, ""},
		{http.MethodGet, "/xroad?WSDL", 200, ""},
		{http.MethodGet, "/xroad", 500, CodeInvalidHTTPMethod},
		{http.MethodPut, "/xroad", 500, CodeInvalidHTTPMethod},
		{http.MethodDelete, "/xroad?wsdl", 500, CodeInvalidHTTPMethod},
		{http.MethodOptions, "/xroad", 500, CodeInvalidHTTPMethod},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			r := toReply(t, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
			if r.status != tt.status || r.fault() != tt.fault {
				t.Errorf("got %d %q, want %d %q", r.status, r.fault(), tt.status, tt.fault)
			}
		})
	}
}
