package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
)

// defaultServerURL is the local PostgreSQL the demo and the tests use when
// DATABASE_URL is not set.
const defaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func cmdDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	path := configFlag(fs)
	once := fs.Bool("once", false, "exit after the scenario: status 0 only if the transfer completed")
	dbName := fs.String("db-name", "tunduk_demo", "database the demo creates afresh on the server")
	listen := fs.String("listen", "",
		"adapter address (default: the configuration's listen); port 0 picks a free port")
	bankListen := fs.String("bank-listen", "127.0.0.1:8091",
		"banksim address; port 0 picks a free port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	w, err := c.wire()
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	out := os.Stdout

	// Fixed ports by default, so that the curl lines of
	// testdata/requests/README.md reach the demo; a busy port is an error
	// rather than a silent move elsewhere. Taken before the database is
	// touched, so that a second demo fails before it drops the database a
	// running one uses.
	if *listen == "" {
		*listen = c.Listen
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("adapter address (-listen %s; port 0 picks a free one): %w", *listen, err)
	}
	defer ln.Close()
	adapterURL := "http://" + ln.Addr().String() + "/xroad"
	bankAddr, err := bindable(*bankListen)
	if err != nil {
		return fmt.Errorf("banksim address (-bank-listen %s; port 0 picks a free one): %w",
			*bankListen, err)
	}

	// The demo's registry is its own database, made afresh on the server
	// DATABASE_URL names, so a second run starts from the same state.
	server := os.Getenv("DATABASE_URL")
	if server == "" {
		server = defaultServerURL
	}
	if err := registry.DropDatabase(ctx, server, *dbName); err != nil {
		return err
	}
	if c.DatabaseURL, err = registry.CreateDatabase(ctx, server, *dbName); err != nil {
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
	demo, err := registry.SeedDemo(ctx, db, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "registry: database %s with %d vehicles and %d people\n", *dbName, demo.Vehicles, demo.Persons)

	c.PublicURL, c.SecurityServerURL = adapterURL, "http://"+bankAddr+"/xroad"

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	bank, err := startBanksim(runCtx, bankAddr, adapterURL, c)
	if err != nil {
		return err
	}
	log := newLogger(true)
	log.SetLevel(logrus.WarnLevel)
	a, err := newApp(runCtx, c, log)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.serve(runCtx, ln) }()
	fmt.Fprintf(out, "adapter: %s (WSDL at %s?wsdl)\nbanksim: http://%s/orders\n", adapterURL, adapterURL, bankAddr)

	citizens := w.channels.OfRole(adapter.RoleCitizen)
	inspectors := w.channels.OfRole(adapter.RoleInspector)
	if len(citizens) == 0 || len(inspectors) == 0 || len(w.banks) == 0 {
		return errors.New("the configuration needs a citizen channel, an inspection channel and a bank")
	}
	sc := &scenario{
		url: adapterURL, service: w.provider,
		portal: citizens[0], bankApp: citizens[len(citizens)-1], inspection: inspectors[0],
		bankCode: w.banks[0].Code, vin: demo.Vehicle.VIN, certificate: demo.CertificateNumber,
		seller: string(demo.Owner.PIN), buyer: string(demo.Buyer.PIN),
		price: "350000.00", account: "1030120000123456", out: out, timeout: 30 * time.Second,
	}
	fmt.Fprintf(out, "\nSelling %s %s (%s) from %s to %s\n", demo.Vehicle.Make, demo.Vehicle.Model,
		demo.Vehicle.VIN, demo.Owner.Name, demo.Buyer.Name)
	cert, scErr := sc.run(runCtx)
	if scErr != nil {
		fmt.Fprintf(out, "\nthe re-registration did not complete: %v\n", scErr)
	} else {
		fmt.Fprintf(out, "\nDone: %s now belongs to %s under certificate %s.\n", demo.Vehicle.VIN, demo.Buyer.Name, cert)
	}

	if !*once {
		fmt.Fprintf(out, "\nStill serving; send the samples in testdata/requests with curl (see README). Ctrl-C stops.\n")
		<-ctx.Done()
	}
	stop()
	serveErr := <-served
	<-bank
	return errors.Join(scErr, serveErr)
}

// bindable checks that addr is free at the moment and returns it with a
// port 0 replaced by a free port, for a process started right after.
func bindable(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startBanksim runs the bank simulator as its own process and waits until
// it answers. The returned channel yields the process's exit.
func startBanksim(ctx context.Context, addr, adapterURL string, c *config) (<-chan error, error) {
	bin, err := banksimBinary(ctx)
	if err != nil {
		return nil, err
	}
	b := c.Banks[0]
	cmd := exec.CommandContext(ctx, bin,
		"-listen", addr, "-adapter-url", adapterURL, "-adapter-service", c.Subsystem,
		"-service", b.Service, "-client", b.Client, "-pay-after", "1s")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start banksim: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("banksim exited before answering on %s: %v", addr, err)
		case <-timeout:
			return nil, fmt.Errorf("banksim did not answer on %s", addr)
		case <-tick.C:
		}
		resp, err := http.Get("http://" + addr + "/orders")
		if err == nil {
			resp.Body.Close()
			return exited, nil
		}
	}
}

// banksimBinary finds banksim beside this program, or builds it from the
// module this program was run from (as with go run).
func banksimBinary(ctx context.Context) (string, error) {
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), "banksim")
		if _, err := os.Stat(beside); err == nil {
			return beside, nil
		}
	}
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", errors.New("banksim: not beside this program and no Go module here to build it from")
	}
	dir, err := os.MkdirTemp("", "banksim")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "banksim")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/banksim")
	build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build banksim: %w", err)
	}
	return bin, nil
}
