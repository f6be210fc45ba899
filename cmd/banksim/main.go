// Command banksim is a partner bank for development and tests: it provides
// the bank contract of wsdl/bank.wsdl over X-Road SOAP, keeps its orders in
// memory, and plays the buyer paying in the bank's app, after a delay or on
// request, by calling confirmPayment on the adapter with an X-Road header
// of its own.
//
//	banksim -listen 127.0.0.1:8091 -adapter-url http://127.0.0.1:8090/xroad
//
// GET /orders lists the orders as JSON, with their refunds, the callbacks
// sent and the creation requests answered; POST /orders/{orderId}/pay pays one.
//
// Fault flags make it a bad bank on purpose, for the adapter's tests:
// -latency, -soap-faults, -http-500 and -no-answer (requests carried out
// but never answered) act on every SOAP request; -duplicate-callbacks,
// -lost-callbacks, -wrong-amount and -callback-delay act on the
// confirmPayment callbacks; -refuse-create refuses new orders. Fractions
// are between 0 and 1 and fall by the dice of -seed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/soap"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "banksim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("banksim", flag.ContinueOnError)
	var (
		listen = fs.String("listen", "127.0.0.1:8091",
			"address to serve the bank's X-Road service on")
		provider = fs.String("service", "central-server/COM/60000001/payments",
			"the bank's payment subsystem")
		clientID = fs.String("client", "central-server/COM/60000001/payments",
			"the bank's subsystem calling the adapter")
		adapterURL = fs.String("adapter-url", "http://127.0.0.1:8090/xroad",
			"where confirmPayment is posted (the bank's security server)")
		adapterSvc = fs.String("adapter-service",
			"central-server/GOV/70000005/vehicle-reregistration", "the adapter's subsystem")
		payAfter = fs.Duration("pay-after", 2*time.Second,
			"pay each order this long after it is placed; negative: only on request")
		verbose = fs.Bool("v", false, "log at debug level")
		f       = &faults{}
		seed    = f.register(fs)
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	f.seed(*seed)
	log := logrus.New()
	log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	if *verbose {
		log.SetLevel(logrus.DebugLevel)
	}
	bankID, err := soap.ParseSubsystem(*provider)
	if err != nil {
		return fmt.Errorf("-service: %w", err)
	}
	callerID, err := soap.ParseSubsystem(*clientID)
	if err != nil {
		return fmt.Errorf("-client: %w", err)
	}
	adapterID, err := soap.ParseSubsystem(*adapterSvc)
	if err != nil {
		return fmt.Errorf("-adapter-service: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l := newLedger()
	p := &payer{
		ledger:  l,
		client:  &soap.Client{URL: *adapterURL, Client: callerID},
		adapter: adapterID.Service("confirmPayment", "v1"),
		delay:   *payAfter,
		faults:  f,
		log:     log,
		now:     time.Now,
		ctx:     ctx,
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: routes(l, p, bankID), ReadHeaderTimeout: 10 * time.Second}
	log.WithField("addr", ln.Addr().String()).WithField("faults", f.String()).Info("banksim listening")
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	p.wg.Wait()
	return nil
}

// routes serves the bank contract as bankID on /xroad, and the orders of l
// for people and tests: GET /orders lists them, POST /orders/{id}/pay has p
// pay one.
func routes(l *ledger, p *payer, bankID soap.Identifier) http.Handler {
	if p.faults == nil {
		p.faults = &faults{} // a well-behaved bank
	}
	mux := http.NewServeMux()
	mux.Handle("/xroad", p.faults.wrap(&soap.Handler{
		Service:  &bankService{ledger: l, payer: p, faults: p.faults, now: p.now},
		Provider: bankID,
	}))
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(l.list())
	})
	mux.HandleFunc("POST /orders/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		if err := p.pay(r.Context(), r.PathValue("id")); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		o, _ := l.get(r.PathValue("id"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(o)
	})
	return mux
}
