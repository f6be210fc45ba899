package soap

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// ourProvider is the subsystem the tests' Handlers serve by default.
var ourProvider = Identifier{ObjectType: TypeSubsystem, XRoadInstance: "central-server",
	MemberClass: "GOV", MemberCode: "70000005", SubsystemCode: "vehicles-service"}

// echoService answers every request with an empty <serviceCode>Response
// element and records what it saw.
type echoService struct {
	got []*Request
	// atts holds each attachment's content, read while it is readable.
	atts [][]string
}

func (s *echoService) ServeSOAP(_ context.Context, req *Request) (*Response, error) {
	s.got = append(s.got, req)
	var contents []string
	for _, a := range req.Attachments {
		b, err := a.Bytes()
		if err != nil {
			return nil, err
		}
		contents = append(contents, string(b))
	}
	s.atts = append(s.atts, contents)
	return &Response{Body: NewResponseElement(req)}, nil
}

// reply is an HTTP response as a test sees it.
type reply struct {
	status      int
	contentType string
	body        []byte
	doc         *etree.Document // parsed envelope of a text/xml reply
}

// post sends body with contentType to h and returns the reply, parsed
// when it is text/xml.
func post(t testing.TB, h http.Handler, contentType string, body []byte, hdr ...string) reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/xroad", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return toReply(t, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
}

// toReply parses a reply's envelope when it is text/xml.
func toReply(t testing.TB, status int, ct string, body []byte) reply {
	t.Helper()
	r := reply{status: status, contentType: ct, body: body}
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "text/xml" {
		r.doc = etree.NewDocument()
		if err := r.doc.ReadFromBytes(body); err != nil {
			t.Fatalf("reply is not well-formed XML: %v\n%s", err, body)
		}
	}
	return r
}

// fault returns the reply's fault code, or "" when it has none.
func (r reply) fault() string {
	if r.doc == nil {
		return ""
	}
	el := r.doc.FindElement("/Envelope/Body/Fault/faultcode")
	if el == nil {
		return ""
	}
	return el.Text()
}

// header returns the reply's SOAP Header element, or nil.
func (r reply) header() *etree.Element {
	if r.doc == nil || r.doc.Root() == nil {
		return nil
	}
	for _, c := range r.doc.Root().ChildElements() {
		if is(c, NSEnvelope, "Header") {
			return c
		}
	}
	return nil
}

// readTestdata returns the content of a file under testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// requestHeader parses an envelope and returns its SOAP Header element.
func requestHeader(t testing.TB, body []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = xmlCharsetReader(true)
	if err := doc.ReadFromBytes(body); err != nil {
		t.Fatalf("parse request: %v", err)
	}
	for _, c := range doc.Root().ChildElements() {
		if is(c, NSEnvelope, "Header") {
			return c
		}
	}
	return nil
}

// sameTree reports how a and b differ as XML, "" when they do not: names
// by namespace and local name, attributes other than namespace
// declarations by namespace, local name and value, and every child token
// in order, text and whitespace included.
func sameTree(a, b *etree.Element) string {
	if a.Tag != b.Tag || a.NamespaceURI() != b.NamespaceURI() {
		return "element {" + a.NamespaceURI() + "}" + a.Tag + " vs {" + b.NamespaceURI() + "}" + b.Tag
	}
	if aa, ba := attrSet(a), attrSet(b); aa != ba {
		return a.Tag + ": attributes " + aa + " vs " + ba
	}
	ak, bk := significant(a.Child), significant(b.Child)
	if len(ak) != len(bk) {
		return a.Tag + ": child counts differ"
	}
	for i := range ak {
		switch at := ak[i].(type) {
		case *etree.Element:
			bt, ok := bk[i].(*etree.Element)
			if !ok {
				return a.Tag + ": element vs other token"
			}
			if d := sameTree(at, bt); d != "" {
				return d
			}
		case *etree.CharData:
			bt, ok := bk[i].(*etree.CharData)
			if !ok || at.Data != bt.Data {
				return a.Tag + ": text differs"
			}
		}
	}
	return ""
}

// significant drops comments and processing instructions.
func significant(ts []etree.Token) []etree.Token {
	var out []etree.Token
	for _, t := range ts {
		switch t.(type) {
		case *etree.Element, *etree.CharData:
			out = append(out, t)
		}
	}
	return out
}

// attrSet renders el's attributes other than namespace declarations.
func attrSet(el *etree.Element) string {
	var parts []string
	for _, a := range el.Attr {
		if _, ok := nsDecl(a); ok {
			continue
		}
		parts = append(parts, "{"+a.NamespaceURI()+"}"+a.Key+"="+a.Value)
	}
	return strings.Join(parts, " ")
}

// readAll reads r or fails the test.
func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rootPart returns the envelope bytes of a message: the body itself for
// text/xml (without a byte-order mark), the first part for multipart.
func rootPart(t testing.TB, ct string, body []byte) []byte {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF})
	}
	p, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, p)
}

// b64 returns s in base64 with MIME line breaks.
func b64(s string) string {
	e := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76] + "\r\n")
		e = e[76:]
	}
	b.WriteString(e)
	return b.String()
}

// base64Lines returns a writer encoding to w in base64 with CRLF every 76
// characters.
func base64Lines(w io.Writer) io.WriteCloser {
	return base64.NewEncoder(base64.StdEncoding, &lineWriter{w: w})
}

// lineWriter breaks its output into lines of 76 bytes.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 76-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
		l.col += k
		if l.col == 76 {
			if _, err := l.w.Write([]byte("\r\n")); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// nopService answers with an empty response element and keeps nothing.
type nopService struct{}

func (nopService) ServeSOAP(_ context.Context, req *Request) (*Response, error) {
	return &Response{Body: NewResponseElement(req)}, nil
}
