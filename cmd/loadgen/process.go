package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// process is a child process serving HTTP on loopback.
type process struct {
	url string
	cmd *exec.Cmd
}

// stop interrupts the process and waits for it.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// buildBinary builds the command in dir pkg of this module into a
// temporary folder; the binary is static (CGO_ENABLED=0) like a release.
func buildBinary(ctx context.Context, pkg string) (string, error) {
	dir, err := os.MkdirTemp("", "loadgen-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return bin, nil
}

// start runs bin with args and waits until url answers GET.
func start(ctx context.Context, name, bin string, probe string, args ...string) (*process, error) {
	logf, err := stderrFile(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := http.Get(probe)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &process{cmd: cmd}, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, fmt.Errorf("%s did not become ready; see %s", name, logf.Name())
}

// startAdapter builds and runs tunduk-adapter serve on the database.
// Request logs stay at the default level, info: one JSON line per request
// is part of the cost being measured.
func startAdapter(ctx context.Context, config, dbURL string, extra ...string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return startAdapterAt(ctx, config, dbURL, addr, extra...)
}

// startAdapterAt is startAdapter on a given address.
func startAdapterAt(ctx context.Context, config, dbURL, addr string, extra ...string) (*process, error) {
	bin, err := buildBinary(ctx, "./cmd/tunduk-adapter")
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "-config", config, "-listen", addr,
		"-database-url", dbURL}, extra...)
	p, err := start(ctx, "adapter", bin, "http://"+addr+"/readyz", args...)
	if err != nil {
		return nil, err
	}
	p.url = "http://" + addr
	return p, nil
}

// startBare runs this program's bare subcommand answering with answer.
func startBare(ctx context.Context, answer []byte) (*process, error) {
	f, err := os.CreateTemp("", "loadgen-answer")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(answer); err != nil {
		return nil, err
	}
	f.Close()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := start(ctx, "bare", self, "http://"+addr+"/healthz", "bare", "-listen", addr,
		"-file", f.Name())
	if err != nil {
		return nil, err
	}
	p.url = "http://" + addr + "/xroad"
	return p, nil
}

// cmdBare is reference two: a plain net/http server that reads each
// request body and answers with prepared bytes, no SOAP and no database.
func cmdBare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	file := fs.String("file", "", "answer to send")
	if err := fs.Parse(args); err != nil {
		return err
	}
	answer, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /xroad", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
		_, _ = w.Write(answer)
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// The pgbench twins of the adapter's read transactions: the same
// statements the registry sends, in one transaction, through the extended
// protocol as lib/pq uses it. pgbench cannot pick a random VIN from a
// list, so the vehicle query finds the VIN of a random id inside the same
// statement, and the transfer queries find a transfer id in the small
// table bench_transfers: one more primary key probe per statement than the
// adapter makes.
const (
	pgbenchCheckVehicle = `\set id random(1, 1500000)
BEGIN;
SELECT v.id, COALESCE(v.vin, '') AS vin, COALESCE(v.body_number, '') AS body_number,
  COALESCE(v.plate, '') AS plate, v.make, v.model, v.year, v.color
  FROM vehicles v WHERE v.vin = (SELECT vin FROM vehicles WHERE id = :id);
SELECT r.id, r.vehicle_id, r.owner_pin, p.name AS owner_name, r.certificate_number, r.since,
  r.until, COALESCE(r.transfer_id, '') AS transfer_id
  FROM registrations r JOIN persons p ON p.pin = r.owner_pin
  WHERE r.vehicle_id = :id AND r.until IS NULL;
SELECT id, vehicle_id, kind, authority, since FROM restrictions
  WHERE vehicle_id = :id AND lifted_at IS NULL ORDER BY since, id;
SELECT t.id, t.vehicle_id, COALESCE(v.vin, '') AS vin, COALESCE(v.plate, '') AS plate,
  t.seller_pin, t.buyer_pin, t.price, t.seller_bank_code, t.seller_account, t.buyer_bank_code,
  t.state, t.approval_code, t.certificate_number, t.deadline, t.created_at, t.updated_at
  FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id
  WHERE t.vehicle_id = :id
    AND t.state IN ('AWAITING_BUYER', 'AWAITING_PHOTOS', 'AWAITING_INSPECTION', 'AWAITING_PAYMENT');
COMMIT;
`
	pgbenchTransferStatus = `\set n random(1, 1000)
BEGIN;
SELECT t.id, t.vehicle_id, COALESCE(v.vin, '') AS vin, COALESCE(v.plate, '') AS plate,
  t.seller_pin, t.buyer_pin, t.price, t.seller_bank_code, t.seller_account, t.buyer_bank_code,
  t.state, t.approval_code, t.certificate_number, t.deadline, t.created_at, t.updated_at
  FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id
  WHERE t.id = (SELECT id FROM bench_transfers WHERE n = :n);
SELECT id, transfer_id, bank_code, payer_pin, payee_bank_code, payee_account, price, state_fee,
  service_fee, amount, status, bank_order_id, bank_reference, paid_at, expires_at, attempts,
  next_attempt_at, last_error, created_at FROM payment_orders
  WHERE transfer_id = (SELECT id FROM bench_transfers WHERE n = :n)
  ORDER BY created_at DESC, id DESC LIMIT 1;
SELECT id, transfer_id, from_state, to_state, client, user_id, message_id, note, at
  FROM transfer_events WHERE transfer_id = (SELECT id FROM bench_transfers WHERE n = :n)
  ORDER BY at, id;
COMMIT;
`
)

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs script at concurrency c for d and reads its per-transaction
// log for the percentiles.
func pgbench(ctx context.Context, dbURL, script string, c int, d time.Duration) (result, error) {
	dir, err := os.MkdirTemp("", "loadgen-pgbench")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	sf := filepath.Join(dir, "script.sql")
	if err := os.WriteFile(sf, []byte(script), 0o600); err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, "pgbench", "-n", "-M", "extended", "-c", strconv.Itoa(c),
		"-j", strconv.Itoa(min(c, 2)), "-T", strconv.Itoa(int(d.Seconds())), "-f", sf,
		"-l", "--log-prefix", filepath.Join(dir, "pgb"), dbURL)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		// No transaction finished in the run (the clients were still
		// connecting): report nothing rather than stop the whole run.
		fmt.Fprintf(os.Stderr, "loadgen: pgbench at %d clients finished nothing in %s\n", c, d)
		return result{}, nil
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	lats, err := pgbenchLatencies(dir)
	if err != nil {
		return result{}, err
	}
	r := result{n: len(lats), took: time.Duration(float64(len(lats)) / tps * float64(time.Second))}
	r.percentiles(lats)
	return r, nil
}

// pgbenchLatencies reads the third column (microseconds) of every
// per-transaction log line.
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "pgb.*"))
	if err != nil {
		return nil, err
	}
	var lats []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err == nil {
				lats = append(lats, time.Duration(us)*time.Microsecond)
			}
		}
		fh.Close()
	}
	return lats, nil
}
