package main

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

var crashN = flag.Int("crash.n", 6, "iterations of TestAdapterKilledOnPaymentPath; "+
	"each kills the adapter at the next crash point in turn")

// crashPoints are where the adapter kills itself, across the payment path.
var crashPoints = []string{
	adapter.PointApproved,        // approval committed, inspector unanswered
	adapter.PointOrderPlaced,     // the bank holds the order, we have not recorded it
	adapter.PointPaymentReceived, // the bank confirmed, nothing recorded
	adapter.PointCompleting,      // inside the completing transaction
	adapter.PointCompleted,       // committed, the bank unanswered
	adapter.PointRefundSent,      // the bank refunded, we have not recorded it
}

// TestAdapterKilledOnPaymentPath kills the adapter with SIGKILL at each
// crash point in turn, restarts it, and checks after every sale, and over
// all of them at the end, that no som was lost or doubled. The refund
// point is reached through a vehicle arrested between approval and
// payment. -crash.n sets the number of iterations.
func TestAdapterKilledOnPaymentPath(t *testing.T) {
	r := newRig(t)
	// A callback delay makes the pay request return before the callback,
	// so the test can revive the adapter while banksim retries it.
	r.startBank("-pay-after", "-1s", "-callback-delay", "1ms")
	r.writeConfig() // here, so that it outlives the subtests
	ctx := context.Background()
	var all []string
	for i := range *crashN {
		point := crashPoints[i%len(crashPoints)]
		t.Run(fmt.Sprintf("%d-%s", i, point), func(t *testing.T) {
			r.tb = t
			c := &crasher{r: r, t: t}
			r.startAdapter(point + ":1")

			id, vin := r.sale(ctx)
			all = append(all, id)
			_ = r.approve(ctx, id, vin) // no answer when killed at approval
			var o bankOrder
			c.until("the bank holds the order", func() bool {
				var ok bool
				o, ok = r.bankOrders()[id]
				return ok
			})
			want := adapter.Completed
			if point == adapter.PointRefundSent {
				restrict(t, r, id)
				want = adapter.Blocked
			}
			if err := r.pay(o.OrderID); err != nil {
				t.Fatal(err)
			}
			var m map[string]ours
			c.until("the sale settles", func() bool {
				m = r.lookup([]string{id})
				return settled(m[id])
			})

			if !c.killed {
				// The sale may settle before the killed process is reaped.
				select {
				case err := <-r.adapter.done:
					r.adapter.done <- err
					c.killed = bySIGKILL(err)
				case <-time.After(5 * time.Second):
				}
			}
			if !c.killed {
				t.Errorf("the adapter was not killed at %s", point)
			}
			if got := m[id]; got.state != string(want) || got.attention != "" {
				t.Errorf("got %+v, want %s and no flag", got, want)
			}
			r.checkInvariants([]string{id}, m)
			r.adapter.stop()
		})
	}
	r.tb = t
	r.checkInvariants(all, r.lookup(all))
}

// crasher waits for conditions while restarting the adapter, without the
// crash point, whenever it finds it dead.
type crasher struct {
	r      *rig
	t      *testing.T
	killed bool
}

// until polls cond for up to 40 seconds, reviving the adapter as needed.
func (c *crasher) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not within 40s", what)
		}
		select {
		case err := <-c.r.adapter.done:
			c.r.adapter.done <- err
			if !bySIGKILL(err) {
				c.t.Fatalf("the adapter ended, but not by SIGKILL: %v\n%s", err, c.r.adapter.out.String())
			}
			c.killed = true
			c.r.startAdapter("")
		default:
		}
		time.Sleep(50 * time.Millisecond)
	}
}
