package endpoint_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/beevik/etree"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
	"github.com/tunduk/vehicle-adapter/soap"
)

var update = flag.Bool("update", false, "rewrite the golden responses in testdata/golden")

const (
	nsEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	nsVehicle  = "http://vehicles.mvd.gov.kg/xroad/v1"
)

// now is the adapter's clock in these tests, so deadlines and times in
// the golden responses stay put.
var now = time.Date(2026, 3, 10, 6, 0, 0, 0, time.UTC)

func mustID(path string) soap.Identifier {
	id, err := soap.ParseSubsystem(path)
	if err != nil {
		panic(err)
	}
	return id
}

// The adapter and the clients of its configured channels.
var (
	provider   = mustID("central-server/GOV/70000005/vehicle-reregistration")
	portal     = mustID("central-server/GOV/70000001/tunduk-portal")
	bankApp    = mustID("central-server/COM/60000001/mobile-app")
	inspection = mustID("central-server/GOV/70000005/inspection")
	pilotBank  = mustID("central-server/COM/60000001/payments")
	stranger   = mustID("central-server/COM/69999999/stranger")
)

// channelList is the configuration the endpoint runs with; the bank app is
// narrowed to two services.
func channelList() []endpoint.Channel {
	return []endpoint.Channel{
		{Name: "portal", Client: portal, Role: adapter.RoleCitizen},
		{Name: "bank app", Client: bankApp, Role: adapter.RoleCitizen,
			Services: []string{"checkVehicle", "getTransferStatus"}},
		{Name: "MVD inspection", Client: inspection, Role: adapter.RoleInspector},
		{Name: "Pilot Bank", Client: pilotBank, Role: adapter.RoleBank, BankCode: "PILOT"},
	}
}

// server is the adapter's X-Road endpoint on a loopback port over a seeded
// registry of its own.
type server struct {
	url    string
	db     *registry.DB
	demo   registry.Demo
	domain *adapter.Service
}

// options vary the served endpoint; the zero value serves channelList
// without a journal and discards the log.
type options struct {
	log      logrus.FieldLogger // nil discards
	journal  bool               // the registry journals replies, as in production
	channels []endpoint.Channel // nil means channelList()
}

// newServer serves the endpoint with the default options.
func newServer(tb testing.TB) *server {
	tb.Helper()
	return serve(tb, options{})
}

// serve starts the endpoint over a fresh registry seeded with the demo
// data, on a fixed clock and with sequential ids.
func serve(tb testing.TB, o options) *server {
	tb.Helper()
	ctx := context.Background()
	db := registrytest.New(tb)
	demo, err := registry.SeedDemo(ctx, db, 7)
	if err != nil {
		tb.Fatalf("SeedDemo: %v", err)
	}
	// The bank is never called here: sending orders is the sender's job,
	// tested in package adapter.
	client := &soap.Client{URL: "http://127.0.0.1:9/unused", Client: provider}
	banks, err := bankclient.NewDirectory(client, []bankclient.Bank{
		{Code: "PILOT", Name: "Pilot Bank", Service: pilotBank, Enabled: true},
	})
	if err != nil {
		tb.Fatalf("NewDirectory: %v", err)
	}
	domain := adapter.New(db, banks, adapter.Config{
		Fees: adapter.Fees{State: 1200_00, Service: 150_00},
		Risk: adapter.RiskRules{DailyTransfers: 1000},
	})
	domain.Now = func() time.Time { return now }
	var (
		mu sync.Mutex
		n  int
	)
	domain.NewID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return transferID(n)
	}
	if o.channels == nil {
		o.channels = channelList()
	}
	channels, err := endpoint.NewChannels(o.channels)
	if err != nil {
		tb.Fatalf("NewChannels: %v", err)
	}
	ep := endpoint.New(domain, channels, o.log)
	if o.journal {
		ep.Journal = db
	}
	srv := httptest.NewServer(&soap.Handler{Service: ep, Provider: provider})
	tb.Cleanup(srv.Close)
	return &server{url: srv.URL, db: db, demo: demo, domain: domain}
}

// logSink is a log sink that requests on other goroutines may write.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// jsonLog returns a logger writing JSON lines to a new sink, as the
// adapter logs in production.
func jsonLog() (*logrus.Logger, *logSink) {
	sink := &logSink{}
	log := logrus.New()
	log.Out = sink
	log.SetFormatter(&logrus.JSONFormatter{})
	return log, sink
}

// transferID is the id the test's NewID gives the n-th created record.
func transferID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// request is one sample envelope from testdata with its blanks filled.
type request struct {
	File    string // testdata/<File>.xml
	Client  soap.Identifier
	ID      string
	UserID  string
	Code    string // overrides the sample's service code
	Version string // "" sends no serviceVersion
	B       map[string]string
}

// render executes the sample template for r.
func render(t *testing.T, r request) []byte {
	t.Helper()
	tpl, err := template.ParseFiles(filepath.Join("testdata", r.File+".xml"))
	if err != nil {
		t.Fatalf("sample %s: %v", r.File, err)
	}
	tpl.Option("missingkey=zero")
	var b bytes.Buffer
	if err := tpl.Execute(&b, r); err != nil {
		t.Fatalf("sample %s: %v", r.File, err)
	}
	return b.Bytes()
}

// reply is an HTTP response read as a SOAP envelope.
type reply struct {
	status      int
	contentType string
	raw         []byte
	header      *etree.Element // SOAP Header
	body        *etree.Element // the single child of SOAP Body
}

