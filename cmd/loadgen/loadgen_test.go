package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// A quick smoke test: the measurement itself runs by hand (see README.md).
func TestHammerCountsGoodAnswers(t *testing.T) {
	tmpl, err := newTemplate("checkVehicle", func(i int) any {
		return &vehicle.CheckVehicle{Vin: []string{"XWB4A11B88F039611", "JTDKB20U093512345"}[i%2]}
	})
	if err != nil {
		t.Fatal(err)
	}
	var seen [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if len(seen) < 2 {
			seen = append(seen, b)
		}
		io.WriteString(w, "<code>OK</code>")
	}))
	defer srv.Close()

	r := hammer(context.Background(), srv.URL, 1, 5*time.Second, 10, tmpl.make, []byte("<code>OK</code>"))
	if r.n != 10 || r.failed != 0 {
		t.Errorf("got %d ok and %d failed, want 10 and 0", r.n, r.failed)
	}
	if r.p50 <= 0 || r.p99 < r.p50 {
		t.Errorf("got p50 %s p99 %s, want 0 < p50 <= p99", r.p50, r.p99)
	}
	for i, want := range []string{"load-1</xrd:id>", "JTDKB20U093512345", "load-2</xrd:id>",
		"XWB4A11B88F039611"} {
		if got := seen[i/2]; !bytes.Contains(got, []byte(want)) {
			t.Errorf("got request %d %s, want %s in it", i/2+1, got, want)
		}
	}
}

func TestParseLevels(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{{"1,8,32,64", 4, false}, {"0", 0, true}, {"x", 0, true}}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLevels(tt.in)
			if (err != nil) != tt.wantErr || len(got) != tt.want {
				t.Errorf("got %v, %v; want %d levels, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
