package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Callers the load uses, from the sample configuration.
const (
	inspectionClient = "central-server/GOV/70000005/inspection"
	adapterService   = "central-server/GOV/70000005/vehicle-reregistration"
)

// cmdRead measures checkVehicle and getTransferStatus over HTTP beside
// pgbench running the same SQL and a bare handler answering with bytes of
// the same size.
func cmdRead(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	dbName := fs.String("db-name", "tunduk_bench", "database seeded by loadgen seed")
	config := fs.String("config", "testdata/adapter.toml", "adapter configuration")
	d := fs.Duration("duration", 9*time.Second, "time per target and level, in 3 rounds")
	concs := fs.String("conc", "1,8,32,64", "concurrency levels")
	only := fs.String("only", "", "run only this target: adapter, pgbench or bare")
	pprofAddr := fs.String("pprof", "", "serve the adapter's pprof on this loopback address")
	ops := fs.String("ops", "checkVehicle,getTransferStatus", "services to measure")
	if err := fs.Parse(args); err != nil {
		return err
	}
	levels, err := parseLevels(*concs)
	if err != nil {
		return err
	}
	dbURL, err := registry.DatabaseURL(serverURL(), *dbName)
	if err != nil {
		return err
	}
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	vins, ids, err := prepareRead(ctx, db.SQL())
	if err != nil {
		return err
	}

	var extra []string
	if *pprofAddr != "" {
		extra = append(extra, "-pprof-listen", *pprofAddr)
	}
	ad, err := startAdapter(ctx, *config, dbURL, extra...)
	if err != nil {
		return err
	}
	defer ad.stop()

	all := []readOp{
		{name: "checkVehicle", code: "checkVehicle", script: pgbenchCheckVehicle,
			body: func(i int) any { return &vehicle.CheckVehicle{Vin: vins[i%len(vins)]} }},
		{name: "getTransferStatus", code: "getTransferStatus", script: pgbenchTransferStatus,
			body: func(i int) any { return &vehicle.GetTransferStatus{TransferId: ids[i%len(ids)]} }},
	}
	fmt.Printf("read path, %s per run, on %s (%d vehicles sampled, %d transfers)\n\n",
		*d, *dbName, len(vins), len(ids))
	for _, op := range all {
		if !strings.Contains(*ops, op.name) {
			continue
		}
		if err := op.measure(ctx, ad, dbURL, levels, *d, *only); err != nil {
			return err
		}
	}
	return nil
}

// readOp is one read service with its pgbench twin.
type readOp struct {
	name, code string
	script     string
	body       func(i int) any
}

// measure runs the three targets at each level and prints a table.
func (op readOp) measure(ctx context.Context, ad *process, dbURL string, levels []int,
	d time.Duration, only string) error {
	tmpl, err := newTemplate(op.code, op.body)
	if err != nil {
		return err
	}
	// One real answer, served as it is by the bare handler.
	sample, err := fetch(ctx, ad.url+"/xroad", tmpl.make(0))
	if err != nil {
		return fmt.Errorf("%s: %w", op.name, err)
	}
	bare, err := startBare(ctx, sample)
	if err != nil {
		return err
	}
	defer bare.stop()
	ok := []byte("<code>OK</code>")
	if !bytes.Contains(sample, ok) {
		return fmt.Errorf("%s: sample answer is not OK: %.400s", op.name, sample)
	}

	fmt.Printf("%s (answer %d bytes)\n", op.name, len(sample))
	fmt.Printf("%5s  %-54s %-54s %-54s %s\n", "conc", "adapter over HTTP", "pgbench, same SQL",
		"bare net/http, same bytes", "adapter/pgbench adapter/bare")
	// Each level alternates the three targets in short rounds, so that a
	// change in the machine's background load falls on all three alike.
	const rounds = 3
	slice := d / rounds
	for _, c := range levels {
		var a, p, b result
		for range rounds {
			if only == "" || only == "adapter" {
				a = a.merge(hammer(ctx, ad.url+"/xroad", c, slice, 1<<40, tmpl.make, ok))
			}
			if only == "" || only == "pgbench" {
				pr, err := pgbench(ctx, dbURL, op.script, c, slice)
				if err != nil {
					return err
				}
				p = p.merge(pr)
			}
			if only == "" || only == "bare" {
				b = b.merge(hammer(ctx, bare.url, c, slice, 1<<40, tmpl.make, ok))
			}
		}
		fmt.Printf("%5d  %s %s %s %6.2f %6.2f\n", c, a, p, b, ratio(a, p), ratio(a, b))
	}
	fmt.Println()
	return nil
}

func ratio(a, b result) float64 {
	if b.n == 0 {
		return 0
	}
	return a.rate() / b.rate()
}

// template is a captured request envelope with its variable parts marked,
// so that requests are made by concatenation and the load generator spends
// little of the machine's CPU.
type template struct {
	code  string
	parts [][]byte // between the variable parts: id, then body value
	body  func(i int) any
	value func(i int) string
}