// post sends raw as an X-Road request and parses the answer.
func post(t *testing.T, url string, raw []byte) reply {
	t.Helper()
	res, err := http.Post(url, "text/xml; charset=UTF-8", bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	r := reply{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), raw: b}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("response is not XML (%v): %s", err, b)
	}
	env := doc.Root()
	if env == nil || env.Tag != "Envelope" || env.NamespaceURI() != nsEnvelope {
		t.Fatalf("response is not a SOAP 1.1 envelope: %s", b)
	}
	for _, c := range env.ChildElements() {
		switch {
		case c.Tag == "Header" && c.NamespaceURI() == nsEnvelope:
			r.header = c
		case c.Tag == "Body" && c.NamespaceURI() == nsEnvelope:
			kids := c.ChildElements()
			if len(kids) != 1 {
				t.Fatalf("got %d elements in the response Body, want 1: %s", len(kids), b)
			}
			r.body = kids[0]
		}
	}
	if r.body == nil {
		t.Fatalf("response has no Body: %s", b)
	}
	return r
}

// headerOf parses raw and returns its SOAP Header element.
func headerOf(t *testing.T, raw []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("request is not XML: %v", err)
	}
	for _, c := range doc.Root().ChildElements() {
		if c.Tag == "Header" && c.NamespaceURI() == nsEnvelope {
			return c
		}
	}
	t.Fatal("request has no Header")
	return nil
}

// checkEcho fails unless got carries every element of sent's header, in
// order, with the same names, attributes and text, whitespace included.
func checkEcho(t *testing.T, sent, got *etree.Element) {
	t.Helper()
	if got == nil {
		t.Fatal("got no header in the response, want the request's echoed")
	}
	if d := diffElement(sent, got); d != "" {
		t.Errorf("the echoed header differs: %s", d)
	}
}

func diffElement(a, b *etree.Element) string {
	if a.Tag != b.Tag || a.NamespaceURI() != b.NamespaceURI() {
		return fmt.Sprintf("element {%s}%s, want {%s}%s", b.NamespaceURI(), b.Tag,
			a.NamespaceURI(), a.Tag)
	}
	if a.Text() != b.Text() {
		return fmt.Sprintf("%s text %q, want %q", a.Tag, b.Text(), a.Text())
	}
	if aa, ba := attrs(a), attrs(b); aa != ba {
		return fmt.Sprintf("%s attributes %s, want %s", a.Tag, ba, aa)
	}
	ak, bk := a.ChildElements(), b.ChildElements()
	if len(ak) != len(bk) {
		return fmt.Sprintf("%s has %d children, want %d", a.Tag, len(bk), len(ak))
	}
	for i := range ak {
		if d := diffElement(ak[i], bk[i]); d != "" {
			return d
		}
	}
	return ""
}

// attrs lists the attributes of el other than namespace declarations,
// with their namespaces resolved.
func attrs(el *etree.Element) string {
	var parts []string
	for _, a := range el.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		parts = append(parts, fmt.Sprintf("{%s}%s=%q", a.NamespaceURI(), a.Key, a.Value))
	}
	return strings.Join(parts, " ")
}

// child returns the text of el's child named tag, or "".
func child(el *etree.Element, path string) string {
	if c := el.FindElement(path); c != nil {
		return c.Text()
	}
	return ""
}

// checkResult checks the result element of a response: code want and one
// message in each of Kyrgyz, Russian and English, in that order.
func checkResult(t *testing.T, body *etree.Element, want adapter.Code) {
	t.Helper()
	res := body.SelectElement("result")
	if res == nil {
		t.Fatalf("%s has no result", body.Tag)
	}
	if got := child(res, "code"); got != string(want) {
		t.Errorf("got result code %s, want %s", got, want)
	}
	msgs := res.SelectElements("message")
	if len(msgs) != 3 {
		t.Fatalf("got %d result messages, want 3", len(msgs))
	}
	wantTexts := want.Messages()
	for i, lang := range []string{"ky", "ru", "en"} {
		// The prefix xml is bound to the XML namespace by definition.
		a := msgs[i].SelectAttr("xml:lang")
		if a == nil || a.Value != lang {
			t.Errorf("message %d: got lang attribute %v, want xml:lang=%q", i, a, lang)
		}
		if got := msgs[i].Text(); got != wantTexts[i].Text || got == "" {
			t.Errorf("message %d: got %q, want %q", i, got, wantTexts[i].Text)
		}
	}
}

// masks hide values the test does not control.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`<approvalCode>[^<]*</approvalCode>`), "<approvalCode>MASKED</approvalCode>"},
	{regexp.MustCompile(`KG[0-9]{8}<`), "KG########<"},
}

// checkGolden compares el, indented and masked, with testdata/golden/name.xml,
// or rewrites the file with -update.
func checkGolden(t *testing.T, name string, el *etree.Element) {
	t.Helper()
	doc := etree.NewDocumentWithRoot(el.Copy())
	doc.Indent(2)
	got, err := doc.WriteToString()
	if err != nil {
		t.Fatalf("serialize %s: %v", name, err)
	}
	for _, m := range masks {
		got = m.re.ReplaceAllString(got, m.with)
	}
	path := filepath.Join("testdata", "golden", name+".xml")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("response differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// photo returns a sample photo as base64.
func photo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("sample photo: %v", err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
