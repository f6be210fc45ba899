package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/soap"
)

// TestPostsOutsideXRoad posts an X-Road message to paths of the X-Road
// listener other than /xroad, with the ops endpoints on it and on a
// listener of their own: each POST gets a Client.UnknownService fault with
// HTTP 500 and the header echoed, never a 404 or 405 page, while /xroad
// and the GET endpoints keep working.
func TestPostsOutsideXRoad(t *testing.T) {
	msg, err := os.ReadFile(filepath.Join(sampleDir, "checkVehicle.xml"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/", "/xroad/", "/XROAD", "/Xroad", "/xroad/x", "/wsdl", "/metrics",
		"/healthz", "/readyz", "/debug/pprof/", "/nowhere", "//xroad", "/a/../xroad",
		"/xroad%2F"}
	setups := []struct {
		name string
		edit func(c *config)
		gets []string // GET paths answering 200 on the X-Road listener
	}{
		{"ops on the X-Road listener", nil,
			[]string{"/wsdl", "/xroad?wsdl", "/healthz", "/readyz", "/metrics"}},
		{"ops on their own listener", func(c *config) { c.OpsListen = "127.0.0.1:0" },
			[]string{"/wsdl", "/xroad?wsdl"}},
	}
	// A redirect is an answer too: the client must not follow one.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	for _, st := range setups {
		t.Run(st.name, func(t *testing.T) {
			srv, a := newTestAppWith(t, st.edit)
			for _, path := range paths {
				t.Run("POST "+path, func(t *testing.T) {
					res, err := client.Post(srv.URL+path, "text/xml; charset=utf-8",
						bytes.NewReader(msg))
					if err != nil {
						t.Fatal(err)
					}
					checkMisrouted(t, res)
				})
			}
			t.Run("POST /xroad", func(t *testing.T) {
				res, err := client.Post(srv.URL+"/xroad", "text/xml; charset=utf-8",
					bytes.NewReader(msg))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("got HTTP %d, want 200", res.StatusCode)
				}
			})
			for _, path := range st.gets {
				t.Run("GET "+path, func(t *testing.T) { getOK(t, srv.URL+path) })
			}
			ops := httptest.NewServer(a.ops)
			defer ops.Close()
			for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
				t.Run("ops GET "+path, func(t *testing.T) { getOK(t, ops.URL+path) })
			}
		})
	}
}

// checkMisrouted checks that res is a Client.UnknownService fault with
// HTTP 500 that echoes the request's header and points to /xroad.
func checkMisrouted(t *testing.T, res *http.Response) {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusInternalServerError ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("got HTTP %d %s, want 500 text/xml\n%s", res.StatusCode,
			res.Header.Get("Content-Type"), b)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("the answer is not XML: %v\n%s", err, b)
	}
	if code := doc.FindElement("//Body/Fault/faultcode"); code == nil ||
		code.Text() != soap.CodeUnknownService {
		t.Errorf("got %s, want a %s fault", b, soap.CodeUnknownService)
	}
	if s := doc.FindElement("//Body/Fault/faultstring"); s == nil ||
		!strings.Contains(s.Text(), "POST to /xroad") {
		t.Errorf("got faultstring %v, want it to point to POST /xroad", s)
	}
	if doc.FindElement("//Header/client") == nil || doc.FindElement("//Header/id") == nil {
		t.Errorf("got no echoed X-Road header, want the request's\n%s", b)
	}
}

// getOK checks that a GET of url answers 200.
func getOK(t *testing.T, url string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Errorf("got HTTP %d, want 200\n%.300s", res.StatusCode, b)
	}
}
