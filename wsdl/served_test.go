package wsdl

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

const (
	testAddress = "https://adapter.example.kg:8443/xroad"
	nsXRoad     = "http://x-road.eu/xsd/xroad.xsd"
	nsRepr      = "http://x-road.eu/xsd/representation.xsd"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
)

// served fetches the description of name from a Handler over HTTP, at
// target (a path and query), the way a security server does.
func served(t testing.TB, name, target string) []byte {
	t.Helper()
	h, err := Handler(name, testAddress)
	if err != nil {
		t.Fatalf("Handler(%s): %v", name, err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got status %d, want 200", target, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("GET %s: got Content-Type %q, want text/xml", target, ct)
	}
	return body
}

func parse(t testing.TB, data []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatalf("served WSDL is not XML: %v", err)
	}
	return doc.Root()
}

// children returns the child elements of e in namespace space named local.
func children(e *etree.Element, space, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == space {
			out = append(out, c)
		}
	}
	return out
}

// walk calls fn for e and every element below it.
func walk(e *etree.Element, fn func(*etree.Element)) {
	fn(e)
	for _, c := range e.ChildElements() {
		walk(c, fn)
	}
}

// local strips the prefix of a QName-valued attribute.
func local(qname string) string {
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

// resolve returns the namespace a QName-valued attribute of e refers to.
func resolve(e *etree.Element, qname string) string {
	prefix := ""
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		prefix = qname[:i]
	}
	key := "xmlns"
	if prefix != "" {
		key = "xmlns:" + prefix
	}
	for p := e; p != nil; p = p.Parent() {
		if a := p.SelectAttr(key); a != nil {
			return a.Value
		}
	}
	return ""
}

// schemas maps each target namespace of wsdl:types to its global element
// names.
func schemas(t testing.TB, root *etree.Element) map[string]map[string]bool {
	t.Helper()
	types := children(root, nsWSDL, "types")
	if len(types) != 1 {
		t.Fatalf("got %d wsdl:types, want 1", len(types))
	}
	out := map[string]map[string]bool{}
	for _, s := range children(types[0], nsSchema, "schema") {
		tns := s.SelectAttrValue("targetNamespace", "")
		if out[tns] == nil {
			out[tns] = map[string]bool{}
		}
		for _, el := range children(s, nsSchema, "element") {
			out[tns][el.SelectAttrValue("name", "")] = true
		}
	}
	return out
}

var (
	documents = []struct{ name, tns string }{
		{Vehicle, "http://vehicles.mvd.gov.kg/xroad/v1"},
		{Bank, "http://payments.tunduk.kg/xroad/bank/v1"},
	}
	targets     = []string{"/xroad?wsdl", "/wsdl"}
	headerParts = map[string]string{
		"client": nsXRoad, "service": nsXRoad, "id": nsXRoad, "userId": nsXRoad,
		"issue": nsXRoad, "protocolVersion": nsXRoad, "representedParty": nsRepr,
	}
)

func TestServedWSDLFollowsXRoadRules(t *testing.T) {
	for _, d := range documents {
		for _, target := range targets {
			t.Run(d.name+target, func(t *testing.T) {
				checkRules(t, parse(t, served(t, d.name, target)), d.tns)
			})
		}
	}
}

