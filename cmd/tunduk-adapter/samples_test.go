package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/wsdl"
)

// sampleDir holds a sample request for every service code, named after it
// (a variant adds "-" and a word), relative to this package.
const sampleDir = "../../testdata/requests"

// The demo registry of seed 1 that the samples are written for.
const (
	sampleVIN         = "XWB4A11B88F039611"
	sampleOwner       = "11608195800336"
	sampleCertificate = "KG30617284"
	sampleBuyer       = "22701197302825"
)

// Namespaces of the envelope.
const (
	nsEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	nsXRoad    = "http://x-road.eu/xsd/xroad.xsd"
	nsID       = "http://x-road.eu/xsd/identifiers"
)

// sampleCode returns the service code a sample file is for.
func sampleCode(file string) string {
	code, _, _ := strings.Cut(strings.TrimSuffix(file, ".xml"), "-")
	return code
}

// sampleFiles lists the sample files, sorted.
func sampleFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(sampleDir, "*.xml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no samples in %s (%v)", sampleDir, err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	slices.Sort(names)
	return names
}

// child returns the first child element of el with namespace ns and local
// name local, or nil.
func child(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// text returns the trimmed text of el, "" for nil.
func text(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

// bodyElements returns the children of the SOAP Body of root.
func bodyElements(root *etree.Element) []*etree.Element {
	if b := child(root, nsEnvelope, "Body"); b != nil {
		return b.ChildElements()
	}
	return nil
}

// flatten lists the elements under el with their namespaces and texts, so
// that two headers compare regardless of prefixes and indentation.
func flatten(el *etree.Element) []string {
	var out []string
	for _, c := range el.ChildElements() {
		out = append(out, c.NamespaceURI()+" "+c.Tag+" "+strings.TrimSpace(c.Text()))
		for _, a := range c.Attr {
			if a.Space != "xmlns" && a.Key != "xmlns" {
				out = append(out, "@"+a.NamespaceURI()+" "+a.Key+"="+a.Value)
			}
		}
		out = append(out, flatten(c)...)
	}
	return out
}

// sampleReply is what the adapter answered to a sample.
type sampleReply struct {
	code string // the result code
	body string // the whole response
}

// sendSample posts a sample as the README's curl line does, checks that
// the answer is a well-formed response to it, and returns its result code.
func sendSample(t *testing.T, adapterURL, file string) sampleReply {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sampleDir, file))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	sent := etree.NewDocument()
	if err := sent.ReadFromBytes(data); err != nil {
		t.Fatalf("%s is not XML: %v", file, err)
	}
	sentHeader := child(sent.Root(), nsEnvelope, "Header")
	sentBody := bodyElements(sent.Root())
	if sentHeader == nil || len(sentBody) != 1 {
		t.Fatalf("%s is not a SOAP envelope with a header and one body element", file)
	}
	ns := sentBody[0].NamespaceURI()

	res, err := http.Post(adapterURL, "text/xml; charset=utf-8", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("POST %s: %v", file, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		t.Fatalf("read the answer to %s: %v", file, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: got HTTP %d, want 200\n%s", file, res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("%s: got Content-Type %q, want text/xml", file, ct)
	}
	got := etree.NewDocument()
	if err := got.ReadFromBytes(body); err != nil {
		t.Fatalf("%s: the answer is not XML: %v\n%s", file, err, body)
	}
	env := got.Root()
	if env == nil || env.Tag != "Envelope" || env.NamespaceURI() != nsEnvelope {
		t.Fatalf("%s: the answer is not a SOAP 1.1 envelope\n%s", file, body)
	}

	// The header comes back as it was sent.
	gotHeader := child(env, nsEnvelope, "Header")
	if gotHeader == nil || !slices.Equal(flatten(gotHeader), flatten(sentHeader)) {
		t.Errorf("%s: the response header does not echo the request's\n%s", file, body)
	}

	// One body element, the service code plus Response, with a result code.
	code := sampleCode(file)
	elems := bodyElements(env)
	if len(elems) != 1 || elems[0].Tag != code+"Response" || elems[0].NamespaceURI() != ns {
		t.Fatalf("%s: got body %v, want one %sResponse in %s\n%s",
			file, tags(elems), code, ns, body)
	}
	resultCode := text(child(child(elems[0], ns, "result"), ns, "code"))
	if resultCode == "" {
		t.Fatalf("%s: the response has no result code\n%s", file, body)
	}
	return sampleReply{code: resultCode, body: string(body)}
}

func tags(els []*etree.Element) []string {
	var out []string
	for _, e := range els {
		out = append(out, e.FullTag())
	}
	return out
}

func TestSampleRequests(t *testing.T) {
	dbURL, demo, _ := seededRegistry(t)
	if string(demo.Vehicle.VIN) != sampleVIN || string(demo.Owner.PIN) != sampleOwner ||
		demo.CertificateNumber != sampleCertificate || string(demo.Buyer.PIN) != sampleBuyer {
		t.Fatalf("SeedDemo(1) gave vehicle %s, owner %s, certificate %s, buyer %s; "+
			"testdata/requests is written for %s, %s, %s, %s",
			demo.Vehicle.VIN, demo.Owner.PIN, demo.CertificateNumber, demo.Buyer.PIN,
			sampleVIN, sampleOwner, sampleCertificate, sampleBuyer)
	}
	s := startStack(t, dbURL, "-1s")

	// What each sample gets from a fresh demo registry, sent in file-name
	// order. The ids known only at run time are fake, so those samples get
	// a coded refusal.
	want := map[string]string{
		"acceptTransfer.xml":                   "TRANSFER_NOT_FOUND",
		"cancelTransfer.xml":                   "TRANSFER_NOT_FOUND",
		"checkVehicle.xml":                     "OK",
		"confirmPayment.xml":                   "ORDER_NOT_FOUND",
		"getRegistrationCertificate-buyer.xml": "NOT_OWNER",
		"getRegistrationCertificate.xml":       "OK",
		"getTransferStatus.xml":                "TRANSFER_NOT_FOUND",
		"getVinPhotos.xml":                     "TRANSFER_NOT_FOUND",
		"initiateTransfer.xml":                 "OK",
		"listPendingInspections.xml":           "OK",
		"submitInspection.xml":                 "TRANSFER_NOT_FOUND",
		"uploadVinPhotos.xml":                  "TRANSFER_NOT_FOUND",
	}
	for _, file := range sampleFiles(t) {
		t.Run(strings.TrimSuffix(file, ".xml"), func(t *testing.T) {
			wantCode, ok := want[file]
			if !ok {
				t.Fatalf("no expected result for %s; add one to this test", file)
			}
			if got := sendSample(t, s.adapterURL, file); got.code != wantCode {
				t.Errorf("got result %s, want %s\n%s", got.code, wantCode, got.body)
			}
		})
	}

	// The sample carries a fixed X-Road message id, so sending it again is
	// a repeated delivery of the same message: the reply journal answers it
	// with the recorded OK instead of acting again.
	if got := sendSample(t, s.adapterURL, "initiateTransfer.xml"); got.code != "OK" {
		t.Errorf("initiateTransfer.xml again: got %s, want the recorded OK", got.code)
	}
}

func TestSamplesCoverTheWSDL(t *testing.T) {
	doc, err := wsdl.Document(wsdl.Vehicle, "http://127.0.0.1:8090/xroad")
	if err != nil {
		t.Fatal(err)
	}
	w := etree.NewDocument()
	if err := w.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, pt := range w.Root().SelectElements("portType") {
		for _, op := range pt.SelectElements("operation") {
			ops = append(ops, op.SelectAttrValue("name", ""))
		}
	}
	if len(ops) == 0 {
		t.Fatal("the vehicle WSDL names no operations")
	}

	files := sampleFiles(t)
	for _, op := range ops {
		if !slices.Contains(files, op+".xml") {
			t.Errorf("operation %s: no %s/%s.xml", op, sampleDir, op)
		}
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(file, ".xml"), func(t *testing.T) {
			code := sampleCode(file)
			if !slices.Contains(ops, code) {
				t.Fatalf("got a sample for %s, which is not an operation of the WSDL", code)
			}
			data, err := os.ReadFile(filepath.Join(sampleDir, file))
			if err != nil {
				t.Fatal(err)
			}
			d := etree.NewDocument()
			if err := d.ReadFromBytes(data); err != nil {
				t.Fatalf("not XML: %v", err)
			}
			svc := child(child(d.Root(), nsEnvelope, "Header"), nsXRoad, "service")
			gotCode := text(child(svc, nsID, "serviceCode"))
			gotVersion := text(child(svc, nsID, "serviceVersion"))
			if gotCode != code || gotVersion != "v1" {
				t.Errorf("header service: got %s %s, want %s v1", gotCode, gotVersion, code)
			}
			els := bodyElements(d.Root())
			if len(els) != 1 || els[0].Tag != code {
				t.Errorf("body: got %v, want one %s", tags(els), code)
			}
		})
	}
}
