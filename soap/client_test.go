package soap

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// bank is the service the client tests call.
var bank = Identifier{ObjectType: TypeSubsystem, XRoadInstance: "central-server",
	MemberClass: "COM", MemberCode: "10000001", SubsystemCode: "payments"}

// testClient returns a Client of our subsystem posting to url.
func testClient(url string) *Client {
	return &Client{URL: url, Client: ourProvider}
}

// testCall returns a createPaymentOrder call.
func testCall(t testing.TB) Call {
	body := etree.NewElement("createPaymentOrder")
	body.CreateAttr("xmlns", "http://tunduk.kg/bank")
	body.CreateElement("amount").SetText("350000.00")
	return Call{Service: bank.Service("createPaymentOrder", "v1"), UserID: "KG12345678901234",
		Issue: "transfer-42", RepresentedParty: &RepresentedParty{Class: "COM", Code: "555"},
		Body: body}
}

// TestClientRoundTrip calls a Handler and checks the request it sends and
// the response it returns, with attachments both ways.
func TestClientRoundTrip(t *testing.T) {
	var seen *Request
	var sent http.Header
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		seen = req
		var back []*Attachment
		for _, a := range req.Attachments {
			b, err := a.Bytes()
			if err != nil {
				return nil, err
			}
			back = append(back, NewAttachment("back-"+a.ContentID, a.ContentType,
				bytes.ToUpper(b)))
		}
		return &Response{Body: NewResponseElement(req), Attachments: back}, nil
	})
	h := &Handler{Service: svc, Provider: bank}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = r.Header.Clone()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	for _, n := range []int{0, 2} {
		call := testCall(t)
		for i := 0; i < n; i++ {
			call.Attachments = append(call.Attachments,
				NewAttachment("p"+string(rune('0'+i)), "text/plain", []byte("photo")))
		}
		resp, err := testClient(srv.URL).Do(context.Background(), call)
		if err != nil {
			t.Fatalf("%d attachments: %v", n, err)
		}
		defer resp.Close()

		if got := sent.Get("SOAPAction"); got != `""` {
			t.Errorf("got SOAPAction %q, want \"\"", got)
		}
		hd := seen.Header
		uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
		if !uuidRE.MatchString(hd.ID) {
			t.Errorf("got id %q, want a random UUID", hd.ID)
		}
		if hd.Client != ourProvider || hd.Service != call.Service || hd.ProtocolVersion != "4.0" ||
			hd.UserID != call.UserID || hd.Issue != call.Issue ||
			*hd.RepresentedParty != *call.RepresentedParty {
			t.Errorf("got header %+v", hd)
		}
		if resp.Body.Tag != "createPaymentOrderResponse" || resp.Header.ID != hd.ID {
			t.Errorf("got response %s id %s", resp.Body.Tag, resp.Header.ID)
		}
		if len(resp.Attachments) != n {
			t.Fatalf("got %d attachments back, want %d", len(resp.Attachments), n)
		}
		for i, a := range resp.Attachments {
			b, err := a.Bytes()
			if err != nil || string(b) != "PHOTO" || a.ContentID != "back-p"+string(rune('0'+i)) {
				t.Errorf("attachment %d: got %q %q %v", i, a.ContentID, b, err)
			}
		}
	}
}

// TestClientFault checks that a SOAP fault becomes a *Fault error carrying
// code, string and the echoed header.
func TestClientFault(t *testing.T) {
	svc := ServiceFunc(func(context.Context, *Request) (*Response, error) {
		return nil, &Fault{Code: CodeAccessDenied, String: "not your order", Actor: "bank"}
	})
	srv := httptest.NewServer(&Handler{Service: svc, Provider: bank})
	defer srv.Close()

	_, err := testClient(srv.URL).Do(context.Background(), testCall(t))
	f := AsFault(err)
	if f == nil {
		t.Fatalf("got %v, want a *Fault", err)
	}
	if f.Code != CodeAccessDenied || f.String != "not your order" || f.Actor != "bank" {
		t.Errorf("got fault %+v", f)
	}
	if f.Header == nil || f.Header.Service.ServiceCode != "createPaymentOrder" {
		t.Errorf("got fault header %+v, want the echoed one", f.Header)
	}
}