func checkRules(t *testing.T, root *etree.Element, tns string) {
	declared := schemas(t, root)

	t.Run("self-contained", func(t *testing.T) {
		walk(root, func(e *etree.Element) {
			if e.NamespaceURI() == nsWSDL && e.Tag == "import" {
				t.Errorf("got wsdl:import of %q, want none", e.SelectAttrValue("location", ""))
			}
			if loc := e.SelectAttr("schemaLocation"); loc != nil {
				t.Errorf("got schemaLocation %q on %s, want none", loc.Value, e.GetPath())
			}
		})
		for _, ns := range []string{tns, nsXRoad, nsRepr, nsXML, "http://x-road.eu/xsd/identifiers"} {
			if declared[ns] == nil {
				t.Errorf("no inline schema for %s", ns)
			}
		}
	})

	// Messages: name -> part name -> element QName resolved to {ns, local}.
	type qn struct{ ns, local string }
	msgs := map[string]map[string]qn{}
	for _, m := range children(root, nsWSDL, "message") {
		parts := map[string]qn{}
		for _, p := range children(m, nsWSDL, "part") {
			el := p.SelectAttrValue("element", "")
			if el == "" {
				t.Errorf("message %s part %s: got no element attribute, want document/literal element parts",
					m.SelectAttrValue("name", ""), p.SelectAttrValue("name", ""))
				continue
			}
			q := qn{resolve(p, el), local(el)}
			if !declared[q.ns][q.local] {
				t.Errorf("message %s part %s: element {%s}%s is not declared inline",
					m.SelectAttrValue("name", ""), p.SelectAttrValue("name", ""), q.ns, q.local)
			}
			parts[p.SelectAttrValue("name", "")] = q
		}
		msgs[m.SelectAttrValue("name", "")] = parts
	}

	portTypes := children(root, nsWSDL, "portType")
	if len(portTypes) != 1 {
		t.Fatalf("got %d portTypes, want 1", len(portTypes))
	}
	ops := children(portTypes[0], nsWSDL, "operation")
	if len(ops) == 0 {
		t.Fatal("port type has no operations")
	}
	opNames := map[string]bool{}
	for _, op := range ops {
		name := op.SelectAttrValue("name", "")
		opNames[name] = true
		t.Run("portType/"+name, func(t *testing.T) {
			for dir, want := range map[string]string{"input": name, "output": name + "Response"} {
				io := children(op, nsWSDL, dir)
				if len(io) != 1 {
					t.Fatalf("got %d %s, want 1", len(io), dir)
				}
				parts := msgs[local(io[0].SelectAttrValue("message", ""))]
				body, ok := parts["body"]
				if len(parts) != 1 || !ok {
					t.Fatalf("%s message: got parts %v, want one part named body", dir, parts)
				}
				if body.ns != tns || body.local != want {
					t.Errorf("%s body: got {%s}%s, want {%s}%s", dir, body.ns, body.local, tns, want)
				}
			}
			docs := children(op, nsWSDL, "documentation")
			if len(docs) != 1 {
				t.Fatalf("got %d wsdl:documentation, want 1", len(docs))
			}
			for _, kind := range []string{"title", "notes"} {
				langs := map[string]bool{}
				for _, e := range children(docs[0], nsXRoad, kind) {
					lang := e.SelectAttr("xml:lang")
					if lang == nil || strings.TrimSpace(e.Text()) == "" {
						t.Errorf("xrd:%s without xml:lang or text", kind)
						continue
					}
					langs[lang.Value] = true
				}
				for _, l := range []string{"en", "ru", "ky"} {
					if !langs[l] {
						t.Errorf("got no xrd:%s in %s", kind, l)
					}
				}
			}
		})
	}

	bindings := children(root, nsWSDL, "binding")
	if len(bindings) != 1 {
		t.Fatalf("got %d bindings, want 1", len(bindings))
	}
	sb := children(bindings[0], nsSOAP, "binding")
	if len(sb) != 1 || sb[0].SelectAttrValue("style", "") != "document" ||
		sb[0].SelectAttrValue("transport", "") != "http://schemas.xmlsoap.org/soap/http" {
		t.Errorf("soap:binding: want one with style document over HTTP")
	}
	bops := children(bindings[0], nsWSDL, "operation")
	if len(bops) != len(ops) {
		t.Errorf("binding has %d operations, port type %d", len(bops), len(ops))
	}
	for _, op := range bops {
		name := op.SelectAttrValue("name", "")
		t.Run("binding/"+name, func(t *testing.T) {
			if !opNames[name] {
				t.Errorf("binding operation %s is not in the port type", name)
			}
			v := children(op, nsXRoad, "version")
			if len(v) != 1 || v[0].Text() != "v1" {
				t.Errorf("got %d xrd:version, want one v1", len(v))
			}
			so := children(op, nsSOAP, "operation")
			if len(so) != 1 || so[0].SelectAttrValue("style", "document") != "document" {
				t.Errorf("soap:operation: want one, document style")
			}
			for _, dir := range []string{"input", "output"} {
				io := children(op, nsWSDL, dir)
				if len(io) != 1 {
					t.Fatalf("got %d %s, want 1", len(io), dir)
				}
				body := children(io[0], nsSOAP, "body")
				if len(body) != 1 || body[0].SelectAttrValue("use", "") != "literal" ||
					body[0].SelectAttr("encodingStyle") != nil {
					t.Errorf("%s: want one literal soap:body without encodingStyle", dir)
				}
				seen := map[string]bool{}
				for _, h := range children(io[0], nsSOAP, "header") {
					part := h.SelectAttrValue("part", "")
					q, ok := msgs[local(h.SelectAttrValue("message", ""))][part]
					if !ok {
						t.Errorf("%s: header part %s names no message part", dir, part)
						continue
					}
					if q.ns != headerParts[part] || q.local != part {
						t.Errorf("%s: header part %s is {%s}%s", dir, part, q.ns, q.local)
					}
					if h.SelectAttrValue("use", "") != "literal" {
						t.Errorf("%s: header part %s is not literal", dir, part)
					}
					seen[part] = true
				}
				for part := range headerParts {
					if !seen[part] {
						t.Errorf("%s: got no header part %s", dir, part)
					}
				}
			}
		})
	}

	t.Run("address", func(t *testing.T) {
		n := 0
		walk(root, func(e *etree.Element) {
			if e.NamespaceURI() == nsSOAP && e.Tag == "address" {
				n++
				if got := e.SelectAttrValue("location", ""); got != testAddress {
					t.Errorf("got soap:address %q, want %q", got, testAddress)
				}
			}
		})
		if n != 1 {
			t.Errorf("got %d soap:address, want 1", n)
		}
	})
}

