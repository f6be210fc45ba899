package soap

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestLimits sends messages over each limit through a real HTTP server
// and checks that a Client.LimitExceeded fault with HTTP 500 arrives.
func TestLimits(t *testing.T) {
	env := swaEnvelope(t)
	deep := strings.Repeat("<a>", 80) + strings.Repeat("</a>", 80)
	many := strings.Repeat("<a/>", 300)
	att := func(n int, size int) []part {
		ps := []part{{"Content-Type: text/xml", env}}
		for i := 0; i < n; i++ {
			ps = append(ps, part{"Content-Type: application/octet-stream", strings.Repeat("x", size)})
		}
		return ps
	}
	tests := []struct {
		name   string
		limits Limits
		ct     string
		body   []byte
		want   string
	}{
		{"within all limits", Limits{MaxMessageSize: 4096, MaxAttachments: 3, MaxAttachmentSize: 100},
			"multipart/related; boundary=BOUNDARY", multipartBody(att(3, 100)...), ""},
		{"message size", Limits{MaxMessageSize: 1000}, "text/xml", simpleWith(t), CodeLimitExceeded},
		{"message size, multipart", Limits{MaxMessageSize: 2000},
			"multipart/related; boundary=BOUNDARY", multipartBody(att(1, 5000)...), CodeLimitExceeded},
		{"envelope size", Limits{MaxEnvelopeSize: 1000}, "text/xml", simpleWith(t), CodeLimitExceeded},
		{"attachment count", Limits{MaxAttachments: 2},
			"multipart/related; boundary=BOUNDARY", multipartBody(att(3, 1)...), CodeLimitExceeded},
		{"attachment size", Limits{MaxAttachmentSize: 99},
			"multipart/related; boundary=BOUNDARY", multipartBody(att(1, 100)...), CodeLimitExceeded},
		{"depth", Limits{}, "text/xml", simpleWith(t, "<name>foo</name>", deep), CodeLimitExceeded},
		{"depth raised", Limits{MaxDepth: 100}, "text/xml", simpleWith(t, "<name>foo</name>", deep), ""},
		{"element count", Limits{MaxElements: 200}, "text/xml",
			simpleWith(t, "<name>foo</name>", many), CodeLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{Service: &echoService{}, Provider: producer, Limits: tt.limits}
			srv := httptest.NewServer(h)
			defer srv.Close()
			res, err := http.Post(srv.URL, tt.ct, strings.NewReader(string(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			r := toReply(t, res.StatusCode, res.Header.Get("Content-Type"), readAll(t, res.Body))
			want := http.StatusOK
			if tt.want != "" {
				want = http.StatusInternalServerError
			}
			if r.status != want || r.fault() != tt.want {
				t.Errorf("got %d %q, want %d %q\n%s", r.status, r.fault(), want, tt.want, r.body)
			}
		})
	}
}

// TestLimitHugeBody sends a body far over the limit and checks that the
// fault still arrives instead of a reset connection.
func TestLimitHugeBody(t *testing.T) {
	h := &Handler{Service: &echoService{}, Provider: producer,
		Limits: Limits{MaxMessageSize: 64 << 10}}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := io.MultiReader(strings.NewReader(string(simpleWith(t, "<name>foo", "<name>"))),
		io.LimitReader(zeros{}, 8<<20))
	res, err := http.Post(srv.URL, "text/xml", body)
	if err != nil {
		t.Fatalf("got %v, want a fault response", err)
	}
	defer res.Body.Close()
	r := toReply(t, res.StatusCode, res.Header.Get("Content-Type"), readAll(t, res.Body))
	if r.status != 500 || r.fault() != CodeLimitExceeded {
		t.Errorf("got %d %q, want 500 %s", r.status, r.fault(), CodeLimitExceeded)
	}
}

// zeros reads as endless 'a' bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestSpool checks that a large attachment goes to a temporary file that
// is removed once the service returns, and a small one stays in memory.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	var files []string
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		entries, err := os.ReadDir(dir)
		for _, e := range entries {
			files = append(files, e.Name())
		}
		for _, a := range req.Attachments {
			b, rerr := a.Bytes()
			if rerr != nil || len(b) != int(a.Size()) {
				return nil, fmt.Errorf("attachment %d bytes, size %d: %v", len(b), a.Size(), rerr)
			}
		}
		return &Response{Body: NewResponseElement(req)}, err
	})
	h := &Handler{Service: svc, Provider: producer,
		Limits: Limits{SpoolThreshold: 1024, TempDir: dir}}
	body := multipartBody(part{"Content-Type: text/xml", swaEnvelope(t)},
		part{"Content-Type: text/plain", strings.Repeat("s", 1024)},
		part{"Content-Type: text/plain", strings.Repeat("L", 1025)})
	r := post(t, h, "multipart/related; boundary=BOUNDARY", body)
	if r.status != 200 {
		t.Fatalf("got %d %s\n%s", r.status, r.fault(), r.body)
	}
	if len(files) != 1 {
		t.Errorf("got %d spooled files during the call, want 1", len(files))
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("got %d files left after the call, want 0", len(left))
	}
}

