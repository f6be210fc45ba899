package endpoint_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Replay tests: the adapter behind a real soap.Handler over HTTP, on a real
// registry that journals replies, with clients that choose their message ids.

// replayChannels lets two citizen channels do everything a citizen may,
// so that one message id can be sent from both.
func replayChannels() []endpoint.Channel {
	return []endpoint.Channel{
		{Name: "portal", Client: portal, Role: adapter.RoleCitizen},
		{Name: "app", Client: bankApp, Role: adapter.RoleCitizen},
	}
}

// send posts body as message id from client, acting for userID, and
// returns the response body as bytes.
func (s *server) send(
	tb testing.TB, client soap.Identifier, id, userID string, body any,
) ([]byte, error) {
	tb.Helper()
	el, err := soap.Marshal(body)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	c := &soap.Client{URL: s.url, Client: client, NewID: func() string { return id }}
	resp, err := c.Do(context.Background(), soap.Call{
		Service: provider.Service(el.Tag, endpoint.Version), UserID: userID, Body: el,
	})
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocumentWithRoot(resp.Body.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatalf("encode response: %v", err)
	}
	return b, nil
}

// initiation is the demo owner's offer of the demo vehicle to the demo
// buyer at price.
func (s *server) initiation(price string) *vehicle.InitiateTransfer {
	return &vehicle.InitiateTransfer{
		Vin: s.demo.Vehicle.VIN, CertificateNumber: s.demo.CertificateNumber,
		SellerPin: string(s.demo.Owner.PIN), BuyerPin: string(s.demo.Buyer.PIN), Price: price,
		SellerAccount: &vehicle.BankAccount{BankCode: "PILOT", AccountNumber: "1234567890123456"},
	}
}

// count runs a query that counts rows in the registry.
func (s *server) count(tb testing.TB, query string) int {
	tb.Helper()
	var n int
	if err := s.db.SQL().QueryRow(query).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// textOf returns the text of the first element named tag in an encoded
// response.
func textOf(tb testing.TB, b []byte, tag string) string {
	tb.Helper()
	open, end := "<"+tag+">", "</"+tag+">"
	i := bytes.Index(b, []byte(open))
	j := bytes.Index(b, []byte(end))
	if i < 0 || j < i {
		tb.Fatalf("no %s in %s", tag, b)
	}
	return string(b[i+len(open) : j])
}

func TestReplays(t *testing.T) {
	log, logs := jsonLog()
	w := serve(t, options{log: log, journal: true, channels: replayChannels()})
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
			replies[i], errs[i] = w.send(t, portal, id, seller, w.initiation("350000.00"))
		}()
	}
	wg.Wait()
	for i := 8; i < 10; i++ {
		replies[i], errs[i] = w.send(t, portal, id, seller, w.initiation("350000.00"))
	}
	for i := range replies {
		if errs[i] != nil {
			t.Fatalf("copy %d: %v", i, errs[i])
		}
		if !bytes.Equal(replies[i], replies[0]) {
			t.Errorf("copy %d: got reply %s, want %s", i, replies[i], replies[0])
		}
	}
	if got := textOf(t, replies[0], "code"); got != "OK" {
		t.Errorf("first reply: got code %s, want OK", got)
	}
	if got := w.count(t, `SELECT count(*) FROM transfers`); got != 1 {
		t.Errorf("got %d transfers, want 1", got)
	}
	if got := w.count(t, `SELECT count(*) FROM transfer_events`); got != 1 {
		t.Errorf("got %d events, want 1", got)
	}

	t.Run("same id with another body is a fault", func(t *testing.T) {
		_, err := w.send(t, portal, id, seller, w.initiation("1.00"))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeBadRequest {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeBadRequest)
		}
		if got := w.count(t, `SELECT count(*) FROM transfers`); got != 1 {
			t.Errorf("got %d transfers, want 1", got)
		}
	})

	t.Run("same id for another user is a fault", func(t *testing.T) {
		_, err := w.send(t, portal, id, buyer, w.initiation("350000.00"))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeBadRequest {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeBadRequest)
		}
	})

	t.Run("same id from another client is its own message", func(t *testing.T) {
		b, err := w.send(t, bankApp, id, seller, w.initiation("350000.00"))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		if got := textOf(t, b, "code"); got != string(adapter.TransferExists) {
			t.Errorf("got code %s, want TRANSFER_EXISTS", got)
		}
	})

	t.Run("a refusal is replayed too", func(t *testing.T) {
		tid := textOf(t, replies[0], "transferId")
		accept := &vehicle.AcceptTransfer{TransferId: tid, BuyerBankCode: "PILOT"}
		const aid = "6f1c2a8e-0000-4000-8000-000000000002"
		first, err := w.send(t, portal, aid, seller, accept) // the seller is not the buyer
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		again, err := w.send(t, portal, aid, seller, accept)
		if err != nil {
			t.Fatalf("send again: %v", err)
		}
		if got := textOf(t, first, "code"); got != string(adapter.NotBuyer) {
			t.Errorf("got code %s, want NOT_BUYER", got)
		}
		if !bytes.Equal(first, again) {
			t.Errorf("replayed refusal: got %s, want %s", again, first)
		}
	})

	t.Run("an id longer than the journal keeps is a client fault", func(t *testing.T) {
		_, err := w.send(t, portal, strings.Repeat("x", 1000), seller, w.initiation("350000.00"))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeInvalidHeaderField {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeInvalidHeaderField)
		}
	})

	t.Run("same id with another large inline photo is a fault", func(t *testing.T) {
		tid := textOf(t, replies[0], "transferId")
		accept := &vehicle.AcceptTransfer{TransferId: tid, BuyerBankCode: "PILOT"}
		b, err := w.send(t, bankApp, "6f1c2a8e-0000-4000-8000-000000000003", buyer, accept)
		if err != nil || textOf(t, b, "code") != "OK" {
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
		if b, err := w.send(t, portal, uid, seller, upload(1)); err != nil || textOf(t, b, "code") != "OK" {
			t.Fatalf("first upload: %v %s", err, b)
		}
		_, err = w.send(t, portal, uid, seller, upload(2))
		var f *soap.Fault
		if !errors.As(err, &f) || f.Code != soap.CodeBadRequest {
			t.Fatalf("got %v, want a %s fault", err, soap.CodeBadRequest)
		}
	})

	t.Run("logs carry no full PIN", func(t *testing.T) {
		// An access refusal logs the caller too.
		_, _ = w.send(t, stranger, "x-1", seller, w.initiation("1.00"))
		logs := logs.String()
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
