package main

// The harness of the payment proofs: the adapter (cmd/tunduk-adapter) and
// banksim run as processes of their own, built once by TestMain, on
// loopback ports and a registry database made for the test. A sale is
// brought to inspection in-process through adapter.Service on the same
// database; from the inspector's approval on, everything goes over X-Road
// SOAP between the two processes.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Identifiers of the test installation.
const (
	subsystem  = "central-server/GOV/70000005/vehicle-reregistration"
	inspection = "central-server/GOV/70000005/inspection"
	bankSvc    = "central-server/COM/60000001/payments"
	bankCode   = "PILOT"
)

// bins holds the binaries TestMain builds.
var bins struct{ adapter, banksim string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "payproof")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.adapter = filepath.Join(dir, "tunduk-adapter")
	bins.banksim = filepath.Join(dir, "banksim")
	for bin, pkg := range map[string]string{bins.adapter: "../tunduk-adapter", bins.banksim: "."} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a process's output for assertions.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running child process.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

// start runs bin with args and env and waits until url answers a GET. The
// process is interrupted, or killed, when tb ends.
func start(tb testing.TB, name, bin, url string, env []string, args ...string) *proc {
	tb.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	tb.Cleanup(func() {
		if p.stop() != nil && tb.Failed() {
			tb.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-p.done:
			p.done <- err
			tb.Fatalf("%s exited at start (%v):\n%s", name, err, p.out.String())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not answer on %s:\n%s", name, url, p.out.String())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// stop interrupts the process and waits for it, killing it after a grace
// period; it returns the exit error, nil when it was already reaped.
func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
		return err
	}
}

// bySIGKILL reports whether a process's exit error says SIGKILL ended it.
func bySIGKILL(err error) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// rig is one installation under test: a registry, banksim and the adapter.
type rig struct {
	tb        testing.TB
	dbURL     string
	db        *sql.DB
	reg       *registry.DB
	domain    *adapter.Service // in-process, for the steps before approval
	adapterAt string
	bankAt    string
	config    string
	adapter   *proc
	bank      *proc
}

// newRig makes a database of its own with the demo registry.
func newRig(tb testing.TB) *rig {
	tb.Helper()
	r := &rig{tb: tb, dbURL: registrytest.URL(tb)}
	ctx := context.Background()
	var err error
	if r.reg, err = registry.Open(ctx, r.dbURL); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.reg.Close() })
	if _, err := registry.SeedDemo(ctx, r.reg, 1); err != nil {
		tb.Fatal(err)
	}
	r.db = r.reg.SQL()
	r.adapterAt, r.bankAt = freeAddr(tb), freeAddr(tb)

	// The in-process service only brings sales to inspection, but it
	// checks the buyer's bank against a real directory: banksim's.
	adapterID, _ := soap.ParseSubsystem(subsystem)
	bankID, _ := soap.ParseSubsystem(bankSvc)
	banks, err := bankclient.NewDirectory(
		&soap.Client{URL: "http://" + r.bankAt + "/xroad", Client: adapterID},
		[]bankclient.Bank{{Code: bankCode, Name: "Pilot Bank", Service: bankID, Enabled: true}})
	if err != nil {
		tb.Fatal(err)
	}
	r.domain = adapter.New(r.reg, banks, adapter.Config{})
	return r
}

// writeConfig writes the adapter's configuration with fast payment
// settings: calls time out after a second and are retried within a few,
// and orders without news for a second are polled.
func (r *rig) writeConfig() {
	r.tb.Helper()
	r.config = filepath.Join(r.tb.TempDir(), "adapter.toml")
	c := fmt.Sprintf(`listen = %q
public_url = "http://%s/xroad"
database_url = %q
security_server_url = "http://%s/xroad"
subsystem = %q

[fees]
state = "1200.00"
service = "150.00"

[payments]
lease = "3s"
call_timeout = "1s"
backoff_base = "100ms"
backoff_max = "1s"
max_attempts = 30
stale_after = "1s"
poll_interval = "200ms"

[[channel]]
name = "MVD remote inspection"
client = %q
role = "inspection"

[[bank]]
code = %q
name = "Pilot Bank"
service = %q
client = %q
enabled = true
`, r.adapterAt, r.adapterAt, r.dbURL, r.bankAt, subsystem, inspection, bankCode, bankSvc, bankSvc)
	if err := os.WriteFile(r.config, []byte(c), 0o600); err != nil {
		r.tb.Fatal(err)
	}
}

// startAdapter runs `tunduk-adapter serve`; crashAt, when set, is the
// value of TUNDUK_ADAPTER_CRASH_AT.
func (r *rig) startAdapter(crashAt string) *proc {
	r.tb.Helper()
	env := []string{}
	if crashAt != "" {
		env = append(env, "TUNDUK_ADAPTER_CRASH_AT="+crashAt)
	}
	r.adapter = r.serve("adapter", r.adapterAt, env)
	return r.adapter
}

