package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// faults are the misbehaviours banksim can be told to show, so that the
// adapter's retries, reconciler and refunds can be tested over the wire.
// The zero value is a well-behaved bank.
type faults struct {
	Latency        time.Duration // added before every SOAP answer
	SOAPFaults     float64       // fraction of SOAP requests answered with a fault, not carried out
	HTTP500        float64       // fraction answered with HTTP 500 and no body, not carried out
	NoAnswer       float64       // fraction carried out whose answer never comes (a timeout)
	HoldFor        time.Duration // how long an unanswered request is held open at most
	DupCallbacks   int           // extra copies of every confirmPayment callback
	LostCallbacks  float64       // fraction of payments whose callback is never sent
	WrongAmount    float64       // fraction of callbacks sent with one som too little
	CallbackDelay  time.Duration // between the payment and its callback
	RefuseAtCreate float64       // fraction of createPaymentOrder refused with ORDER_CONFLICT

	mu  sync.Mutex
	rnd *rand.Rand
}

// register adds the fault flags to fs.
func (f *faults) register(fs *flag.FlagSet) *uint64 {
	fs.DurationVar(&f.Latency, "latency", 0, "fault: added latency before every SOAP answer")
	fs.Float64Var(&f.SOAPFaults, "soap-faults", 0, "fault: fraction of SOAP requests answered with a SOAP fault")
	fs.Float64Var(&f.HTTP500, "http-500", 0, "fault: fraction of SOAP requests answered with HTTP 500 and no body")
	fs.Float64Var(&f.NoAnswer, "no-answer", 0, "fault: fraction of SOAP requests carried out but never answered")
	fs.DurationVar(&f.HoldFor, "hold-for", time.Minute, "fault: how long an unanswered request is held open at most")
	fs.IntVar(&f.DupCallbacks, "duplicate-callbacks", 0, "fault: extra copies of every confirmPayment callback")
	fs.Float64Var(&f.LostCallbacks, "lost-callbacks", 0, "fault: fraction of payments whose callback is never sent")
	fs.Float64Var(&f.WrongAmount, "wrong-amount", 0, "fault: fraction of callbacks sent with a wrong amount")
	fs.DurationVar(&f.CallbackDelay, "callback-delay", 0, "fault: delay between a payment and its callback")
	fs.Float64Var(&f.RefuseAtCreate, "refuse-create", 0, "fault: fraction of createPaymentOrder refused with ORDER_CONFLICT")
	return fs.Uint64("seed", 1, "seed of the fault dice")
}

// seed sets the dice; faults of one seed fall the same way for the same
// sequence of requests.
func (f *faults) seed(s uint64) { f.rnd = rand.New(rand.NewPCG(s, s^0x5eed)) }

// roll reports whether an event of probability p happens; never on a nil
// faults.
func (f *faults) roll(p float64) bool {
	if f == nil || p <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rnd == nil {
		f.seed(1)
	}
	return f.rnd.Float64() < p
}

// String lists the faults in force, for the start-up log line.
func (f *faults) String() string {
	return fmt.Sprintf("latency=%v soap-faults=%v http-500=%v no-answer=%v duplicate-callbacks=%d "+
		"lost-callbacks=%v wrong-amount=%v callback-delay=%v refuse-create=%v",
		f.Latency, f.SOAPFaults, f.HTTP500, f.NoAnswer, f.DupCallbacks, f.LostCallbacks,
		f.WrongAmount, f.CallbackDelay, f.RefuseAtCreate)
}

// wrap applies the transport faults around the SOAP handler: latency, HTTP
// 500 without a body, and answers that never come. SOAP faults are the
// service's (see bankService.ServeSOAP), so they go out as proper
// envelopes. A nil faults returns next as it is.
func (f *faults) wrap(next http.Handler) http.Handler {
	if f == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if f.Latency > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(f.Latency):
			}
		}
		if f.roll(f.HTTP500) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if !f.roll(f.NoAnswer) {
			next.ServeHTTP(w, r)
			return
		}
		// The work is done; the answer is lost on the way back.
		lost := r.WithContext(context.WithValue(r.Context(), unansweredKey{}, true))
		next.ServeHTTP(&discardWriter{header: http.Header{}}, lost)
		select {
		case <-r.Context().Done():
		case <-time.After(f.HoldFor):
		}
	})
}

// unansweredKey marks the context of a request whose answer wrap throws
// away.
type unansweredKey struct{}

// unanswered reports whether the answer to the request of ctx is thrown
// away by the no-answer fault.
func unanswered(ctx context.Context) bool {
	lost, _ := ctx.Value(unansweredKey{}).(bool)
	return lost
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
