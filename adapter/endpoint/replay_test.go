package endpoint_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Replay tests: the adapter behind a real soap.Handler over HTTP, on a real
// registry, with clients that choose their message ids.

// rpWorld is a served adapter and what a test drives it with.
type rpWorld struct {
	db       *registry.DB
	demo     registry.Demo
	url      string
	provider soap.Identifier
	logs     *syncBuffer
}

// syncBuffer is a log sink safe for concurrent requests.
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

type rpBanks struct{}

func (rpBanks) Bank(code string) (adapter.Bank, bool) { return nil, code == "PILOT" }

const (
	rpPortal    = "central-server/GOV/70000001/tunduk-portal"
	rpMobileApp = "central-server/COM/60000001/mobile-app"
)

func rpNew(tb testing.TB) *rpWorld {
	tb.Helper()
	w := &rpWorld{db: registrytest.New(tb), logs: &syncBuffer{}}
	var err error
	if w.demo, err = registry.SeedDemo(context.Background(), w.db, 1); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	w.provider = mustID("central-server/GOV/70000005/vehicle-reregistration")
	channels, err := endpoint.NewChannels([]endpoint.Channel{
		{Name: "portal", Client: mustID(rpPortal), Role: adapter.RoleCitizen},
		{Name: "app", Client: mustID(rpMobileApp), Role: adapter.RoleCitizen},
	})
	if err != nil {
		tb.Fatalf("channels: %v", err)
	}
	log := logrus.New()
	log.Out = w.logs
	log.SetFormatter(&logrus.JSONFormatter{})
	ep := endpoint.New(adapter.New(w.db, rpBanks{}, adapter.Config{}), channels, log)
	ep.Journal = w.db
	srv := httptest.NewServer(&soap.Handler{Service: ep, Provider: w.provider})
	tb.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

// send posts body as message id from client, acting for userID, and
// returns the response body as bytes.
func (w *rpWorld) send(tb testing.TB, client, id, userID string, body any) ([]byte, error) {
	tb.Helper()
	el, err := soap.Marshal(body)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	c := &soap.Client{URL: w.url, Client: mustID(client), NewID: func() string { return id }}
	code := el.Tag
	resp, err := c.Do(context.Background(), soap.Call{
		Service: w.provider.Service(code, "v1"), UserID: userID, Body: el,
	})
	if err != nil {
		return nil, err
	}
	return encodeEl(tb, resp)
}

func encodeEl(tb testing.TB, resp *soap.Response) ([]byte, error) {
	tb.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(resp.Body.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatalf("encode response: %v", err)
	}
	return b, nil
}

func (w *rpWorld) initiation(price string) *vehicle.InitiateTransfer {
	return &vehicle.InitiateTransfer{
		Vin: w.demo.Vehicle.VIN, CertificateNumber: w.demo.CertificateNumber,
		SellerPin: string(w.demo.Owner.PIN), BuyerPin: string(w.demo.Buyer.PIN), Price: price,
		SellerAccount: &vehicle.BankAccount{BankCode: "PILOT", AccountNumber: "1234567890123456"},
	}
}

func resultCode(tb testing.TB, b []byte) string {
	tb.Helper()
	i := strings.Index(string(b), "<code>")
	j := strings.Index(string(b), "</code>")
	if i < 0 || j < i {
		tb.Fatalf("no result code in %s", b)
	}
	return string(b[i+len("<code>") : j])
}

func (w *rpWorld) count(tb testing.TB, query string) int {
	tb.Helper()
	var n int
	if err := w.db.SQL().QueryRow(query).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestReplays(t *testing.T) {
	w := rpNew(t)
	seller := "KG" + string(w.demo.Owner.PIN)
	buyer := "KG" + string(w.demo.Buyer.PIN)

	// Eight copies of one message at once, then two more later: one
	// transfer, one event, the same reply to all.
	const id = "6f1c2a8e-0000-4000-8000-000000000001"
	replies := make([][]byte, 10)
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i], errs[i] = w.send(t, rpPortal, id, seller, w.initiation("350000.00"))
		}()
	}
	wg.Wait()
	for i := 8; i < 10; i++ {
		replies[i], errs[i] = w.send(t, rpPortal, id, seller, w.initiation("350000.00"))
	}
	for i := range replies {
		if errs[i] != nil {
			t.Fatalf("copy %d: %v", i, errs[i])
		}
		if !bytes.Equal(replies[i], replies[0]) {
			t.Errorf("copy %d: got reply %s, want %s", i, replies[i], replies[0])
		}
	}
	if got := resultCode(t, replies[0]); got != "OK" {
		t.Errorf("first reply: got code %s, want OK", got)
	}
	if got := w.count(t, `SELECT count(*) FROM transfers`); got != 1 {
		t.Errorf("got %d transfers, want 1", got)
	}
	if got := w.count(t, `SELECT count(*) FROM transfer_events`); got != 1 {
		t.Errorf("got %d events, want 1", got)
	}

	t.Run("same id with another body is a fault", func(t *testing.T) {
		_, err := w.send(t, rpPortal, id, seller, w.initiation("1.00"))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeBadRequest {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeBadRequest)
		}
		if got := w.count(t, `SELECT count(*) FROM transfers`); got != 1 {
			t.Errorf("got %d transfers, want 1", got)
		}
	})

	t.Run("same id for another user is a fault", func(t *testing.T) {
		_, err := w.send(t, rpPortal, id, buyer, w.initiation("350000.00"))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeBadRequest {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeBadRequest)
		}
	})

	t.Run("same id from another client is its own message", func(t *testing.T) {
		b, err := w.send(t, rpMobileApp, id, seller, w.initiation("350000.00"))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		if got := resultCode(t, b); got != string(adapter.TransferExists) {
			t.Errorf("got code %s, want TRANSFER_EXISTS", got)
		}
	})

	t.Run("a refusal is replayed too", func(t *testing.T) {
		tid := replyTransferID(t, replies[0])
		accept := &vehicle.AcceptTransfer{TransferId: tid, BuyerBankCode: "PILOT"}
		const aid = "6f1c2a8e-0000-4000-8000-000000000002"
		first, err := w.send(t, rpPortal, aid, seller, accept) // the seller is not the buyer
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		again, err := w.send(t, rpPortal, aid, seller, accept)
		if err != nil {
			t.Fatalf("send again: %v", err)
		}
		if got := resultCode(t, first); got != string(adapter.NotBuyer) {
			t.Errorf("got code %s, want NOT_BUYER", got)
		}
		if !bytes.Equal(first, again) {
			t.Errorf("replayed refusal: got %s, want %s", again, first)
		}
	})

	t.Run("an id longer than the journal keeps is a client fault", func(t *testing.T) {
		_, err := w.send(t, rpPortal, strings.Repeat("x", 1000), seller, w.initiation("350000.00"))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeInvalidHeaderField {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeInvalidHeaderField)
		}
	})

	t.Run("same id with another large inline photo is a fault", func(t *testing.T) {
		tid := replyTransferID(t, replies[0])
		accept := &vehicle.AcceptTransfer{TransferId: tid, BuyerBankCode: "PILOT"}
		b, err := w.send(t, rpMobileApp, "6f1c2a8e-0000-4000-8000-000000000003", buyer, accept)
		if err != nil || resultCode(t, b) != "OK" {
			t.Fatalf("accept: %v %s", err, b)
		}
		// Over soap's inline threshold (1 MiB), so the base64 text leaves
		// the body while it is read; only its content tells the two apart.
		upload := func(fill byte) *vehicle.UploadVinPhotos {
			img := bytes.Repeat([]byte{fill}, 3<<20/2)
			copy(img, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
			content := vehicle.Base64(img)
			return &vehicle.UploadVinPhotos{TransferId: tid, Photo: []*vehicle.Photo{
				{Kind: "VIN_PLATE", ContentType: "image/jpeg", Content: &content},
			}}
		}
		const uid = "6f1c2a8e-0000-4000-8000-000000000004"
		if b, err := w.send(t, rpPortal, uid, seller, upload(1)); err != nil || resultCode(t, b) != "OK" {
			t.Fatalf("first upload: %v %s", err, b)
		}
		_, err = w.send(t, rpPortal, uid, seller, upload(2))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeBadRequest {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeBadRequest)
		}
	})

	t.Run("logs carry no full PIN", func(t *testing.T) {
		// An access refusal logs the caller too.
		_, _ = w.send(t, "central-server/GOV/70000009/stranger", "x-1", seller, w.initiation("1.00"))
		logs := w.logs.String()
		if !strings.Contains(logs, "reused") || !strings.Contains(logs, "stranger") {
			t.Fatalf("logs lack the reuse warning or the refusal: %s", logs)
		}
		for _, pin := range []adapter.PIN{w.demo.Owner.PIN, w.demo.Buyer.PIN} {
			if strings.Contains(logs, string(pin)) {
				t.Errorf("logs contain the full PIN %s: %s", pin.Masked(), logs)
			}
		}
		if !strings.Contains(logs, "KG"+w.demo.Owner.PIN.Masked()) {
			t.Errorf("logs lack the masked userId KG%s: %s", w.demo.Owner.PIN.Masked(), logs)
		}
	})
}

func replyTransferID(tb testing.TB, b []byte) string {
	tb.Helper()
	s := string(b)
	i := strings.Index(s, "<transferId>")
	j := strings.Index(s, "</transferId>")
	if i < 0 || j < i {
		tb.Fatalf("no transferId in %s", b)
	}
	return s[i+len("<transferId>") : j]
}