// tamperingServer answers every request with its own header changed by
// tamper and a body named name.
func tamperingServer(tamper func(hdr *etree.Element), name string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := etree.NewDocument()
		if _, err := doc.ReadFrom(r.Body); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		hdr := doc.FindElement("/Envelope/Header")
		tamper(hdr)
		body := doc.FindElement("/Envelope/Body")
		for _, c := range body.ChildElements() {
			body.RemoveChild(c)
		}
		body.CreateElement(name)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = doc.WriteTo(w)
	}))
}

// TestClientRefusesBadEcho checks that a response whose header differs
// from the request's in any compared field is refused.
func TestClientRefusesBadEcho(t *testing.T) {
	set := func(path, value string) func(*etree.Element) {
		return func(h *etree.Element) { h.FindElement(path).SetText(value) }
	}
	drop := func(path string) func(*etree.Element) {
		return func(h *etree.Element) { h.RemoveChild(h.FindElement(path)) }
	}
	tests := []struct {
		name   string
		tamper func(*etree.Element)
		body   string
		want   error
	}{
		{"intact", func(*etree.Element) {}, "createPaymentOrderResponse", nil},
		{"unknown element added", func(h *etree.Element) { h.CreateElement("x:extra").CreateAttr("xmlns:x", "urn:x") },
			"createPaymentOrderResponse", nil},
		{"id changed", set("id", "other"), "createPaymentOrderResponse", ErrHeaderMismatch},
		{"userId dropped", drop("userId"), "createPaymentOrderResponse", ErrHeaderMismatch},
		{"issue changed", set("issue", "x"), "createPaymentOrderResponse", ErrHeaderMismatch},
		{"client changed", set("client/memberCode", "1"), "createPaymentOrderResponse", ErrHeaderMismatch},
		{"service version changed", set("service/serviceVersion", "v2"), "createPaymentOrderResponse",
			ErrHeaderMismatch},
		{"party dropped", drop("representedParty"), "createPaymentOrderResponse", ErrHeaderMismatch},
		{"header missing", func(h *etree.Element) { h.Parent().RemoveChild(h) },
			"createPaymentOrderResponse", ErrInvalidResponse},
		{"wrong body", func(*etree.Element) {}, "createPaymentOrder", ErrInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tamperingServer(tt.tamper, tt.body)
			defer srv.Close()
			resp, err := testClient(srv.URL).Do(context.Background(), testCall(t))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil {
				_ = resp.Close()
			}
		})
	}
}

// TestClientBadTransport checks statuses and content types that are not
// SOAP.
func TestClientBadTransport(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
	}{
		{"not found", 404, "text/html", "<html>no</html>"},
		{"html 200", 200, "text/html", "<html>no</html>"},
		{"broken xml", 200, "text/xml", "<SOAP-ENV:Envelope"},
		{"empty 500", 500, "text/xml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := testClient(srv.URL).Do(context.Background(), testCall(t))
			if !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("got %v, want ErrInvalidResponse", err)
			}
		})
	}
}

// TestClientCancel checks that the context cancels a call in flight.
func TestClientCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := testClient(srv.URL).Do(ctx, testCall(t))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
}

// TestFaultClassification checks the security server codes in both
// spellings.
func TestFaultClassification(t *testing.T) {
	tests := []struct {
		code   string
		failed bool
		origin Origin
	}{
		{"Server.ServerProxy.ServiceFailed.InternalError", true, OriginService},
		{"Server.ServerProxy.ServiceFailed", true, OriginService},
		{"server.server_proxy.service_failed.internal_error", true, OriginService},
		{"SOAP-ENV:Server.ServerProxy.ServiceFailed.HttpError", true, OriginService},
		{"Server.ClientProxy.NetworkError", false, OriginClientProxy},
		{"server.client_proxy.network_error", false, OriginClientProxy},
		{"Server.ServerProxy.AccessDenied", false, OriginServerProxy},
		{"server.server_proxy.access_denied", false, OriginServerProxy},
		{"Client.BadRequest", false, OriginService},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := error(&Fault{Code: tt.code})
			if got := IsServiceFailed(err); got != tt.failed {
				t.Errorf("IsServiceFailed: got %v, want %v", got, tt.failed)
			}
			if got := FaultOrigin(err); got != tt.origin {
				t.Errorf("FaultOrigin: got %v, want %v", got, tt.origin)
			}
		})
	}
	if IsServiceFailed(errors.New("x")) || FaultOrigin(errors.New("x")) != OriginUnknown {
		t.Errorf("a plain error is classified as a fault")
	}
	if !strings.Contains((&Fault{Code: "C", String: "s"}).Error(), "C: s") {
		t.Errorf("Fault.Error lacks code and string")
	}
}
