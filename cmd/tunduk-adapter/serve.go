package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl"
)

// configFlag adds the -config flag every command shares.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "testdata/adapter.toml", "configuration file (TOML)")
}

// newLogger returns the process logger: JSON for machines, text when a
// person watches a terminal.
func newLogger(text bool) *logrus.Logger {
	log := logrus.New()
	log.Out = os.Stderr
	if text {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	} else {
		log.SetFormatter(&logrus.JSONFormatter{})
	}
	return log
}

func cmdServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := configFlag(fs)
	listen := fs.String("listen", "", "listen address (overrides the configuration)")
	text := fs.Bool("text-log", false, "log as text instead of JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	if *listen != "" {
		c.Listen = *listen
	}
	a, err := newApp(ctx, c, newLogger(*text))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		a.db.Close()
		return err
	}
	return a.serve(ctx, ln)
}

// app is the adapter assembled from its configuration.
type app struct {
	db      *registry.DB
	domain  *adapter.Service
	handler http.Handler
	log     *logrus.Logger
}

// newApp connects the registry, applies migrations and wires the X-Road
// endpoint, the WSDL and the bank directory.
func newApp(ctx context.Context, c *config, log *logrus.Logger) (*app, error) {
	w, err := c.wire()
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	db, err := registry.Open(ctx, c.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	client := &soap.Client{URL: c.SecurityServerURL, Client: w.provider}
	banks, err := bankclient.NewDirectory(client, w.banks)
	if err != nil {
		db.Close()
		return nil, err
	}
	domain := adapter.New(db, banks, w.cfg)
	if domain.Checkpoint, err = crashPoint(os.Getenv(crashEnv)); err != nil {
		db.Close()
		return nil, err
	}
	doc, err := wsdl.Handler(wsdl.Vehicle, c.PublicURL)
	if err != nil {
		db.Close()
		return nil, err
	}
	ep := endpoint.New(domain, w.channels, log)
	ep.Journal = db
	mux := http.NewServeMux()
	mux.Handle("/xroad", &soap.Handler{
		Service:  ep,
		Provider: w.provider,
		WSDL:     doc,
	})
	mux.Handle("GET /wsdl", doc)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.WithField("subsystem", w.provider.String()).Info("adapter configured")
	return &app{db: db, domain: domain, handler: mux, log: log}, nil
}

// serve runs a on ln until ctx ends, with the payment outbox worker and the
// reconciler beside it, then closes the registry. The workers stop after
// the server has finished the requests in flight; a bank call they were
// making is abandoned and its lease hands it to the next run.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	defer a.db.Close()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	var wg sync.WaitGroup
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.domain.RunPayments(senderCtx, func(err error) {
			a.log.WithError(err).Error("payment workers")
		})
	}()
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.domain.RunSweeper(senderCtx, sweepInterval, func(err error) {
			a.log.WithError(err).Error("deadline sweeper")
		})
	}()
	go func() {
		defer wg.Done()
		a.pruneReplies(senderCtx)
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()

	a.log.WithField("addr", ln.Addr().String()).Info("serving X-Road requests")
	err := srv.Serve(ln)
	stopSender()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
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

func cmdMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	db, err := registry.Open(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

func cmdSeedDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	path := configFlag(fs)
	seed := fs.Int64("seed", 1, "seed of the synthetic registry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	db, err := registry.Open(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	demo, err := registry.SeedDemo(ctx, db, *seed)
	if err != nil {
		return err
	}
	fmt.Printf("seeded; try vehicle %s\n", demo.Vehicle.VIN)
	return nil
}

func cmdCheckConfig(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	if _, err := c.wire(); err != nil {
		return fmt.Errorf("%s:\n%w", *path, err)
	}
	fmt.Println(*path + ": ok")
	return nil
}
