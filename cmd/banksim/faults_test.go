package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// perFault is how many sales each fault case runs at once.
const perFault = 3

// TestPaymentsUnderBankFaults runs sales against a banksim showing one
// fault at a time, over HTTP, and ends each with the money invariants.
func TestPaymentsUnderBankFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		// act runs after approval, before settling, for the cases that
		// need a hand: paying at a chosen moment, cancelling, blocking.
		act func(t *testing.T, r *rig, id string)
		// want is the end state of every transfer.
		want adapter.State
		// log is a line the adapter must have written.
		log string
		// refunded: every payment must have been refunded.
		refunded bool
		// callbacks checks how many confirmPayment calls banksim sent.
		callbacks func(n int) bool
	}{
		{name: "latency", flags: []string{"-latency", "300ms"}, want: adapter.Completed},
		{name: "soap faults", flags: []string{"-soap-faults", "0.5"}, want: adapter.Completed},
		{name: "http 500 without body", flags: []string{"-http-500", "0.5"}, want: adapter.Completed},
		{name: "no answer", flags: []string{"-no-answer", "0.4", "-hold-for", "3s"}, want: adapter.Completed},
		{
			name: "duplicate callbacks", flags: []string{"-duplicate-callbacks", "3"},
			want: adapter.Completed, callbacks: func(n int) bool { return n >= 4 },
		},
		{
			name: "lost callbacks", flags: []string{"-lost-callbacks", "1"},
			want: adapter.Completed, callbacks: func(n int) bool { return n == 0 },
		},
		{
			name: "callback with wrong amount", flags: []string{"-wrong-amount", "1"},
			want: adapter.Completed, log: "payment confirmation refused",
		},
		{
			name: "payment after cancellation is refunded",
			// The buyer pays, and the callback is slow to come: the
			// transfer is cancelled in between.
			flags: []string{"-pay-after", "-1s", "-callback-delay", "1500ms"},
			act: func(t *testing.T, r *rig, id string) {
				o := waitBankOrder(t, r, id)
				if err := r.pay(o.OrderID); err != nil {
					t.Fatal(err)
				}
				cancelAs(t, r, id)
			},
			want: adapter.Cancelled, refunded: true,
		},
		{
			name:  "payment for a blocked vehicle is refunded",
			flags: []string{"-pay-after", "-1s"},
			act: func(t *testing.T, r *rig, id string) {
				o := waitBankOrder(t, r, id)
				restrict(t, r, id)
				if err := r.pay(o.OrderID); err != nil {
					t.Fatal(err)
				}
			},
			want: adapter.Blocked, refunded: true,
		},
		{
			name:  "payment after expiry is refunded",
			flags: []string{"-pay-after", "-1s"},
			act: func(t *testing.T, r *rig, id string) {
				o := waitBankOrder(t, r, id)
				// What the deadline sweeper does; the order is left for the
				// payment path to deal with.
				if _, err := r.db.Exec(`UPDATE transfers SET state = 'EXPIRED' WHERE id = $1`, id); err != nil {
					t.Fatal(err)
				}
				_ = r.pay(o.OrderID) // refused if the reconciler cancelled it first
			},
			want: adapter.Expired,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A registry of its own: an adapter works every order in its
			// database, and each case's adapter talks to its own banksim.
			r := newRig(t)
			r.startBank(tc.flags...)
			r.startAdapter("")
			ctx := context.Background()

			ids := make([]string, perFault)
			var wg sync.WaitGroup
			for i := range ids {
				id, vin := r.sale(ctx)
				ids[i] = id
				if err := r.approve(ctx, id, vin); err != nil {
					t.Fatalf("approve %s: %v", id, err)
				}
				if tc.act != nil {
					wg.Add(1)
					go func() {
						defer wg.Done()
						tc.act(t, r, id)
					}()
				}
			}
			wg.Wait()

			m := r.settle(ids, 40*time.Second)
			bank := r.bankOrders()
			if tc.callbacks != nil {
				// Duplicates may still be on their way when the sale settles.
				deadline := time.Now().Add(10 * time.Second)
				for !allCallbacks(bank, ids, tc.callbacks) && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
					bank = r.bankOrders()
				}
			}
			for id, o := range m {
				if o.state != string(tc.want) || o.attention != "" {
					t.Errorf("%s: got %s (flag %q), want %s", id, o.state, o.attention, tc.want)
				}
				if tc.refunded && o.status != string(adapter.OrderRefunded) {
					t.Errorf("%s: got order %s, want REFUNDED", id, o.status)
				}
				if n := bank[id].Callbacks; tc.callbacks != nil && !tc.callbacks(n) {
					t.Errorf("%s: banksim sent %d callbacks, not what the fault makes", id, n)
				}
			}
			r.checkInvariants(ids, m)
			if tc.log != "" && !strings.Contains(r.adapter.out.String(), tc.log) {
				t.Errorf("adapter log lacks %q", tc.log)
			}
		})
	}
}

// TestRefusedOrdersAreFlagged: a bank that refuses every new order gets
// no retries; each order is flagged for an operator at once and nothing is
// paid.
func TestRefusedOrdersAreFlagged(t *testing.T) {
	r := newRig(t)
	r.startBank("-refuse-create", "1")
	r.startAdapter("")
	ctx := context.Background()
	id, vin := r.sale(ctx)
	if err := r.approve(ctx, id, vin); err != nil {
		t.Fatal(err)
	}
	m := r.settle([]string{id}, 20*time.Second)
	if o := m[id]; !strings.Contains(o.attention, "ORDER_CONFLICT") || o.call != "CREATE" {
		t.Errorf("got %+v, want the CREATE call flagged with the bank's ORDER_CONFLICT", o)
	}
	flagged, err := r.domain.FlaggedOrders(ctx, 10)
	if err != nil || len(flagged) != 1 || flagged[0].TransferID != id {
		t.Fatalf("FlaggedOrders: got %v, %v; want the order of %s", flagged, err, id)
	}
	r.checkInvariants([]string{id}, m)
}

// allCallbacks reports whether the callbacks of every order in ids pass ok.
func allCallbacks(bank map[string]bankOrder, ids []string, ok func(int) bool) bool {
	for _, id := range ids {
		if !ok(bank[id].Callbacks) {
			return false
		}
	}
	return true
}

// waitBankOrder waits until banksim holds the transfer's order.
func waitBankOrder(t *testing.T, r *rig, id string) bankOrder {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if o, ok := r.bankOrders()[id]; ok {
			return o
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("banksim never got the order of %s", id)
	return bankOrder{}
}

// cancelAs cancels a transfer for its seller.
func cancelAs(t *testing.T, r *rig, id string) {
	t.Helper()
	var seller string
	if err := r.db.QueryRow(`SELECT seller_pin FROM transfers WHERE id = $1`, id).Scan(&seller); err != nil {
		t.Fatal(err)
	}
	c := adapter.Caller{Client: "test", Role: adapter.RoleCitizen, UserID: "KG" + seller}
	if _, err := r.domain.CancelTransfer(context.Background(), c, id, "changed my mind"); err != nil {
		t.Fatalf("cancel %s: %v", id, err)
	}
}

// restrict puts an arrest on the transfer's vehicle.
func restrict(t *testing.T, r *rig, id string) {
	t.Helper()
	_, err := r.db.Exec(`INSERT INTO restrictions (vehicle_id, kind, authority, since)
		SELECT vehicle_id, 'ARREST', 'test court', now() FROM transfers WHERE id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
}
