package soap

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDiverter checks which text the diverter moves out of the XML.
func TestDiverter(t *testing.T) {
	long := strings.Repeat("QUJD", 5) // 20 base64 characters
	ph := func(n string) string { return `<i:spooled xmlns:i="` + NSInline + `" n="` + n + `"/>` }
	tests := []struct {
		name, in, want string
		moved          []string // decoded content of each moved run
		err            bool
	}{
		{"short text stays", "<a>QUJD</a>", "<a>QUJD</a>", nil, false},
		{"long base64 moves", "<a>" + long + "</a>", "<a>" + ph("0") + "</a>",
			[]string{strings.Repeat("ABC", 5)}, false},
		{"with line breaks", "<a>\n" + long + "\n" + long + "\n</a><b>" + long + "</b>",
			"<a>" + ph("0") + "</a><b>" + ph("1") + "</b>",
			[]string{strings.Repeat("ABC", 10), strings.Repeat("ABC", 5)}, false},
		{"attribute stays", `<a x="` + long + `>` + long + `"/>`, `<a x="` + long + `>` + long + `"/>`,
			nil, false},
		{"comment stays", "<a><!-- " + long + " --></a>", "<a><!-- " + long + " --></a>", nil, false},
		{"CDATA stays", "<a><![CDATA[" + long + "]]></a>", "<a><![CDATA[" + long + "]]></a>", nil, false},
		{"PI stays", "<?x " + long + "?><a/>", "<?x " + long + "?><a/>", nil, false},
		{"long text with a dot", "<a>" + long + ".</a>", "", nil, true},
		{"dot early keeps text", "<a>x." + long + "</a>", "<a>x." + long + "</a>", nil, false},
		{"whitespace only moves too", "<a>" + strings.Repeat(" ", 30) + "</a>",
			"<a>" + ph("0") + "</a>", []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := &spool{dir: t.TempDir()}
			defer sp.remove()
			d := newDiverter(strings.NewReader(tt.in), 16, 1<<20, sp)
			out, err := io.ReadAll(d)
			var le *LimitError
			if tt.err {
				if !errors.As(err, &le) {
					t.Fatalf("got %v, want a *LimitError", err)
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Fatalf("got %q, %v; want %q", out, err, tt.want)
			}
			if len(d.inline) != len(tt.moved) {
				t.Fatalf("got %d moved runs, want %d", len(d.inline), len(tt.moved))
			}
			for i, a := range d.inline {
				b, err := a.Bytes()
				if err != nil || string(b) != tt.moved[i] || a.Size() != int64(len(tt.moved[i])) {
					t.Errorf("run %d: got %q (size %d), %v; want %q", i, b, a.Size(), err, tt.moved[i])
				}
			}
		})
	}
}

// TestInlineContent sends a photo inline above the threshold and reads it
// back through Request.Content; a header field that long is refused.
func TestInlineContent(t *testing.T) {
	photo := strings.Repeat("photo bytes ", 200)
	enc := base64.StdEncoding.EncodeToString([]byte(photo))
	var got string
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		a, err := req.Content(req.Body.FindElement("request/name"))
		if err != nil {
			return nil, err
		}
		b, err := a.Bytes()
		got = string(b)
		return &Response{Body: NewResponseElement(req)}, err
	})
	h := &Handler{Service: svc, Provider: producer, Limits: Limits{InlineThreshold: 100}}

	r := post(t, h, "text/xml", simpleWith(t, "<name>foo", "<name>"+b64(string(photo))))
	if r.status != http.StatusOK || got != photo {
		t.Fatalf("got %d %s and %d bytes, want 200 and the photo", r.status, r.fault(), len(got))
	}
	r = post(t, h, "text/xml", simpleWith(t, "<name>foo", "<name>"+enc[:48]))
	if r.status != http.StatusOK || got != string(mustB64(t, enc[:48])) {
		t.Errorf("short inline: got %d %q", r.status, got)
	}
	r = post(t, h, "text/xml", simpleWith(t, "<xroad:id>1234567890", "<xroad:id>"+enc))
	if r.fault() != CodeLimitExceeded || r.header() != nil {
		t.Errorf("long header field: got %q, echo %v; want %s without echo",
			r.fault(), r.header() != nil, CodeLimitExceeded)
	}
}

// mustB64 decodes base64 or fails the test.
func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSetContent streams content as base64 both ways: the Client's call
// and the Service's response each carry a photo set with SetContent, large
// enough to be moved to a file on arrival, plus a small one kept inline.
func TestSetContent(t *testing.T) {
	const size = 3 << 20
	photo := func() *Attachment {
		return NewAttachmentFunc("", "image/jpeg", size, func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(writePhoto(pw, size, false)) }()
			return pr, nil
		})
	}
	readSum := func(a *Attachment, err error) string {
		if err != nil {
			return err.Error()
		}
		rc, err := a.Open()
		if err != nil {
			return err.Error()
		}
		defer rc.Close()
		hs := sha256.New()
		n, err := io.Copy(hs, rc)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%d %x", n, hs.Sum(nil))
	}
	want := photoSum(size)

	var gotReq, gotSmall string
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		gotReq = readSum(req.Content(req.Body.FindElement("photo")))
		small, err := req.Content(req.Body.FindElement("small"))
		if err == nil {
			b, _ := small.Bytes()
			gotSmall = string(b)
		}
		resp := &Response{Body: NewResponseElement(req)}
		resp.SetContent(resp.Body.CreateElement("photo"), photo())
		return resp, nil
	})
	srv := httptest.NewServer(&Handler{Service: svc, Provider: bank})
	defer srv.Close()

	call := testCall(t)
	call.SetContent(call.Body.CreateElement("photo"), photo())
	call.SetContent(call.Body.CreateElement("small"), NewAttachment("", "", []byte("tiny")))
	resp, err := testClient(srv.URL).Do(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if gotReq != want || gotSmall != "tiny" {
		t.Errorf("service got %s and %q, want %s and tiny", gotReq, gotSmall, want)
	}
	if got := readSum(resp.Content(resp.Body.FindElement("photo"))); got != want {
		t.Errorf("client got %s, want %s", got, want)
	}
}
