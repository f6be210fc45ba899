package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// pki is a throwaway CA with a server and a client certificate, written to
// PEM files in a temporary folder.
type pki struct {
	caFile, certFile, keyFile, clientCert, clientKey string
	client                                           tls.Certificate
	pool                                             *x509.CertPool
}

func newPKI(tb testing.TB) *pki {
	tb.Helper()
	dir := tb.TempDir()
	key := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 1024) // small: the test is about plumbing, and quick
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test security server CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *rsa.PrivateKey) {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			tb.Fatal(err)
		}
		return der, k
	}
	p := &pki{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = write("ca.pem", "CERTIFICATE", caDER)
	srvDER, srvKey := issue(2, "adapter", x509.ExtKeyUsageServerAuth)
	p.certFile = write("adapter.pem", "CERTIFICATE", srvDER)
	p.keyFile = write("adapter.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(srvKey))
	cliDER, cliKey := issue(3, "security server", x509.ExtKeyUsageClientAuth)
	p.clientCert = write("client.pem", "CERTIFICATE", cliDER)
	p.clientKey = write("client.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(cliKey))
	p.client, err = tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// running is an adapter served on a loopback port.
type running struct {
	url  string // base URL
	app  *app
	logs *syncBuffer
	demo registry.Demo
	stop context.CancelFunc
	done chan error
}

// startAdapter serves the sample configuration, changed by flags, on a
// fresh seeded database.
func startAdapter(t *testing.T, flags map[string]string, wrap func(http.Handler) http.Handler) *running {
	t.Helper()
	dbURL := registrytest.URL(t)
	ctx := context.Background()
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := registry.SeedDemo(ctx, db, 1)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	flags["database-url"] = dbURL
	flags["shutdown-timeout"] = "5s"
	c, err := loadConfigFrom(sampleConfig, nil, flags)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := newLogger(false)
	log.Out = logs
	log.SetLevel(logrus.InfoLevel)
	a, err := newApp(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		a.handler = wrap(a.handler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	if a.tls != nil {
		scheme = "https"
	}
	runCtx, stop := context.WithCancel(ctx)
	r := &running{url: scheme + "://" + ln.Addr().String(), app: a, logs: logs, demo: demo,
		stop: stop, done: make(chan error, 1)}
	go func() { r.done <- a.serve(runCtx, ln) }()
	t.Cleanup(func() {
		stop()
		if r.done != nil {
			<-r.done
		}
	})
	return r
}

func TestTLSRequiresClientCertificate(t *testing.T) {
	p := newPKI(t)
	r := startAdapter(t, map[string]string{
		"tls-cert-file": p.certFile, "tls-key-file": p.keyFile, "tls-client-ca-file": p.caFile,
	}, nil)
	tests := []struct {
		name    string
		certs   []tls.Certificate
		wantErr bool
	}{
		{"with a client certificate", []tls.Certificate{p.client}, false},
		{"without one", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: p.pool, Certificates: tt.certs,
			}}}
			resp, err := hc.Get(r.url + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && resp.StatusCode != http.StatusOK {
				t.Errorf("got status %d, want 200", resp.StatusCode)
			}
		})
	}
}

func TestOutboundTLSToSecurityServer(t *testing.T) {
	p := newPKI(t)
	var gotClient string
	ss := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) > 0 {
			gotClient = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	srvCert, err := tls.LoadX509KeyPair(p.certFile, p.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ss.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: p.pool,
		ClientAuth: tls.RequireAndVerifyClientCert}
	ss.StartTLS()
	defer ss.Close()

	c, err := loadConfigFrom(sampleConfig, nil, map[string]string{
		"security-server-url": ss.URL, "security-server-tls-ca-file": p.caFile,
		"security-server-tls-cert-file": p.clientCert, "security-server-tls-key-file": p.clientKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.wireEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &soap.Client{URL: ss.URL, Client: w.provider, HTTP: w.outbound}
	body, _ := soap.Marshal(&vehicle.CheckVehicle{Vin: "X"})
	_, err = client.Do(context.Background(), soap.Call{Service: w.provider.Service("x", "v1"), Body: body})
	// The handshake passed when the server saw our certificate; its 418
	// then fails the call as an invalid response.
	if gotClient != "security server" {
		t.Errorf("got client certificate %q, want %q (call error: %v)", gotClient, "security server", err)
	}
	if err == nil || !strings.Contains(err.Error(), "418") {
		t.Errorf("got %v, want the server's status 418", err)
	}
}

func TestProbesMetricsAndRequestLog(t *testing.T) {
	r := startAdapter(t, map[string]string{}, nil)
	portal, _ := soap.ParseSubsystem("central-server/GOV/70000001/tunduk-portal")
	client := &soap.Client{URL: r.url + "/xroad", Client: portal, NewID: func() string { return "msg-42" }}
	body, _ := soap.Marshal(&vehicle.CheckVehicle{Vin: r.demo.Vehicle.VIN})
	_, err := client.Do(context.Background(), soap.Call{
		Service: r.app.provider.Service("checkVehicle", "v1"), Body: body,
		UserID: "KG" + string(r.demo.Owner.PIN),
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ path, want string }{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", `tunduk_adapter_requests_total{result="OK",service="checkVehicle"} 1`},
		{"/metrics", `tunduk_adapter_transfers{state="COMPLETED"} 0`},
		{"/metrics", `tunduk_adapter_outbox_pending_orders 0`},
		{"/metrics", `tunduk_adapter_outbox_flagged_orders 0`},
		{"/metrics", `tunduk_adapter_db_up 1`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(r.url + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), tt.want) {
				t.Errorf("got %d %.300s, want 200 with %q", resp.StatusCode, b, tt.want)
			}
		})
	}

	var line map[string]any
	for _, l := range strings.Split(r.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"messageId": "msg-42", "service": "checkVehicle", "result": "OK",
		"client": portal.String()}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("got %s=%v in the request line, want %v", k, line[k], v)
		}
	}
	if _, ok := line["durationMs"].(float64); !ok {
		t.Errorf("got request line %v, want durationMs", line)
	}
	if strings.Contains(r.logs.String(), string(r.demo.Owner.PIN)) {
		t.Errorf("got the owner's PIN in the logs, want it masked")
	}
}

func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	started := make(chan struct{})
	r := startAdapter(t, map[string]string{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == "/slow" {
				close(started)
				time.Sleep(300 * time.Millisecond)
				io.WriteString(w, "finished")
				return
			}
			next.ServeHTTP(w, req)
		})
	})
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(r.url + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	r.stop()
	if body := <-got; body != "finished" {
		t.Errorf("got %q, want the request in flight to finish", body)
	}
	err := <-r.done
	r.done = nil
	if err != nil {
		t.Errorf("got serve error %v, want a clean stop", err)
	}
	if resp, err := http.Get(r.url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("got an answer after shutdown, want the listener closed")
	}
	if !strings.Contains(r.logs.String(), `"msg":"stopped"`) {
		t.Errorf("got logs %s, want a stopped line", r.logs.String())
	}
}
