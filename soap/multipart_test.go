package soap

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// swaEnvelope is an envelope calling EE/BUSINESS/producer's service test.
func swaEnvelope(t *testing.T) string {
	t.Helper()
	ct := "multipart/related; boundary=jetty771207119h3h10dty"
	return string(rootPart(t, ct, readTestdata(t, "corpus/attachments.query")))
}

// part is one MIME part for multipartBody.
type part struct {
	header string // header lines, "\r\n"-separated, without the blank line
	body   string
}

// multipartBody joins parts with boundary "BOUNDARY" and CRLF line ends.
func multipartBody(parts ...part) []byte {
	var b strings.Builder
	b.WriteString("preamble\r\n")
	for _, p := range parts {
		b.WriteString("--BOUNDARY\r\n" + p.header + "\r\n\r\n" + p.body + "\r\n")
	}
	b.WriteString("--BOUNDARY--\r\n")
	return []byte(b.String())
}

// TestMultipart sends multipart/related messages of many shapes and checks
// what the Service receives.
func TestMultipart(t *testing.T) {
	env := swaEnvelope(t)
	binary := string([]byte{0, 1, 2, 0xfe, 0xff, '\r', '\n', 0x80})
	tests := []struct {
		name  string
		ct    string
		parts []part
		want  []string // attachment contents in order
		ids   []string // attachment Content-IDs in order
	}{
		{"root first without start", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml; charset=UTF-8", env},
			{"Content-Type: text/plain\r\nContent-ID: <a@x>", "one"},
			{"Content-Type: text/plain\r\nContent-ID: b@x", "two"},
		}, []string{"one", "two"}, []string{"a@x", "b@x"}},
		{"start names the second part", `multipart/related; boundary=BOUNDARY; start="<root@x>"`,
			[]part{
				{"Content-Type: text/plain\r\nContent-ID: <a@x>", "first"},
				{"Content-Type: text/xml\r\nContent-ID: <root@x>", env},
				{"Content-Type: text/plain\r\nContent-ID: <c@x>", "third"},
			}, []string{"first", "third"}, []string{"a@x", "c@x"}},
		{"start without brackets, Content-ID with", `multipart/related; boundary=BOUNDARY; start="root@x"`,
			[]part{
				{"Content-Type: text/plain", "first"},
				{"Content-Type: text/xml\r\nContent-ID: <root@x>", env},
			}, []string{"first"}, []string{""}},
		{"start with brackets, Content-ID without", `multipart/related; boundary=BOUNDARY; start="<root@x>"`,
			[]part{
				{"Content-ID: root@x\r\nContent-Type: text/xml", env},
				{"Content-Type: text/plain", "second"},
			}, []string{"second"}, []string{""}},
		{"folded headers", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml;\r\n charset=UTF-8", env},
			{"Content-Type: text/plain;\r\n\tcharset=UTF-8\r\nContent-ID:\r\n <folded@x>", "x"},
		}, []string{"x"}, []string{"folded@x"}},
		{"transfer encodings", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml\r\nContent-Transfer-Encoding: 8bit", env},
			{"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64",
				"AAEC/v8NCoA=\r\n"},
			{"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable",
				"caf=C3=A9 soft=\r\nbreak"},
			{"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary", binary},
			{"Content-Type: text/plain\r\nContent-Transfer-Encoding: 7BIT", "seven"},
		}, []string{binary, "café softbreak", binary, "seven"}, []string{"", "", "", ""}},
		{"base64 root part", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml\r\nContent-Transfer-Encoding: base64", b64(env)},
		}, nil, nil},
		{"nested multipart kept whole", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml", env},
			{"Content-Type: multipart/mixed; boundary=INNER",
				"--INNER\r\nContent-Type: text/plain\r\n\r\ninner\r\n--INNER--"},
		}, []string{"--INNER\r\nContent-Type: text/plain\r\n\r\ninner\r\n--INNER--"}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &echoService{}
			h := &Handler{Service: svc, Provider: producer}
			r := post(t, h, tt.ct, multipartBody(tt.parts...))
			if r.status != http.StatusOK {
				t.Fatalf("got %d %s, want 200\n%s", r.status, r.fault(), r.body)
			}
			if len(svc.got) != 1 {
				t.Fatalf("got %d calls, want 1", len(svc.got))
			}
			got := svc.atts[0]
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("got attachments %q, want %q", got, tt.want)
			}
			for i, a := range svc.got[0].Attachments {
				if i < len(tt.ids) && a.ContentID != tt.ids[i] {
					t.Errorf("attachment %d: got Content-ID %q, want %q", i, a.ContentID, tt.ids[i])
				}
				if a.Size() != int64(len(tt.want[i])) {
					t.Errorf("attachment %d: got size %d, want %d", i, a.Size(), len(tt.want[i]))
				}
			}
		})
	}
}

