package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// seededRegistry returns the URL of a fresh, migrated database holding the
// demo registry of seed 1, and what SeedDemo says about it. The database
// is dropped when t ends.
func seededRegistry(t *testing.T) (string, registry.Demo, *registry.DB) {
	t.Helper()
	dbURL := registrytest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	// Registered after registrytest's drop, so it runs before it.
	t.Cleanup(func() { db.Close() })
	demo, err := registry.SeedDemo(ctx, db, 1)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	return dbURL, demo, db
}

// stack is the adapter and banksim running as processes on loopback.
type stack struct {
	adapterURL string // the adapter's /xroad
	bankURL    string // banksim's base URL
	w          *wiring
}

// startStack starts banksim (paying after payAfter) and tunduk-adapter
// serve on the registry at dbURL, and waits until both answer.
func startStack(t *testing.T, dbURL, payAfter string) *stack {
	t.Helper()
	adapterAddr, bankAddr := freeAddr(t), freeAddr(t)
	s := &stack{adapterURL: "http://" + adapterAddr + "/xroad", bankURL: "http://" + bankAddr}
	path := writeConfig(t, settings{
		listen: adapterAddr, publicURL: s.adapterURL, databaseURL: dbURL,
		securityServerURL: s.bankURL + "/xroad",
	})
	c, err := loadConfig(path)
	if err != nil {
		t.Fatalf("load configuration: %v", err)
	}
	if s.w, err = c.wire(); err != nil {
		t.Fatalf("configuration: %v", err)
	}

	b := c.Banks[0]
	start(t, dbURL, "banksim", "-listen", bankAddr, "-adapter-url", s.adapterURL,
		"-adapter-service", c.Subsystem, "-service", b.Service, "-client", b.Client,
		"-pay-after", payAfter)
	start(t, dbURL, "tunduk-adapter", "serve", "-config", path)
	waitReady(t, s.bankURL+"/orders")
	waitReady(t, "http://"+adapterAddr+"/healthz")
	return s
}

// bankOrder is an order as banksim's GET /orders shows it.
type bankOrder struct {
	OrderID       string `json:"orderId"`
	TransferID    string `json:"transferId"`
	PayerPIN      string `json:"payerPin"`
	Amount        string `json:"amount"`
	Status        string `json:"status"`
	Confirmed     bool   `json:"confirmed"`
	ConfirmResult string `json:"confirmResult"`
}

// bankOrders reads banksim's GET /orders.
func (s *stack) bankOrders(t *testing.T) []bankOrder {
	t.Helper()
	res, err := http.Get(s.bankURL + "/orders")
	if err != nil {
		t.Fatalf("GET /orders: %v", err)
	}
	defer res.Body.Close()
	var list []bankOrder
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatalf("GET /orders: %v", err)
	}
	return list
}

