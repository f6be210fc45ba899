package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Protocol tests on the assembled adapter: large photos with bounded
// memory, the served WSDL, and methods other than POST.

const (
	nsVehicle = "http://vehicles.mvd.gov.kg/xroad/v1"
	portalID  = "central-server/GOV/70000001/tunduk-portal"
	inspectID = "central-server/GOV/70000005/inspection"
)

// bigPhoto is a synthetic JPEG of size bytes, generated as it is read so
// that the sending side holds none of it.
type bigPhoto struct {
	size int64
	pos  int64
}

// jpegHead makes the content sniff as image/jpeg.
var jpegHead = []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}

func (p *bigPhoto) Read(b []byte) (int, error) {
	if p.pos >= p.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.size-p.pos))
	for i := range n {
		at := p.pos + int64(i)
		if at < int64(len(jpegHead)) {
			b[i] = jpegHead[at]
		} else {
			b[i] = byte(at*13 + at>>11)
		}
	}
	p.pos += int64(n)
	return n, nil
}

// bigPhotoSum returns the hex SHA-256 of a bigPhoto of size bytes.
func bigPhotoSum(size int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, &bigPhoto{size: size})
	return hex.EncodeToString(h.Sum(nil))
}

// liveHeap collects garbage and returns the bytes in live heap objects.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// peakHeap samples the live heap every few milliseconds until stop is
// called, which returns the highest sample.
func peakHeap() (stop func() int64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak = max(peak, liveHeap())
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		wg.Wait()
		return max(peak, liveHeap())
	}
}

// call sends body from client through the adapter at url and fails the
// test unless the result is OK.
func call(t *testing.T, url, client, userID string, body any) *soap.Response {
	t.Helper()
	el, err := soap.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return callEl(t, url, client, userID, soap.Call{Body: el})
}

func callEl(t *testing.T, url, client, userID string, c soap.Call) *soap.Response {
	t.Helper()
	id, err := soap.ParseSubsystem(client)
	if err != nil {
		t.Fatal(err)
	}
	provider, _ := soap.ParseSubsystem("central-server/GOV/70000005/vehicle-reregistration")
	c.Service, c.UserID = provider.Service(c.Body.Tag, "v1"), userID
	resp, err := (&soap.Client{URL: url + "/xroad", Client: id}).Do(context.Background(), c)
	if err != nil {
		t.Fatalf("%s: %v", c.Body.Tag, err)
	}
	if code := resp.Body.FindElement("result/code"); code == nil || code.Text() != "OK" {
		t.Fatalf("%s: got result %v, want OK", c.Body.Tag, code)
	}
	return resp
}

// bigUpload builds an uploadVinPhotos call with one photo of size bytes in
// form; the photo is generated while the call is sent.
func bigUpload(transfer, form string, size int64) soap.Call {
	body := etree.NewElement("v:uploadVinPhotos")
	body.CreateAttr("xmlns:v", nsVehicle)
	body.CreateElement("v:transferId").SetText(transfer)
	p := body.CreateElement("v:photo")
	p.CreateElement("v:kind").SetText(adapter.PhotoVINPlate)
	p.CreateElement("v:contentType").SetText("image/jpeg")
	a := soap.NewAttachmentFunc("vin@portal.example", "image/jpeg", size,
		func() (io.ReadCloser, error) { return io.NopCloser(&bigPhoto{size: size}), nil })
	c := soap.Call{Body: body}
	switch form {
	case "inline":
		c.SetContent(p.CreateElement("v:content"), a)
	case "swaRef":
		p.CreateElement("v:contentRef").SetText("cid:vin@portal.example")
		c.Attachments = []*soap.Attachment{a}
	case "MTOM":
		inc := p.CreateElement("v:content").CreateElement("xop:Include")
		inc.CreateAttr("xmlns:xop", soap.NSXOP)
		inc.CreateAttr("href", "cid:vin@portal.example")
		c.Attachments = []*soap.Attachment{a}
	}
	return c
}

