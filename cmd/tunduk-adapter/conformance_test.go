package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// newTestApp assembles the adapter from the sample configuration on a
// fresh database and serves it over httptest.
func newTestApp(t *testing.T) *httptest.Server {
	t.Helper()
	c, err := loadConfig("../../testdata/adapter.toml")
	if err != nil {
		t.Fatal(err)
	}
	c.DatabaseURL = registrytest.URL(t)
	log := logrus.New()
	log.Out = io.Discard
	a, err := newApp(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.db.Close() })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	return srv
}

// TestCorpusAgainstAdapter sends every message of X-Road's own test corpus
// to the assembled adapter: none names our service, so each must come back
// as a SOAP fault with HTTP 500 and text/xml, the valid ones as
// Client.UnknownService with their header echoed.
func TestCorpusAgainstAdapter(t *testing.T) {
	srv := newTestApp(t)
	dir := "../../soap/testdata/corpus"
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(manifest), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("manifest line %q: got %d fields, want 3", line, len(f))
		}
		file, ct, verdict := f[0], f[1], f[2]
		n++
		t.Run(strings.TrimSuffix(file, ".query"), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.Post(srv.URL+"/xroad", ct, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			reply, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("got status %d, want 500", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/xml") {
				t.Errorf("got Content-Type %q, want text/xml", got)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(reply); err != nil {
				t.Fatalf("reply is not XML: %v\n%s", err, reply)
			}
			code := doc.FindElement("//faultcode")
			if code == nil {
				t.Fatalf("reply has no faultcode:\n%s", reply)
			}
			valid := strings.HasPrefix(verdict, "valid") && !strings.Contains(verdict, "may refuse")
			if valid && !strings.HasSuffix(code.Text(), "Client.UnknownService") {
				t.Errorf("got fault %q for a valid message, want Client.UnknownService", code.Text())
			}
			if valid && doc.FindElement("//Header/client") == nil {
				t.Errorf("the valid message's header was not echoed:\n%s", reply)
			}
		})
	}
	if n < 25 {
		t.Errorf("got %d corpus messages, want the whole corpus (27)", n)
	}
}
