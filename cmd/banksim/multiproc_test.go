package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// multiSales is how many sales TestTwoAdapterProcesses drives at once.
const multiSales = 16

// TestTwoAdapterProcesses runs two `tunduk-adapter serve` processes on one
// registry against one faulty banksim: slow, failing a fraction of its
// requests with SOAP faults, carrying out another fraction without
// answering, and sending every confirmation three times, late enough that
// the reconcilers race the callbacks. The approvals are spread over both
// processes, and each callback goes to either of them. Both processes'
// outbox workers and reconcilers compete for the same orders; the run must
// end as one process would end it: every sale completed, each with one
// order, created at the bank once, none flagged, and the money invariants.
func TestTwoAdapterProcesses(t *testing.T) {
	r := newRig(t)
	nodes := []string{freeAddr(t), freeAddr(t)}

	// banksim calls the rig's adapter address; a relay there hands each
	// callback to the next node in turn, as a security server in front of
	// two nodes would. Each node's bank calls go through a relay of its
	// own, so the test can tell that both nodes' workers did work.
	callbacks := relay(t, r.adapterAt, nodes...)
	r.startBank("-latency", "50ms", "-soap-faults", "0.2", "-no-answer", "0.15",
		"-hold-for", "2s", "-duplicate-callbacks", "2", "-callback-delay", "1s", "-seed", "7")
	procs := make([]*proc, len(nodes))
	bankCalls := make([]*relayed, len(nodes))
	for i, at := range nodes {
		toBank := freeAddr(t)
		bankCalls[i] = relay(t, toBank, r.bankAt)
		procs[i] = r.serve(fmt.Sprintf("adapter %d", i+1), at, nil,
			"-security-server-url", "http://"+toBank+"/xroad")
	}

	// The sales are prepared one by one, then approved all at once, each
	// through the next node in turn.
	ctx := context.Background()
	ids, vins := make([]string, multiSales), make([]string, multiSales)
	for i := range ids {
		ids[i], vins[i] = r.sale(ctx)
	}
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := approveAt(ctx, nodes[i%len(nodes)], ids[i], vins[i])
			if err != nil || code != "OK" {
				t.Errorf("approve %s at node %d: got %q, %v; want OK", ids[i], i%len(nodes)+1, code, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	m := r.settle(ids, 25*time.Second)
	for _, id := range ids {
		if o := m[id]; o.state != string(adapter.Completed) || o.attention != "" {
			t.Errorf("%s: got %s (flag %q), want %s and no flag", id, o.state, o.attention,
				adapter.Completed)
		}
	}
	r.checkInvariants(ids, m)
	r.checkOneOrderEach(ids, m)
	if flagged, err := r.domain.FlaggedOrders(ctx, 10); err != nil || len(flagged) != 0 {
		t.Errorf("FlaggedOrders: got %d, %v; want none", len(flagged), err)
	}

	// The duplicates are sent after the first callback; wait for them, so
	// that the test knows the fault was in play.
	deadline := time.Now().Add(10 * time.Second)
	bank := r.bankOrders()
	for !allCallbacks(bank, ids, func(n int) bool { return n >= 3 }) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		bank = r.bankOrders()
	}
	for _, id := range ids {
		if n := bank[id].Callbacks; n < 3 {
			t.Errorf("%s: banksim sent %d callbacks, want at least 3", id, n)
		}
	}

	for i, p := range procs {
		if n := callbacks.served[i].Load(); n == 0 {
			t.Errorf("node %d: got no callbacks, want some", i+1)
		}
		if n := bankCalls[i].served[0].Load(); n == 0 {
			t.Errorf("node %d: made no bank calls, want some", i+1)
		}
		// Errors of single orders are recorded on the orders; this line
		// means a pass of a worker failed as a whole.
		if out := p.out.String(); strings.Contains(out, "payment workers") {
			t.Errorf("node %d: a payment worker failed:\n%s", i+1, out)
		}
		if err := p.stop(); err != nil {
			t.Errorf("node %d: got exit %v, want a clean stop", i+1, err)
		}
	}
}

// checkOneOrderEach asserts that each transfer in ids has exactly one
// payment order in the registry and that banksim holds exactly one order
// for it, under the same order id, created by at most one answered
// request, and no order of any other transfer.
func (r *rig) checkOneOrderEach(ids []string, m map[string]ours) {
	r.tb.Helper()
	atBank := map[string][]string{}
	list := r.bankList()
	for _, o := range list {
		atBank[o.TransferID] = append(atBank[o.TransferID], o.OrderID)
		// The adapter records every answer it gets, so an order created
		// by two answered requests was sent by two workers at once. None
		// is answered when the payment's news overtook the retry of a
		// creation whose answer was lost.
		if o.Creates > 1 {
			r.tb.Errorf("order %s of %s: created by %d answered requests, want at most 1",
				o.OrderID, o.TransferID, o.Creates)
		}
	}
	for _, id := range ids {
		var n int
		if err := r.db.QueryRow(`SELECT count(*) FROM payment_orders WHERE transfer_id = $1`,
			id).Scan(&n); err != nil {
			r.tb.Fatal(err)
		}
		if got := atBank[id]; n != 1 || len(got) != 1 || got[0] != m[id].order {
			r.tb.Errorf("%s: got %d orders in the registry and %v at the bank; want one, %s, in both",
				id, n, got, m[id].order)
		}
	}
	if len(list) != len(ids) {
		r.tb.Errorf("banksim holds %d orders, want %d", len(list), len(ids))
	}
}

// relayed counts the requests a relay handed to each of its targets.
type relayed struct {
	served []atomic.Int64
}

// relay serves an HTTP relay on the loopback address at, until tb ends,
// that hands each request to the next of targets in turn.
func relay(tb testing.TB, at string, targets ...string) *relayed {
	tb.Helper()
	rl := &relayed{served: make([]atomic.Int64, len(targets))}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := int((next.Add(1) - 1) % uint64(len(targets)))
			rl.served[i].Add(1)
			pr.SetURL(&url.URL{Scheme: "http", Host: targets[i]})
		},
		// A call the adapter gave up on is cancelled on the way; that is
		// the fault under test, not news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	ln, err := net.Listen("tcp", at)
	if err != nil {
		tb.Fatalf("relay on %s: %v", at, err)
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return rl
}