// newTemplate captures what soap.Client sends for the request body of i=0
// and finds the message id and the body's variable text in it.
func newTemplate(code string, body func(i int) any) (*template, error) {
	svc, err := soap.ParseSubsystem(adapterService)
	if err != nil {
		return nil, err
	}
	client, err := soap.ParseSubsystem(inspectionClient)
	if err != nil {
		return nil, err
	}
	var captured []byte
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		captured, _ = io.ReadAll(r.Body)
		return nil, errors.New("captured")
	})}
	el, err := soap.Marshal(body(0))
	if err != nil {
		return nil, err
	}
	c := &soap.Client{URL: "http://127.0.0.1/", HTTP: hc, Client: client,
		NewID: func() string { return "ID-PLACEHOLDER" }}
	_, _ = c.Do(context.Background(), soap.Call{Service: svc.Service(code, "v1"), Body: el})

	t := &template{code: code, body: body}
	value := variable(body(0))
	t.value = func(i int) string { return variable(body(i)) }
	before, after, found := bytes.Cut(captured, []byte("ID-PLACEHOLDER"))
	if !found {
		return nil, errors.New("loadgen: no message id in the captured request")
	}
	mid, end, found := bytes.Cut(after, []byte(value))
	if !found {
		return nil, fmt.Errorf("loadgen: %q not in the captured request", value)
	}
	t.parts = [][]byte{before, mid, end}
	return t, nil
}

// variable is the text that changes between requests.
func variable(v any) string {
	switch v := v.(type) {
	case *vehicle.CheckVehicle:
		return v.Vin
	case *vehicle.GetTransferStatus:
		return v.TransferId
	}
	return ""
}

// make returns request i.
func (t *template) make(i int) []byte {
	b := make([]byte, 0, len(t.parts[0])+len(t.parts[1])+len(t.parts[2])+64)
	b = append(b, t.parts[0]...)
	b = strconv.AppendInt(append(b, "load-"...), int64(i), 10)
	b = append(b, t.parts[1]...)
	b = append(b, t.value(i)...)
	return append(b, t.parts[2]...)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fetch posts one request and returns the answer.
func fetch(ctx context.Context, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// prepareRead samples VINs of the registry and makes sure there are open
// transfers, each with an event, for getTransferStatus.
func prepareRead(ctx context.Context, db *sql.DB) (vins, ids []string, err error) {
	_, err = db.ExecContext(ctx, `
		INSERT INTO transfers (id, vehicle_id, seller_pin, buyer_pin, price, seller_bank_code,
			seller_account, state, deadline)
		SELECT gen_random_uuid()::text, r.vehicle_id, r.owner_pin, '29912319999999', 35000000,
			'PILOT', 'bench', 'AWAITING_BUYER', now() + interval '72 hours'
		FROM registrations r
		WHERE r.until IS NULL AND r.vehicle_id % 1500 = 7
		  AND NOT EXISTS (SELECT 1 FROM transfers WHERE seller_account = 'bench')
		  AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.vehicle_id = r.vehicle_id)`)
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: transfers: %w", err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO transfer_events (transfer_id, to_state, client, note)
		SELECT id, 'AWAITING_BUYER', 'load', 'made by loadgen' FROM transfers t
		WHERE seller_account = 'bench'
		  AND NOT EXISTS (SELECT 1 FROM transfer_events e WHERE e.transfer_id = t.id)`)
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: events: %w", err)
	}
	_, err = db.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS bench_transfers (n integer PRIMARY KEY, id text NOT NULL);
		TRUNCATE bench_transfers;
		INSERT INTO bench_transfers
			SELECT row_number() OVER (ORDER BY id), id FROM transfers WHERE seller_account = 'bench'`)
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: bench_transfers: %w", err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE transfers, transfer_events, bench_transfers`); err != nil {
		return nil, nil, err
	}
	if vins, err = column(ctx, db, `SELECT vin FROM vehicles TABLESAMPLE SYSTEM (1)
		WHERE vin IS NOT NULL LIMIT 5000`); err != nil {
		return nil, nil, err
	}
	if ids, err = column(ctx, db, `SELECT id FROM transfers WHERE seller_account = 'bench'`); err != nil {
		return nil, nil, err
	}
	if len(vins) == 0 || len(ids) == 0 {
		return nil, nil, errors.New("loadgen: the registry is empty; run loadgen seed first")
	}
	return vins, ids, nil
}

// column reads a one-column query.
func column(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// parseLevels reads "1,8,32".
func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 512 {
			return nil, fmt.Errorf("concurrency %q: want 1 to 512", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// stderrFile is where child processes log, so their lines do not mix with
// the report.
func stderrFile(name string) (*os.File, error) {
	return os.Create(os.TempDir() + "/loadgen-" + name + ".log")
}
