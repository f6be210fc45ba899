package bankclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
)

func mustID(t *testing.T, path string) soap.Identifier {
	t.Helper()
	id, err := soap.ParseSubsystem(path)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDirectorySharesOneClient checks that every bank calls through the
// one soap.Client it was given, and so through one pooled HTTP client.
func TestDirectorySharesOneClient(t *testing.T) {
	client := &soap.Client{URL: "http://127.0.0.1:9/xroad",
		Client: mustID(t, "central-server/GOV/70000005/vehicle-reregistration")}
	d, err := NewDirectory(client, []Bank{
		{Code: "PILOT", Service: mustID(t, "central-server/COM/60000001/payments"), Enabled: true},
		{Code: "OTHER", Service: mustID(t, "central-server/COM/60000002/payments"), Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"PILOT", "OTHER"} {
		b, ok := d.Bank(code)
		if !ok || b.(*Bank).client != client {
			t.Errorf("bank %s: got client %p, want the shared %p", code, b.(*Bank).client, client)
		}
	}
}

// TestSecurityServerFaults answers a payment order with the faults a
// security server sends, in the spelling before X-Road 7.8 and in the
// lowercase dotted one after, and checks that the error bankclient returns
// still carries the fault, classified by who raised it.
func TestSecurityServerFaults(t *testing.T) {
	tests := []struct {
		code          string
		origin        soap.Origin
		serviceFailed bool
	}{
		{"Server.ClientProxy.NetworkError", soap.OriginClientProxy, false},
		{"server.client_proxy.network_error", soap.OriginClientProxy, false},
		{"Server.ServerProxy.ServiceFailed.InternalError", soap.OriginService, true},
		{"server.server_proxy.service_failed.internal_error", soap.OriginService, true},
		{"Server.ServerProxy.AccessDenied", soap.OriginServerProxy, false},
		{"server.server_proxy.access_denied", soap.OriginServerProxy, false},
		{"SOAP-ENV:Server.ServerProxy.UnknownService", soap.OriginServerProxy, false},
		{"Client.BadRequest", soap.OriginService, false},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprintf(w, `<SOAP-ENV:Envelope `+
					`xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>`+
					`<SOAP-ENV:Fault><faultcode>%s</faultcode><faultstring>it failed</faultstring>`+
					`</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`, tc.code)
			}))
			defer srv.Close()
			client := &soap.Client{URL: srv.URL,
				Client: mustID(t, "central-server/GOV/70000005/vehicle-reregistration")}
			d, err := NewDirectory(client, []Bank{{Code: "PILOT",
				Service: mustID(t, "central-server/COM/60000001/payments"), Enabled: true}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := d.Bank("PILOT")
			_, err = b.CreatePaymentOrder(context.Background(), adapter.PaymentOrder{
				ID: "order-1", TransferID: "t-1", PayerPIN: "21506198012345", Amount: 100})
			// The namespace prefix of a qualified code is dropped.
			want := strings.TrimPrefix(tc.code, "SOAP-ENV:")
			var f *soap.Fault
			if !errors.As(err, &f) || f.Code != want || f.String != "it failed" {
				t.Fatalf("got error %v, want one carrying the fault %s", err, want)
			}
			if errors.Is(err, ErrRefused) {
				t.Error("a fault is reported as the bank's refusal")
			}
			if got := soap.FaultOrigin(err); got != tc.origin {
				t.Errorf("got origin %d, want %d", got, tc.origin)
			}
			if got := soap.IsServiceFailed(err); got != tc.serviceFailed {
				t.Errorf("got IsServiceFailed %v, want %v", got, tc.serviceFailed)
			}
		})
	}
}
