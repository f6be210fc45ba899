package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measured run at one concurrency.
type result struct {
	n        int           // requests that succeeded
	failed   int           // requests that failed
	took     time.Duration // wall time of the run
	p50, p99 time.Duration
	lats     []time.Duration
}

// merge adds the runs of o to r, as if they had been one run.
func (r result) merge(o result) result {
	m := result{n: r.n + o.n, failed: r.failed + o.failed, took: r.took + o.took}
	m.percentiles(append(append([]time.Duration(nil), r.lats...), o.lats...))
	return m
}

// rate is requests per second.
func (r result) rate() float64 { return float64(r.n) / r.took.Seconds() }

// percentiles fills p50 and p99 from the latencies seen.
func (r *result) percentiles(lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	r.lats = lat
	r.p50 = lat[len(lat)*50/100]
	r.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
}

// request makes the body of the i-th request.
type request func(i int) []byte

// hammer posts requests from conc workers for d (and at most max requests
// in all, as a bound) and measures them. A response is good when its status
// is 200 and it holds want.
func hammer(ctx context.Context, url string, conc int, d time.Duration, max int64, mk request,
	want []byte) result {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: conc,
		MaxConnsPerHost:     conc,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		next   atomic.Int64
		mu     sync.Mutex
		lats   []time.Duration
		failed int
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > max {
					break
				}
				t0 := time.Now()
				ok := post(ctx, hc, url, mk(int(i)), want)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not counted
				}
				if ok {
					mine = append(mine, time.Since(t0))
				} else {
					bad++
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			failed += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	r := result{n: len(lats), failed: failed, took: time.Since(start)}
	r.percentiles(lats)
	return r
}

// post sends one request and checks the answer.
func post(ctx context.Context, hc *http.Client, url string, body, want []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return err == nil && resp.StatusCode == http.StatusOK && bytes.Contains(b, want)
}

// String formats r for the report table.
func (r result) String() string {
	return fmt.Sprintf("%8.0f/s  p50 %7.2fms  p99 %7.2fms  (%d ok, %d failed)", r.rate(),
		ms(r.p50), ms(r.p99), r.n, r.failed)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