// serve runs a `tunduk-adapter serve` process named name on the address
// at, with the rig's configuration, env added to its environment and
// flags overriding settings of the configuration.
func (r *rig) serve(name, at string, env []string, flags ...string) *proc {
	r.tb.Helper()
	if r.config == "" {
		r.writeConfig()
	}
	env = append([]string{"DATABASE_URL=" + r.dbURL}, env...)
	args := append([]string{"serve", "-config", r.config, "-text-log",
		"-listen", at, "-public-url", "http://" + at + "/xroad"}, flags...)
	return start(r.tb, name, bins.adapter, "http://"+at+"/healthz", env, args...)
}

// startBank runs banksim with the fault flags given.
func (r *rig) startBank(flags ...string) *proc {
	r.tb.Helper()
	args := append([]string{"-listen", r.bankAt, "-adapter-url", "http://" + r.adapterAt + "/xroad",
		"-adapter-service", subsystem, "-service", bankSvc, "-client", bankSvc,
		"-pay-after", "100ms"}, flags...)
	r.bank = start(r.tb, "banksim", bins.banksim, "http://"+r.bankAt+"/orders", nil, args...)
	return r.bank
}

// sale picks a vehicle that is free to sell and brings its transfer to
// inspection in-process; it returns the transfer and the vehicle's VIN.
func (r *rig) sale(ctx context.Context) (id, vin string) {
	r.tb.Helper()
	var seller, cert, buyer string
	err := r.db.QueryRowContext(ctx, `
		SELECT v.vin, g.owner_pin, g.certificate_number,
			(SELECT p.pin FROM persons p WHERE p.pin <> g.owner_pin AND p.birth_date < now() - interval '20 years'
				ORDER BY random() LIMIT 1)
		FROM vehicles v JOIN registrations g ON g.vehicle_id = v.id AND g.until IS NULL
		WHERE v.vin IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM restrictions x WHERE x.vehicle_id = v.id AND x.lifted_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.vehicle_id = v.id AND t.state IN
				('AWAITING_BUYER', 'AWAITING_PHOTOS', 'AWAITING_INSPECTION', 'AWAITING_PAYMENT'))
		ORDER BY random() LIMIT 1`).Scan(&vin, &seller, &cert, &buyer)
	if err != nil {
		r.tb.Fatalf("pick a vehicle to sell: %v", err)
	}
	as := func(pin string) adapter.Caller {
		return adapter.Caller{Client: "test", Role: adapter.RoleCitizen, UserID: "KG" + pin}
	}
	t, err := r.domain.InitiateTransfer(ctx, as(seller), adapter.InitiateRequest{
		VIN: vin, CertificateNumber: cert, SellerPIN: seller, BuyerPIN: buyer, Price: "1000.00",
		SellerAccount: adapter.Account{BankCode: bankCode, Number: "1030120000123456"},
	})
	if err != nil {
		r.tb.Fatalf("initiate: %v", err)
	}
	if _, err := r.domain.AcceptTransfer(ctx, as(buyer), t.ID, bankCode); err != nil {
		r.tb.Fatalf("accept: %v", err)
	}
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{0}, 64)...)
	_, _, err = r.domain.UploadVINPhotos(ctx, as(seller), t.ID, []adapter.PhotoUpload{
		{Kind: adapter.PhotoVINPlate, ContentType: "image/jpeg", Content: jpeg},
	})
	if err != nil {
		r.tb.Fatalf("upload photos: %v", err)
	}
	return t.ID, vin
}

// approve sends submitInspection APPROVE to the adapter process, as the
// inspection subsystem. It returns the transport error, if any: an
// adapter that dies at the approval point never answers.
func (r *rig) approve(ctx context.Context, id, vin string) error {
	r.tb.Helper()
	code, err := approveAt(ctx, r.adapterAt, id, vin)
	if err != nil {
		return err
	}
	if code != "OK" {
		r.tb.Fatalf("submitInspection %s: got result %q, want OK", id, code)
	}
	return nil
}

// approveAt sends submitInspection APPROVE to the adapter process
// listening on at and returns the result code it answered. It touches no
// testing.TB, so that goroutines may call it.
func approveAt(ctx context.Context, at, id, vin string) (string, error) {
	body, err := soap.Marshal(&vehicle.SubmitInspection{
		TransferId: id, InspectorId: "MVD-0042", Decision: "APPROVE", ObservedVin: vin,
	})
	if err != nil {
		return "", err
	}
	client, _ := soap.ParseSubsystem(inspection)
	provider, _ := soap.ParseSubsystem(subsystem)
	c := &soap.Client{URL: "http://" + at + "/xroad", Client: client}
	resp, err := c.Do(ctx, soap.Call{Service: provider.Service("submitInspection", "v1"), Body: body})
	if err != nil {
		return "", err
	}
	defer resp.Close()
	var out vehicle.SubmitInspectionResponse
	if err := soap.Unmarshal(resp.Body, &out); err != nil {
		return "", fmt.Errorf("submitInspection %s: %w", id, err)
	}
	if out.Result == nil {
		return "", fmt.Errorf("submitInspection %s: no result", id)
	}
	return out.Result.Code, nil
}