// TestLargePhotoMemory uploads a 20 MB photo inline, as swaRef and as MTOM
// through the assembled adapter, with an inspector's RETAKE between them,
// and checks that the live heap never grew by more than a quarter of the
// photo while the photo went from the request into PostgreSQL, and that
// the database holds it whole.
func TestLargePhotoMemory(t *testing.T) {
	const size = 20 << 20
	srv, a := newTestAppWith(t, func(c *config) { c.Photos.MaxBytes = 24 << 20 })
	ctx := context.Background()
	demo, err := registry.SeedDemo(ctx, a.db, 1)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	seller, buyer := "KG"+string(demo.Owner.PIN), "KG"+string(demo.Buyer.PIN)
	resp := call(t, srv.URL, portalID, seller, &vehicle.InitiateTransfer{
		Vin: demo.Vehicle.VIN, CertificateNumber: demo.CertificateNumber,
		SellerPin: string(demo.Owner.PIN), BuyerPin: string(demo.Buyer.PIN), Price: "350000.00",
		SellerAccount: &vehicle.BankAccount{BankCode: "KICB", AccountNumber: "1280010012345678"},
	})
	transfer := resp.Body.FindElement("transferId").Text()
	call(t, srv.URL, portalID, buyer, &vehicle.AcceptTransfer{TransferId: transfer,
		BuyerBankCode: "PILOT"})
	want := bigPhotoSum(size)

	for i, form := range []string{"inline", "swaRef", "MTOM"} {
		t.Run(form, func(t *testing.T) {
			if i > 0 {
				call(t, srv.URL, inspectID, "", &vehicle.SubmitInspection{TransferId: transfer,
					InspectorId: "insp-1", Decision: "RETAKE", Comment: "again, as " + form})
			}
			c := bigUpload(transfer, form, size)
			base := liveHeap()
			stop := peakHeap()
			callEl(t, srv.URL, portalID, seller, c)
			growth := stop() - base

			var sum string
			var stored, chunks int64
			err := a.db.SQL().QueryRow(`SELECT p.sha256, p.size, count(*)
				FROM vin_photos p JOIN vin_photo_chunks c ON c.photo_id = p.id
				WHERE p.transfer_id = $1 GROUP BY p.id`, transfer).Scan(&sum, &stored, &chunks)
			if err != nil || sum != want || stored != size {
				t.Errorf("stored sha256 %s of %d bytes (%v), want %s of %d", sum, stored, err,
					want, size)
			}
			if wantChunks := int64(size / registry.PhotoChunkSize); chunks != wantChunks {
				t.Errorf("got %d chunks, want %d", chunks, wantChunks)
			}
			t.Logf("peak live heap growth %d KiB for a %d KiB photo", growth>>10, size>>10)
			// Reading the photo whole costs more than the photo itself
			// (22-28 MB seen); streaming costs a few chunks. Half the
			// photo separates the two even on a loaded machine.
			if growth > size/2 {
				t.Errorf("got heap growth %d bytes for a %d byte photo, want under %d",
					growth, size, size/2)
			}
		})
	}
}

// TestServedWSDL fetches the WSDL at both its addresses from the assembled
// adapter and checks that soap:address is the configured public URL.
func TestServedWSDL(t *testing.T) {
	const public = "https://adapter.mvd.example:8443/x-road/vehicles"
	srv, _ := newTestAppWith(t, func(c *config) { c.PublicURL = public })
	for _, path := range []string{"/xroad?wsdl", "/wsdl"} {
		t.Run(path, func(t *testing.T) {
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK ||
				!strings.Contains(res.Header.Get("Content-Type"), "xml") {
				t.Fatalf("got HTTP %d %s, want 200 with XML", res.StatusCode,
					res.Header.Get("Content-Type"))
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(b); err != nil {
				t.Fatalf("the WSDL is not XML: %v", err)
			}
			if doc.Root() == nil || doc.Root().Tag != "definitions" {
				t.Fatalf("got root %v, want wsdl:definitions", doc.Root())
			}
			addrs := doc.FindElements("//service/port/address")
			if len(addrs) == 0 {
				t.Fatal("the WSDL has no soap:address")
			}
			for _, a := range addrs {
				if got := a.SelectAttrValue("location", ""); got != public {
					t.Errorf("got soap:address %q, want %q", got, public)
				}
			}
		})
	}
}

// TestOtherMethods sends the X-Road path methods other than POST (and GET
// of the WSDL): each gets a SOAP fault with HTTP 500, not a 405 page.
func TestOtherMethods(t *testing.T) {
	srv := newTestApp(t)
	envelope := `<?xml version="1.0"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<Body/></Envelope>`
	for _, method := range []string{"PUT", "DELETE", "PATCH", "OPTIONS", "GET"} {
		t.Run(method, func(t *testing.T) {
			req, err := http.NewRequest(method, srv.URL+"/xroad", strings.NewReader(envelope))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusInternalServerError ||
				!strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
				t.Errorf("got HTTP %d %s, want 500 text/xml", res.StatusCode,
					res.Header.Get("Content-Type"))
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(b); err != nil {
				t.Fatalf("the answer is not XML: %v\n%s", err, b)
			}
			code := doc.FindElement("//Body/Fault/faultcode")
			if code == nil || !strings.HasSuffix(code.Text(), soap.CodeInvalidHTTPMethod) {
				t.Errorf("got %s, want a %s fault", b, soap.CodeInvalidHTTPMethod)
			}
			if s := doc.FindElement("//Body/Fault/faultstring"); s == nil ||
				!strings.Contains(s.Text(), "POST") {
				t.Errorf("got faultstring %v, want it to ask for POST", s)
			}
		})
	}
}

// TestPhotoConfig checks the [photos] settings.
func TestPhotoConfig(t *testing.T) {
	tests := []struct {
		name          string
		count, bytes  int
		wantErr       string
		wantMaxBytes  int
		wantMaxPhotos int
	}{
		{"defaults", 0, 0, "", 0, 0},
		{"set", 4, 20 << 20, "", 20 << 20, 4},
		{"negative count", -1, 0, "photos.max_count", 0, 0},
		{"negative size", 0, -1, "photos.max_bytes", 0, 0},
		{"above what soap reads", 0, soap.DefaultMaxAttachmentSize + 1, "photos.max_bytes", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig("../../testdata/adapter.toml")
			if err != nil {
				t.Fatal(err)
			}
			c.Photos.MaxCount, c.Photos.MaxBytes = tc.count, tc.bytes
			w, err := c.wire()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.cfg.Photos.MaxBytes != tc.wantMaxBytes || w.cfg.Photos.MaxCount != tc.wantMaxPhotos {
				t.Errorf("got %+v, want %d photos of %d bytes", w.cfg.Photos, tc.wantMaxPhotos,
					tc.wantMaxBytes)
			}
		})
	}
}