func TestTransferEndToEnd(t *testing.T) {
	dbURL, demo, db := seededRegistry(t)
	s := startStack(t, dbURL, "100ms")

	// The portal, the buyer's bank app and the inspection subsystem are the
	// channels of the sample configuration, as in the demo.
	citizens := s.w.channels.OfRole(adapter.RoleCitizen)
	inspectors := s.w.channels.OfRole(adapter.RoleInspector)
	var out bytes.Buffer
	sc := &scenario{
		url: s.adapterURL, service: s.w.provider,
		portal: citizens[0], bankApp: citizens[len(citizens)-1], inspection: inspectors[0],
		bankCode: s.w.banks[0].Code, vin: string(demo.Vehicle.VIN),
		certificate: demo.CertificateNumber,
		seller:      string(demo.Owner.PIN), buyer: string(demo.Buyer.PIN),
		price: "350000.00", account: "1030120000123456", out: &out, timeout: 20 * time.Second,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cert, err := sc.run(ctx)
	if err != nil {
		t.Fatalf("scenario: %v\n%s", err, out.String())
	}

	// The registry: one current registration, the buyer's, under the new
	// certificate; the seller's closed; the transfer completed.
	type registration struct {
		owner, certificate string
		current            bool
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT r.owner_pin, r.certificate_number,
			r.until IS NULL FROM registrations r JOIN vehicles v ON v.id = r.vehicle_id
		WHERE v.vin = $1 ORDER BY r.since, r.id`, string(demo.Vehicle.VIN))
	if err != nil {
		t.Fatalf("read registrations: %v", err)
	}
	defer rows.Close()
	var regs []registration
	for rows.Next() {
		var r registration
		if err := rows.Scan(&r.owner, &r.certificate, &r.current); err != nil {
			t.Fatalf("read registrations: %v", err)
		}
		regs = append(regs, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read registrations: %v", err)
	}
	want := []registration{
		{string(demo.Owner.PIN), demo.CertificateNumber, false},
		{string(demo.Buyer.PIN), cert, true},
	}
	if len(regs) != len(want) || regs[0] != want[0] || regs[1] != want[1] {
		t.Errorf("registrations: got %+v, want %+v", regs, want)
	}
	if cert == demo.CertificateNumber || !regexp.MustCompile(`^KG[0-9]{8}$`).MatchString(cert) {
		t.Errorf("certificate: got %q, want a new KG number other than %s",
			cert, demo.CertificateNumber)
	}

	var transferID, state, transferCert string
	err = db.SQL().QueryRowContext(ctx, `SELECT t.id, t.state, t.certificate_number
		FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id WHERE v.vin = $1`,
		string(demo.Vehicle.VIN)).Scan(&transferID, &state, &transferCert)
	if err != nil {
		t.Fatalf("read the transfer (want exactly one): %v", err)
	}
	if state != "COMPLETED" || transferCert != cert {
		t.Errorf("transfer: got %s with certificate %q, want COMPLETED with %s",
			state, transferCert, cert)
	}

	// The bank: one order for price plus fees, paid, and confirmed once the
	// adapter has answered, which may come just after the transfer shows
	// COMPLETED.
	deadline := time.Now().Add(10 * time.Second)
	var orders []bankOrder
	for {
		orders = s.bankOrders(t)
		if len(orders) != 1 || orders[0].Confirmed || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantOrder := bankOrder{
		OrderID: orders[0].OrderID, TransferID: transferID, PayerPIN: string(demo.Buyer.PIN),
		Amount: "351350.00", Status: "PAID", Confirmed: true, ConfirmResult: "OK",
	}
	if len(orders) != 1 || orders[0] != wantOrder || orders[0].OrderID == "" {
		t.Errorf("banksim orders: got %+v, want one %+v", orders, wantOrder)
	}

	// The sample for the new owner now finds the certificate.
	r := sendSample(t, s.adapterURL, "getRegistrationCertificate-buyer.xml")
	if r.code != "OK" || !strings.Contains(r.body, cert) {
		t.Errorf("getRegistrationCertificate-buyer.xml after the transfer: got %s, want OK with %s",
			r.code, cert)
	}
}

// demoDone is the demo's last line when the transfer completed.
var demoDone = regexp.MustCompile(
	`^Done: ([A-Z0-9]{17}) now belongs to (.+) under certificate (KG[0-9]{8})\.$`)

func TestDemoOnce(t *testing.T) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "vatest_demo_" + hex.EncodeToString(b[:])
	server := registrytest.ServerURL()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := registry.DropDatabase(ctx, server, name); err != nil {
			t.Errorf("drop the demo's database: %v", err)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin("tunduk-adapter"), "demo", "--once", "-db-name", name,
		"-config", sampleConfig, "-listen", "127.0.0.1:0", "-bank-listen", "127.0.0.1:0")
	cmd.Env = append(cmd.Environ(), "DATABASE_URL="+server)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo --once: got %v, want exit status 0\nstdout:\n%s\nstderr:\n%s",
			err, stdout.String(), stderr.String())
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	m := demoDone.FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line: got %q, want %q", last, demoDone)
	}

	// The certificate printed is the one the registry now holds.
	dbURL, err := registry.DatabaseURL(server, name)
	if err != nil {
		t.Fatal(err)
	}
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open the demo's database: %v", err)
	}
	defer db.Close()
	var current []string
	rows, err := db.SQL().QueryContext(ctx, `SELECT r.certificate_number FROM registrations r
		JOIN vehicles v ON v.id = r.vehicle_id WHERE v.vin = $1 AND r.until IS NULL`, m[1])
	if err != nil {
		t.Fatalf("read registrations: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		current = append(current, c)
	}
	if len(current) != 1 || current[0] != m[3] {
		t.Errorf("current certificates of %s: got %v, want [%s]", m[1], current, m[3])
	}
	if err := rows.Err(); err != nil {
		t.Errorf("read registrations: %v", err)
	}
}