// TestLargeAttachmentMemory streams a 20 MiB attachment as SwA (binary and
// base64) and as MTOM, and checks through runtime memory statistics that
// the heap grows by far less than the attachment.
func TestLargeAttachmentMemory(t *testing.T) {
	const size = 20 << 20
	mtomEnv := strings.Replace(swaEnvelope(t), `<ns1:test xmlns:ns1="http://cosumer.ee.xroad.net" />`,
		`<ns1:test xmlns:ns1="http://cosumer.ee.xroad.net"><xop:Include xmlns:xop="`+NSXOP+
			`" href="cid:photo%40x"/></ns1:test>`, 1)
	tests := []struct {
		name, ct, rootType, env, cte string
	}{
		{"SwA binary", "multipart/related; boundary=BOUNDARY", "text/xml", swaEnvelope(t), "binary"},
		{"SwA base64", "multipart/related; boundary=BOUNDARY", "text/xml", swaEnvelope(t), "base64"},
		{"MTOM", `multipart/related; boundary=BOUNDARY; type="application/xop+xml"`,
			`application/xop+xml; type="text/xml"`, mtomEnv, "binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var growth int64
			var sum string
			svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
				growth = heapNow() - baseline
				if len(req.Attachments) != 1 {
					return nil, fmt.Errorf("got %d attachments, want 1", len(req.Attachments))
				}
				a := req.Attachments[0]
				if len(includes(req.Body)) > 0 {
					var err error
					if a, err = req.Content(req.Body); err != nil {
						return nil, err
					}
				}
				rc, err := a.Open()
				if err != nil {
					return nil, err
				}
				defer rc.Close()
				hs := sha256.New()
				n, err := io.Copy(hs, rc)
				sum = fmt.Sprintf("%d %x", n, hs.Sum(nil))
				return &Response{Body: NewResponseElement(req)}, err
			})
			srv := httptest.NewServer(&Handler{Service: svc, Provider: producer,
				Limits: Limits{TempDir: t.TempDir()}})
			defer srv.Close()

			pr, pw := io.Pipe()
			go func() {
				bw := bufio.NewWriterSize(pw, 64<<10)
				_, err := fmt.Fprintf(bw, "--BOUNDARY\r\nContent-Type: %s\r\n\r\n%s\r\n"+
					"--BOUNDARY\r\nContent-Type: image/jpeg\r\nContent-ID: <photo@x>\r\n"+
					"Content-Transfer-Encoding: %s\r\n\r\n", tt.rootType, tt.env, tt.cte)
				if err == nil {
					err = writePhoto(bw, size, tt.cte == "base64")
				}
				if err == nil {
					_, err = io.WriteString(bw, "\r\n--BOUNDARY--\r\n")
				}
				if err == nil {
					err = bw.Flush()
				}
				pw.CloseWithError(err)
			}()
			baseline = heapNow()
			res, err := http.Post(srv.URL, tt.ct, pr)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("got status %d: %s", res.StatusCode, readAll(t, res.Body))
			}
			if want := photoSum(size); sum != want {
				t.Errorf("got content %s, want %s", sum, want)
			}
			t.Logf("heap growth %d bytes", growth)
			if growth > size/10 {
				t.Errorf("got heap growth %d bytes for a %d byte attachment, want under %d",
					growth, size, size/10)
			}
		})
	}
}

// baseline is the heap size before a memory test's request.
var baseline int64

// heapNow collects garbage and returns the bytes in live heap objects.
func heapNow() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// photoByte is the i'th byte of the synthetic photo.
func photoByte(i int) byte { return byte(i*7 + i>>10) }

// writePhoto writes size bytes of synthetic photo to w, in base64 lines
// when b64 is set, through a small buffer.
func writePhoto(w io.Writer, size int, b64 bool) error {
	out := w
	var enc io.WriteCloser
	if b64 {
		enc = base64Lines(w)
		out = enc
	}
	buf := make([]byte, 32<<10)
	for i := 0; i < size; i += len(buf) {
		n := min(len(buf), size-i)
		for j := 0; j < n; j++ {
			buf[j] = photoByte(i + j)
		}
		if _, err := out.Write(buf[:n]); err != nil {
			return err
		}
	}
	if enc != nil {
		return enc.Close()
	}
	return nil
}

// photoSum returns "size sha256" of the synthetic photo.
func photoSum(size int) string {
	hs := sha256.New()
	_ = writePhoto(hs, size, false)
	return fmt.Sprintf("%d %x", size, hs.Sum(nil))
}
