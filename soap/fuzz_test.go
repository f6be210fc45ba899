package soap

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"golang.org/x/text/encoding/unicode"
)

// addCorpus seeds f with every corpus message whose manifest Content-Type
// satisfies keep, as (content type, body) pairs when withType is set and
// as bodies otherwise.
func addCorpus(f *testing.F, keep func(ct string) bool, withType bool) {
	f.Helper()
	b, err := os.ReadFile("testdata/corpus/MANIFEST.tsv")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) != 3 || strings.HasPrefix(line, "#") || !keep(fields[1]) {
			continue
		}
		body, err := os.ReadFile("testdata/corpus/" + fields[0])
		if err != nil {
			f.Fatal(err)
		}
		if withType {
			f.Add(fields[1], body)
		} else {
			f.Add(body)
		}
	}
}

// checkWellFormed fails unless r is a SOAP answer: status 200 or 500, and
// for 500 a text/xml envelope with a faultcode.
func checkWellFormed(t *testing.T, r reply) {
	t.Helper()
	switch r.status {
	case http.StatusOK:
		return
	case http.StatusInternalServerError:
	default:
		t.Fatalf("got status %d, want 200 or 500", r.status)
	}
	if r.doc == nil || r.doc.Root() == nil || !is(r.doc.Root(), NSEnvelope, "Envelope") {
		t.Fatalf("got a non-SOAP answer: %q", r.body)
	}
	if r.fault() == "" {
		t.Fatalf("got a 500 without a faultcode: %q", r.body)
	}
}

// FuzzEnvelope feeds arbitrary text/xml bodies to a Handler.
func FuzzEnvelope(f *testing.F) {
	addCorpus(f, func(ct string) bool { return strings.HasPrefix(ct, "text/xml") }, false)
	simple := string(readTestdata(f, "corpus/simple.query"))
	f.Add(utf16(f, unicode.LittleEndian, simple))
	f.Add(utf16(f, unicode.BigEndian, simple))
	h := &Handler{Service: nopService{}, Provider: producer,
		Limits: Limits{MaxElements: 2000, InlineThreshold: 32}}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkWellFormed(t, post(t, h, "text/xml", body))
	})
}

// FuzzMultipart feeds arbitrary Content-Types and bodies to a Handler.
func FuzzMultipart(f *testing.F) {
	addCorpus(f, func(ct string) bool { return true }, true)
	f.Add("multipart/related; boundary=BOUNDARY", multipartBody(
		part{"Content-Type: text/xml\r\nContent-Transfer-Encoding: quoted-printable", "<a=\r\n/>"},
		part{"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64", "AAEC"}))
	h := &Handler{Service: nopService{}, Provider: producer,
		Limits: Limits{MaxElements: 2000, SpoolThreshold: 64, InlineThreshold: 32,
			TempDir: f.TempDir()}}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		checkWellFormed(t, post(t, h, ct, body))
	})
}

// FuzzHeaderEcho puts arbitrary header content into a valid message and
// checks that whatever comes back echoes the header exactly.
func FuzzHeaderEcho(f *testing.F) {
	addCorpus(f, func(ct string) bool { return strings.HasPrefix(ct, "text/xml") }, false)
	simple := string(readTestdata(f, "corpus/simple.query"))
	f.Add(utf16(f, unicode.LittleEndian, simple))
	f.Add(utf16(f, unicode.BigEndian, simple))
	h := &Handler{Service: nopService{}, Provider: producer,
		Limits: Limits{MaxElements: 2000, InlineThreshold: 32}}
	f.Fuzz(func(t *testing.T, seed []byte) {
		inner := seed
		i := bytes.Index(seed, []byte("Header>"))
		j := bytes.LastIndex(seed, []byte("</SOAP-ENV:Header"))
		if i >= 0 && j > i {
			inner = seed[i+len("Header>") : j]
		}
		msg := []byte(`<e:Envelope xmlns:e="` + NSEnvelope + `" xmlns:xroad="` + NSXRoad +
			`" xmlns:id="` + NSIdentifiers + `"><e:Header>` + string(inner) +
			`</e:Header><e:Body><q:testQuery xmlns:q="urn:q"/></e:Body></e:Envelope>`)
		r := post(t, h, "text/xml", msg)
		checkWellFormed(t, r)
		got := r.header()
		if got == nil {
			return
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(msg); err != nil {
			t.Fatalf("a header was echoed from unparsable input: %v", err)
		}
		if d := sameTree(doc.FindElement("/Envelope/Header"), got); d != "" {
			t.Fatalf("echo differs: %s", d)
		}
	})
}

// FuzzClientResponse feeds arbitrary responses to the Client's reader: it
// must return a response or an error, never panic, and never accept a
// response whose header does not echo the request's.
func FuzzClientResponse(f *testing.F) {
	sent := &Header{Client: ourProvider, Service: producer.Service("testQuery", ""),
		ID: "1234567890", UserID: "EE37702211234", ProtocolVersion: "4.0"}
	addCorpus(f, func(ct string) bool { return true }, true)
	ok := requestEnvelope(sent, etree.NewElement("testQueryResponse"))
	f.Add("text/xml", serialize(ok))
	f.Add("multipart/related; boundary=BOUNDARY", multipartBody(
		part{"Content-Type: text/xml", string(serialize(ok))},
		part{"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64", "AAEC"}))
	lim := Limits{MaxElements: 2000, SpoolThreshold: 64, InlineThreshold: 32,
		TempDir: f.TempDir()}.withDefaults()
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {ct}},
			Body: io.NopCloser(bytes.NewReader(body))}
		resp, err := readResponse(res, sent, lim)
		if err != nil {
			return
		}
		defer resp.Close()
		if compareHeaders(sent, resp.Header) != nil || resp.Body == nil {
			t.Fatalf("accepted a response that does not echo the request")
		}
	})
}