// TestMultipartFaults checks the faults for broken multipart messages.
func TestMultipartFaults(t *testing.T) {
	env := swaEnvelope(t)
	tests := []struct {
		name  string
		ct    string
		parts []part
		want  string
		echo  bool
	}{
		{"no boundary parameter", "multipart/related", []part{{"Content-Type: text/xml", env}},
			CodeInvalidContentType, false},
		{"start names no part", `multipart/related; boundary=BOUNDARY; start="<nope>"`,
			[]part{{"Content-Type: text/xml", env}}, CodeMimeParsingFailed, false},
		{"unknown transfer encoding", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml", env},
			{"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-rot13", "x"},
		}, CodeInvalidContentType, true},
		{"bad base64 attachment", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml", env},
			{"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64", "!!!!"},
		}, CodeMimeParsingFailed, true},
		{"root part is text/plain", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/plain", env},
		}, CodeInvalidContentType, false},
		{"mixed instead of related", "multipart/mixed; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml", env},
		}, CodeInvalidContentType, false},
		{"broken XML in root", "multipart/related; boundary=BOUNDARY", []part{
			{"Content-Type: text/xml", env[:len(env)/2]},
		}, CodeInvalidXML, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &echoService{}
			h := &Handler{Service: svc, Provider: producer}
			r := post(t, h, tt.ct, multipartBody(tt.parts...))
			if r.status != http.StatusInternalServerError || r.fault() != tt.want {
				t.Fatalf("got %d %q, want 500 %q\n%s", r.status, r.fault(), tt.want, r.body)
			}
			if (r.header() != nil) != tt.echo {
				t.Errorf("got header echoed %v, want %v", r.header() != nil, tt.echo)
			}
			if len(svc.got) != 0 {
				t.Errorf("the service was called")
			}
		})
	}
}

// TestMTOM checks that xop:Include resolves to its part, through
// Request.Content, and that an unresolved one is refused.
func TestMTOM(t *testing.T) {
	var got []string
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		a, err := req.Content(req.Body)
		if err != nil {
			return nil, err
		}
		b, err := a.Bytes()
		got = append(got, a.ContentType+"="+string(b))
		return &Response{Body: NewResponseElement(req)}, err
	})
	h := &Handler{Service: svc, Provider: producer}
	corpus := readTestdata(t, "corpus/attachm-mtom.query")
	ct := `Multipart/Related; start-info="application/soap+xml"; type="application/xop+xml"; ` +
		`boundary="jetty771207119h3h10dty"`
	r := post(t, h, ct, corpus)
	if r.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200\n%s", r.status, r.fault(), r.body)
	}
	if want := "text/plain; charset=UTF-8; name=attachment.txt=foobar"; len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want [%q]", got, want)
	}

	broken := strings.Replace(string(corpus), "cid:42a7", "cid:0000", 1)
	r = post(t, h, ct, []byte(broken))
	if r.fault() != CodeInvalidBody || r.header() == nil {
		t.Errorf("unresolved xop:Include: got %q (header %v), want %s with the header",
			r.fault(), r.header() != nil, CodeInvalidBody)
	}
}