// bankOrder is an order as banksim lists it.
type bankOrder struct {
	OrderID    string   `json:"orderId"`
	TransferID string   `json:"transferId"`
	Status     string   `json:"status"`
	Refunds    []string `json:"refunds"`
	Callbacks  int      `json:"callbacks"`
	Creates    int      `json:"creates"`
}

// bankList reads banksim's listing of every order it holds.
func (r *rig) bankList() []bankOrder {
	r.tb.Helper()
	resp, err := http.Get("http://" + r.bankAt + "/orders")
	if err != nil {
		r.tb.Fatalf("banksim listing: %v", err)
	}
	defer resp.Body.Close()
	var list []bankOrder
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		r.tb.Fatalf("banksim listing: %v", err)
	}
	return list
}

// bankOrders reads banksim's listing, by transfer id.
func (r *rig) bankOrders() map[string]bankOrder {
	r.tb.Helper()
	list := r.bankList()
	m := make(map[string]bankOrder, len(list))
	for _, o := range list {
		m[o.TransferID] = o
	}
	return m
}

// pay has banksim's buyer pay the transfer's order now.
func (r *rig) pay(orderID string) error {
	resp, err := http.Post("http://"+r.bankAt+"/orders/"+orderID+"/pay", "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pay %s: HTTP %d", orderID, resp.StatusCode)
	}
	return nil
}

// ours is a transfer with its order as the registry holds them.
type ours struct {
	state, order, status, call, attention string
	registrations                         int
}

// lookup reads the transfers ids from the registry.
func (r *rig) lookup(ids []string) map[string]ours {
	r.tb.Helper()
	m := map[string]ours{}
	for _, id := range ids {
		var o ours
		err := r.db.QueryRow(`SELECT t.state, COALESCE(p.id, ''), COALESCE(p.status, ''),
				COALESCE(p.pending_call, ''), COALESCE(p.attention, ''),
				(SELECT count(*) FROM registrations g WHERE g.transfer_id = t.id)
			FROM transfers t LEFT JOIN payment_orders p ON p.transfer_id = t.id
			WHERE t.id = $1`, id).Scan(&o.state, &o.order, &o.status, &o.call, &o.attention,
			&o.registrations)
		if err != nil {
			r.tb.Fatalf("transfer %s: %v", id, err)
		}
		m[id] = o
	}
	return m
}

// settled reports whether a transfer has come to rest: an end state, no
// call owed, and no order that can still be paid.
func settled(o ours) bool {
	switch {
	case o.attention != "":
		return true // an operator's now
	case o.call != "":
		return false
	case o.state == string(adapter.AwaitingPayment) || o.state == string(adapter.AwaitingInspection):
		return false
	}
	return o.status != string(adapter.OrderNew) && o.status != string(adapter.OrderSent)
}

// settle waits until every transfer in ids has come to rest.
func (r *rig) settle(ids []string, within time.Duration) map[string]ours {
	r.tb.Helper()
	deadline := time.Now().Add(within)
	for {
		m := r.lookup(ids)
		var busy []string
		for id, o := range m {
			if !settled(o) {
				busy = append(busy, fmt.Sprintf("%s %+v", id, o))
			}
		}
		if len(busy) == 0 {
			return m
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("not settled after %v:\n%s", within, strings.Join(busy, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkInvariants asserts the money rules over the transfers ids, once
// settled: every completed transfer has exactly one paid order, which the
// bank holds as paid and never refunded, and one new registration; no
// order is left paid without a completed transfer; every payment the bank
// took for a transfer that did not complete was refunded, exactly once.
func (r *rig) checkInvariants(ids []string, m map[string]ours) {
	r.tb.Helper()
	bank := r.bankOrders()
	for _, id := range ids {
		o, b := m[id], bank[id]
		var paid int
		if err := r.db.QueryRow(`SELECT count(*) FROM payment_orders
			WHERE transfer_id = $1 AND status = 'PAID'`, id).Scan(&paid); err != nil {
			r.tb.Fatal(err)
		}
		if o.state == string(adapter.Completed) {
			if paid != 1 || b.Status != "PAID" || len(b.Refunds) != 0 || o.registrations != 1 {
				r.tb.Errorf("completed %s: got %d paid orders, bank %s with %d refunds, %d registrations;"+
					" want 1, PAID, 0, 1", id, paid, b.Status, len(b.Refunds), o.registrations)
			}
			continue
		}
		if paid != 0 || o.registrations != 0 {
			r.tb.Errorf("%s %s: got %d paid orders and %d registrations, want none",
				id, o.state, paid, o.registrations)
		}
		if b.Status == "PAID" || len(b.Refunds) > 1 {
			r.tb.Errorf("%s %s: the bank holds its order as %s with %d refunds, want no payment kept"+
				" and at most one refund", id, o.state, b.Status, len(b.Refunds))
		}
		if (b.Status == "REFUNDED") != (o.status == string(adapter.OrderRefunded)) {
			r.tb.Errorf("%s: the bank holds the order as %s, we as %s; want both refunded or neither",
				id, b.Status, o.status)
		}
	}
}
