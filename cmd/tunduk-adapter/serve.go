package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/cmd/tunduk-adapter/internal/logmask"
	"github.com/tunduk/vehicle-adapter/cmd/tunduk-adapter/internal/metrics"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl"
)

// configFlag adds the -config flag every command shares.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "testdata/adapter.toml", "configuration file (TOML)")
}

// settingFlags adds a flag for every overridable setting and returns the
// values given, by flag name.
func settingFlags(fs *flag.FlagSet) map[string]string {
	given := map[string]string{}
	for _, s := range overridable {
		name := s.flagName()
		fs.Func(name, s.help+" (env "+s.env+")", func(v string) error {
			given[name] = v
			return nil
		})
	}
	return given
}

// newLogger returns the process logger: JSON for machines, text when a
// person watches a terminal. Personal data is masked in every entry.
func newLogger(text bool) *logrus.Logger {
	log := logrus.New()
	log.Out = os.Stderr
	if text {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	} else {
		log.SetFormatter(&logrus.JSONFormatter{})
	}
	log.AddHook(logmask.Hook{})
	return log
}

func cmdServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := configFlag(fs)
	given := settingFlags(fs)
	text := fs.Bool("text-log", false, "log as text instead of JSON (as -log-format text)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *text {
		given["log-format"] = "text"
	}
	c, err := loadConfigFrom(*path, os.Getenv, given)
	if err != nil {
		return err
	}
	w, err := c.wire()
	if err != nil {
		return fmt.Errorf("%s:\n%w", *path, err)
	}
	log := newLogger(w.textLog)
	log.SetLevel(w.logLevel)
	a, err := newApp(ctx, c, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		a.db.Close()
		return err
	}
	if c.PprofListen != "" {
		if err := servePprof(ctx, c.PprofListen); err != nil {
			ln.Close()
			a.db.Close()
			return err
		}
	}
	if c.OpsListen != "" {
		if a.opsLn, err = net.Listen("tcp", c.OpsListen); err != nil {
			ln.Close()
			a.db.Close()
			return err
		}
	}
	return a.serve(ctx, ln)
}

// app is the adapter assembled from its configuration.
type app struct {
	db       *registry.DB
	domain   *adapter.Service
	handler  http.Handler // X-Road, and the operations endpoints unless opsLn is set
	ops      http.Handler // /healthz, /readyz, /metrics
	opsLn    net.Listener // optional listener for ops alone
	log      *logrus.Logger
	tls      *tls.Config
	shutdown time.Duration
	stopping atomic.Bool
	banks    int // enabled banks in the directory
	provider soap.Identifier
}

// newApp connects the registry, applies migrations and wires the X-Road
// endpoint, the WSDL, the bank directory, metrics and probes.
func newApp(ctx context.Context, c *config, log *logrus.Logger) (*app, error) {
	w, err := c.wire()
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	db, err := registry.OpenOptions(ctx, w.databaseURL, registry.Options{MaxOpenConns: c.DatabaseMaxConns})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &app{db: db, log: log, tls: w.serverTLS, shutdown: c.ShutdownTimeout.Duration,
		provider: w.provider}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg, endpoint.ServiceCodes(), a.snapshot)
	if err != nil {
		db.Close()
		return nil, err
	}

	client := &soap.Client{URL: c.SecurityServerURL, Client: w.provider, HTTP: w.outbound}
	dir, err := bankclient.NewDirectory(client, w.banks)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, b := range w.banks {
		if b.Enabled {
			a.banks++
		}
	}
	a.domain = adapter.New(db, meteredBanks{Banks: dir, metrics: m}, w.cfg)
	if a.domain.Checkpoint, err = crashPoint(os.Getenv(crashEnv)); err != nil {
		db.Close()
		return nil, err
	}
	doc, err := wsdl.Handler(wsdl.Vehicle, c.PublicURL)
	if err != nil {
		db.Close()
		return nil, err
	}

	ops := http.NewServeMux()
	ops.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	ops.HandleFunc("GET /readyz", a.ready)
	ops.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	a.ops = ops

	ep := endpoint.New(a.domain, w.channels, log)
	ep.Journal = db
	xroad := &observed{
		base: soap.Handler{
			Service:  resultService{next: ep},
			Provider: w.provider,
			WSDL:     doc,
		},
		log: log, metrics: m,
	}
	mux := http.NewServeMux()
	mux.Handle(xroadPath, xroad)
	mux.Handle("GET /wsdl", doc)
	if c.OpsListen == "" {
		mux.Handle("/", ops)
	}
	a.handler = &postsToXRoad{xroad: xroad, other: mux, obs: xroad}
	log.WithFields(logrus.Fields{
		"subsystem": w.provider.String(), "database": redactURL(w.databaseURL),
		"tls": w.serverTLS != nil, "clientCertificates": w.serverTLS != nil && w.serverTLS.ClientCAs != nil,
	}).Info("adapter configured")
	return a, nil
}

// xroadPath is where the X-Road listener takes messages.
const xroadPath = "/xroad"

