package soap

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNewServer serves a Handler on loopback with NewServer and checks
// that a client that sends nothing is cut off by the read-header timeout
// while a real call goes through.
func TestNewServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ln.Addr().String(), &Handler{Service: nopService{}, Provider: bank})
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.IdleTimeout == 0 ||
		srv.WriteTimeout == 0 {
		t.Fatalf("got a server without timeouts: %+v", srv)
	}
	srv.ReadHeaderTimeout = 100 * time.Millisecond
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	c := testClient("http://" + ln.Addr().String() + "/xroad")
	resp, err := c.Do(context.Background(), testCall(t))
	if err != nil {
		t.Fatalf("call through NewServer: %v", err)
	}
	_ = resp.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = conn.Write([]byte("POST /xroad HTTP/1.1\r\n"))
	// The server may answer the stalled request before closing; what
	// matters is that it closes long before our 5 s deadline.
	if _, err := io.ReadAll(conn); err != nil {
		t.Errorf("got %v, want the server to close the stalled connection", err)
	}
}

// TestMTOMResponse checks that a Service answering with xop:Include goes
// out as MTOM and that the Client resolves it through Response.Content.
func TestMTOMResponse(t *testing.T) {
	var ct string
	svc := ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
		body := NewResponseElement(req)
		inc := body.CreateElement("photo").CreateElement("xop:Include")
		inc.CreateAttr("xmlns:xop", NSXOP)
		inc.CreateAttr("href", "cid:photo-1%40bank")
		return &Response{Body: body,
			Attachments: []*Attachment{NewAttachment("photo-1@bank", "image/jpeg", []byte("JPEG"))}}, nil
	})
	h := &Handler{Service: svc, Provider: bank}
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		ct = w.Header().Get("Content-Type")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	resp, err := testClient("http://"+ln.Addr().String()).Do(context.Background(), testCall(t))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if !strings.Contains(ct, `type="application/xop+xml"`) || !strings.Contains(ct, "start=") {
		t.Errorf("got Content-Type %q, want MTOM", ct)
	}
	a, err := resp.Content(resp.Body.FindElement("photo"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := a.Bytes(); string(b) != "JPEG" || a.ContentType != "image/jpeg" {
		t.Errorf("got %q %q, want JPEG image/jpeg", b, a.ContentType)
	}
}
