package soap

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// corpusEntry is one line of testdata/corpus/MANIFEST.tsv.
type corpusEntry struct {
	file, contentType, verdict string
}

// readManifest reads the corpus manifest.
func readManifest(t *testing.T) []corpusEntry {
	t.Helper()
	var out []corpusEntry
	for _, line := range strings.Split(string(readTestdata(t, "corpus/MANIFEST.tsv")), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("manifest line %q: got %d fields, want 3", line, len(f))
		}
		out = append(out, corpusEntry{f[0], f[1], f[2]})
	}
	return out
}

// corpusFaults is the fault code each corpus message must get from a
// Handler whose provider is not the corpus's producer. Every valid message
// names a service that is not ours and so gets Client.UnknownService; the
// invalid ones get the code of their problem. echo says whether the
// request's header must come back.
var corpusFaults = map[string]struct {
	code string
	echo bool
}{
	"simple.query":                    {CodeUnknownService, true},
	"simple-representedparty.query":   {CodeUnknownService, true},
	"getstate.query":                  {CodeUnknownService, true},
	"getstate-subsystem.query":        {CodeUnknownService, true},
	"request-suffix.query":            {CodeUnknownService, true},
	"attachm.query":                   {CodeUnknownService, true},
	"attachments.query":               {CodeUnknownService, true},
	"attachm-mtom.query":              {CodeUnknownService, true},
	"smallAttachment.query":           {CodeUnknownService, true},
	"no-header.query":                 {CodeMissingHeader, false},
	"missing-body.query":              {CodeInvalidSoap, true},
	"faulty-header.query":             {CodeMissingHeaderField, true},
	"faulty-header2.query":            {CodeDuplicateHeaderField, true},
	"missing-protocolVersion.query":   {CodeMissingHeaderField, true},
	"malformed-protocolVersion.query": {CodeInvalidProtocolVersion, true},
	"wrong-protocolVersion.query":     {CodeInvalidProtocolVersion, true},
	"malformed-body1.query":           {CodeInvalidBody, true},
	"malformed-body2.query":           {CodeInvalidBody, true},
	"malformed-body3.query":           {CodeInconsistentHeaders, true},
	"inconsistent-headers.query":      {CodeInconsistentHeaders, true},
	"missingobjecttype.query":         {CodeMissingHeaderField, true},
	// The root part is text/xml, but the attachment's header is misspelt
	// (Cont-Type), leaving that part without a Content-Type.
	"attachm-error.query":    {CodeInvalidContentType, true},
	"attachm-no-soap.query":  {CodeInvalidContentType, false},
	"faulty-multipart.query": {CodeMimeParsingFailed, false},
	"empty.query":            {CodeInvalidXML, false},
	"simple-rpc.query":       {CodeInvalidSoap, true},
}

// TestCorpus sends every corpus message over HTTP to a Handler serving
// another subsystem and checks the manifest's verdict, the status, the
// fault code, the Content-Type and the echoed header.
func TestCorpus(t *testing.T) {
	entries := readManifest(t)
	files, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	var queries int
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".query") {
			queries++
		}
	}
	if queries != len(entries) || len(entries) != len(corpusFaults) {
		t.Fatalf("got %d corpus files, %d manifest lines, %d expectations; want them equal",
			queries, len(entries), len(corpusFaults))
	}

	svc := &echoService{}
	srv := httptest.NewServer(&Handler{Service: svc, Provider: ourProvider})
	defer srv.Close()

	for _, e := range entries {
		want, ok := corpusFaults[e.file]
		if !ok {
			t.Fatalf("no expectation for %s", e.file)
		}
		// A valid message must get UnknownService, unless the manifest
		// lets the service refuse it.
		valid := strings.HasPrefix(e.verdict, "valid") && !strings.Contains(e.verdict, "may refuse")
		if valid != (want.code == CodeUnknownService) {
			t.Fatalf("%s: manifest says %q but the expectation is %s", e.file, e.verdict, want.code)
		}
		body := readTestdata(t, "corpus/"+e.file)
		t.Run(strings.TrimSuffix(e.file, ".query"), func(t *testing.T) {
			checkCorpusReply(t, srv.URL, e.contentType, body, want.code, want.echo)
		})
		if e.file == "getstate-subsystem.query" {
			t.Run("getstate-subsystem-with-BOM", func(t *testing.T) {
				bom := append([]byte{0xEF, 0xBB, 0xBF}, body...)
				checkCorpusReply(t, srv.URL, e.contentType, bom, want.code, want.echo)
			})
		}
	}
	if len(svc.got) != 0 {
		t.Errorf("got %d requests passed to the service, want 0", len(svc.got))
	}
}

// checkCorpusReply posts one corpus message and checks the fault reply.
func checkCorpusReply(t *testing.T, url, ct string, body []byte, code string, echo bool) {
	t.Helper()
	res, err := http.Post(url, ct, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := toReply(t, res.StatusCode, res.Header.Get("Content-Type"), readAll(t, res.Body))

	if r.status != http.StatusInternalServerError {
		t.Errorf("got status %d, want 500", r.status)
	}
	if !strings.HasPrefix(r.contentType, "text/xml") {
		t.Fatalf("got Content-Type %q, want text/xml", r.contentType)
	}
	if got := r.fault(); got != code {
		t.Errorf("got fault %q, want %q\n%s", got, code, r.body)
	}
	got := r.header()
	if !echo {
		if got != nil {
			t.Errorf("got a header echoed, want none")
		}
		return
	}
	if got == nil {
		t.Fatalf("got no header echoed, want the request's")
	}
	want := requestHeader(t, rootPart(t, ct, body))
	if d := sameTree(want, got); d != "" {
		t.Errorf("echoed header differs from the request's: %s", d)
	}
}