// postsToXRoad routes the X-Road listener. A POST is a message from the
// security server: to xroadPath it goes to the X-Road handler, to any
// other path it gets a SOAP fault (HTTP 500) saying where messages go,
// because security servers turn a 404 or 405 page into an error of their
// own. Every other request goes to other (the WSDL and the ops endpoints).
// The path is compared before any routing, so no redirect of an unclean
// path answers a POST either.
type postsToXRoad struct {
	xroad, other http.Handler
	obs          *observed // logs and counts the misrouted POSTs
}

func (p *postsToXRoad) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodPost:
		p.other.ServeHTTP(w, r)
	case r.URL.Path == xroadPath:
		p.xroad.ServeHTTP(w, r)
	default:
		h := soap.Misrouted{Path: xroadPath, Limits: p.obs.base.Limits,
			Observe: func(ex soap.Exchange) { p.obs.record(r, &outcome{}, ex) }}
		h.ServeHTTP(w, r)
	}
}

// snapshot reads the figures metrics publishes at each scrape.
func (a *app) snapshot(ctx context.Context) (metrics.Snapshot, error) {
	s := metrics.Snapshot{Pool: a.db.SQL().Stats()}
	st, err := a.db.Stats(ctx)
	if err != nil {
		return s, err
	}
	s.TransfersByState, s.OutboxPending, s.OutboxOldest = st.TransfersByState, st.OutboxPending, st.OutboxOldest
	s.OutboxFlagged = st.OutboxFlagged
	return s, nil
}

// ready answers 200 when the adapter can do its work: the database answers,
// its schema is current, and at least one bank is enabled. While shutting
// down it answers 503 so that no new work is routed here.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	var problems []string
	if a.stopping.Load() {
		problems = append(problems, "shutting down")
	}
	if err := a.db.Ready(ctx); err != nil {
		if errors.Is(err, registry.ErrSchemaOutdated) {
			problems = append(problems, "database migrations are not current")
		} else {
			problems = append(problems, "database unreachable")
			a.log.WithError(err).Warn("readiness: database")
		}
	}
	if a.banks == 0 {
		problems = append(problems, "bank directory has no enabled bank")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
		return
	}
	fmt.Fprintln(w, "ready")
}

// serve runs a on ln (and a.opsLn when set) until ctx ends, with the
// payment order sender beside it. On the end of ctx it stops accepting,
// lets requests in flight and the sender's current pass finish within the
// shutdown timeout, then closes the registry.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	defer a.db.Close()
	if a.tls != nil {
		ln = tls.NewListener(ln, a.tls)
	}
	servers := []*http.Server{a.server(a.handler)}
	listeners := []net.Listener{ln}
	if a.opsLn != nil {
		servers = append(servers, a.server(a.ops))
		listeners = append(listeners, a.opsLn)
	}

	// The payment outbox worker and reconciler, the deadline sweeper and
	// the pruning of recorded replies run beside the server until
	// shutdown; the outbox finishes the pass it is making (adapter's loop).
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	workers.Go(func() {
		a.domain.RunPayments(senderCtx, func(err error) {
			a.log.WithError(err).Error("payment workers")
		})
	})
	workers.Go(func() {
		a.domain.RunSweeper(senderCtx, sweepInterval, func(err error) {
			a.log.WithError(err).Error("deadline sweeper")
		})
	})
	workers.Go(func() { a.pruneReplies(senderCtx) })
	senderDone := make(chan struct{})
	go func() {
		workers.Wait()
		close(senderDone)
	}()

	errs := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errs <- srv.Serve(listeners[i]) }()
	}
	a.log.WithFields(logrus.Fields{"addr": ln.Addr().String(), "tls": a.tls != nil}).
		Info("serving X-Road requests")

	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	a.stopping.Store(true)
	a.log.WithField("timeout", a.shutdown.String()).Info("shutting down")
	deadline, cancel := context.WithTimeout(context.Background(), a.shutdown)
	defer cancel()

	// Stop accepting and drain requests; the sender finishes its pass.
	stopSender()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() {
			if serr := srv.Shutdown(deadline); serr != nil {
				a.log.WithError(serr).Warn("requests still in flight at the deadline; closing")
				srv.Close()
			}
		})
	}
	wg.Wait()
	select {
	case <-senderDone:
	case <-deadline.Done():
		a.log.Warn("background work still busy at the deadline; a payment order's lease hands it on")
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// Background work beside the server: how often overdue transfers are
// expired, and how long the replies to X-Road messages are kept for
// repeated deliveries (security servers retry within minutes).
const (
	sweepInterval  = 30 * time.Second
	replyRetention = 7 * 24 * time.Hour
)

// pruneReplies drops old recorded replies every hour until ctx ends.
func (a *app) pruneReplies(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := a.db.PruneMessages(ctx, time.Now().Add(-replyRetention)); err != nil &&
			ctx.Err() == nil {
			a.log.WithError(err).Error("pruning recorded replies")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// server returns an http.Server with the adapter's timeouts.
func (a *app) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// TLS handshake failures and the like go to our log, masked.
		ErrorLog: stdlog.New(a.log.WriterLevel(logrus.WarnLevel), "", 0),
	}
}

// servePprof serves Go's profiles on addr (loopback only, as check-config
// insists) until ctx ends, for diagnosing a slow or hungry adapter.
func servePprof(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
	return nil
}
