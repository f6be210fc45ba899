package soap

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandler measures a whole exchange in the Handler: parse,
// validate, call a trivial Service, echo the header and serialise, for the
// small corpus message and for a 1 MB one.
func BenchmarkHandler(b *testing.B) {
	small := readTestdata(b, "corpus/simple.query")
	var items strings.Builder
	for i := 0; items.Len() < 1<<20; i++ {
		fmt.Fprintf(&items, "<item><n>%d</n><v>vehicle %d JTDKB20U0935%05d</v></item>\n", i, i, i)
	}
	large := bytes.Replace(small, []byte("<name>foo</name>"), []byte(items.String()), 1)

	for _, bm := range []struct {
		name string
		body []byte
	}{{"small", small}, {"1MB", large}} {
		b.Run(bm.name, func(b *testing.B) {
			h := &Handler{Service: &nopService{}, Provider: producer}
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.body)))
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/xroad", bytes.NewReader(bm.body))
				req.Header.Set("Content-Type", "text/xml; charset=utf-8")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("got status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