// TestServedWSDLGeneratesCommittedCode runs gowsdl on the served document
// alone in an empty directory: it must read it offline and produce exactly
// the committed types, which shows nothing is missing from the inlined form.
func TestServedWSDLGeneratesCommittedCode(t *testing.T) {
	for _, tc := range []struct{ name, pkg string }{{Vehicle, "vehicle"}, {Bank, "bank"}} {
		t.Run(tc.pkg, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), tc.name)
			if err := os.WriteFile(src, served(t, tc.name, "/wsdl"), 0o600); err != nil {
				t.Fatal(err)
			}
			got := gowsdl(t, src, tc.pkg)
			want, err := os.ReadFile(filepath.Join(tc.pkg, tc.pkg+".go"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("gowsdl on the served %s generates code that differs from %s/%s.go",
					tc.name, tc.pkg, tc.pkg)
			}
		})
	}
}

func TestHandlerRefuses(t *testing.T) {
	h, err := Handler(Vehicle, testAddress)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, target string
		want                 int
		wantBody             bool
	}{
		{"get query", http.MethodGet, "/xroad?wsdl", http.StatusOK, true},
		{"get upper-case query", http.MethodGet, "/xroad?WSDL", http.StatusOK, true},
		{"get path", http.MethodGet, "/wsdl", http.StatusOK, true},
		{"head has no body", http.MethodHead, "/wsdl", http.StatusOK, false},
		{"post is not allowed", http.MethodPost, "/xroad?wsdl", http.StatusMethodNotAllowed, true},
		{"other path is not found", http.MethodGet, "/xroad", http.StatusNotFound, true},
		{"other query is not found", http.MethodGet, "/xroad?xsd=1", http.StatusNotFound, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.want {
				t.Errorf("got status %d, want %d", rec.Code, tc.want)
			}
			if got := rec.Body.Len() > 0; got != tc.wantBody {
				t.Errorf("got body %v, want %v", got, tc.wantBody)
			}
			if tc.want == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Error("got no Allow header on 405")
			}
		})
	}
}

func TestDocumentErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, address string
		want               error
	}{
		{"unknown document", "other.wsdl", testAddress, ErrUnknownDocument},
		{"schema is not a document", "xsd/xroad.xsd", testAddress, ErrUnknownDocument},
		{"relative address", Vehicle, "/xroad", ErrInvalidAddress},
		{"no host", Vehicle, "http:///xroad", ErrInvalidAddress},
		{"other scheme", Bank, "ftp://127.0.0.1/xroad", ErrInvalidAddress},
		{"unparsable address", Bank, "http://[::1", ErrInvalidAddress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Document(tc.doc, tc.address)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if _, herr := Handler(tc.doc, tc.address); !errors.Is(herr, tc.want) {
				t.Errorf("Handler: got %v, want %v", herr, tc.want)
			}
		})
	}
}

// TestDocumentLeavesSourceAlone guards the embedded files: each call starts
// from the source, so two addresses never leak into each other.
func TestDocumentLeavesSourceAlone(t *testing.T) {
	a, err := Document(Vehicle, "http://127.0.0.1:1/a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Document(Vehicle, "http://127.0.0.1:2/b")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("127.0.0.1:1/a")) || !bytes.Contains(a, []byte("127.0.0.1:1/a")) {
		t.Error("address of one call shows up in another")
	}
}
