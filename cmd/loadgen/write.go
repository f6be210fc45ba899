package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Channels of the sample configuration the sales go through.
const (
	portalClient = "central-server/GOV/70000001/tunduk-portal"
	bankClient   = "central-server/COM/60000001/mobile-app"
	bankService  = "central-server/COM/60000001/payments"
)

// sale is one vehicle to sell: its VIN, certificate and the two parties.
type sale struct {
	vin, certificate, seller, buyer string
}

// seller drives sales through the adapter's X-Road interface.
type seller struct {
	url                         string
	service                     soap.Identifier
	portal, bankApp, inspection soap.Identifier
	hc                          *http.Client
	photo                       []byte
	deadline                    time.Duration
	polls                       atomic.Int64 // getTransferStatus calls made while waiting
}

func newSeller(url string, conc int, photo []byte) (*seller, error) {
	s := &seller{url: url, photo: photo, deadline: 60 * time.Second,
		hc: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: conc * 2}}}
	var err error
	for _, p := range []struct {
		dst *soap.Identifier
		s   string
	}{{&s.service, adapterService}, {&s.portal, portalClient}, {&s.bankApp, bankClient},
		{&s.inspection, inspectionClient}} {
		if *p.dst, err = soap.ParseSubsystem(p.s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// call sends one request and fails unless the result is OK.
func (s *seller) call(ctx context.Context, client soap.Identifier, userID, code string, req, resp any,
	result func() *vehicle.Result) error {
	body, err := soap.Marshal(req)
	if err != nil {
		return err
	}
	c := &soap.Client{URL: s.url, Client: client, HTTP: s.hc}
	r, err := c.Do(ctx, soap.Call{Service: s.service.Service(code, "v1"), UserID: userID, Body: body})
	if err != nil {
		return fmt.Errorf("%s: %w", code, err)
	}
	if err := soap.Unmarshal(r.Body, resp); err != nil {
		return fmt.Errorf("%s: %w", code, err)
	}
	if res := result(); res == nil || res.Code != "OK" {
		return fmt.Errorf("%s: result %v", code, res)
	}
	return nil
}

// open initiates and accepts a sale, leaving it awaiting photos.
func (s *seller) open(ctx context.Context, v sale) (string, error) {
	var init vehicle.InitiateTransferResponse
	if err := s.call(ctx, s.portal, "KG"+v.seller, "initiateTransfer", &vehicle.InitiateTransfer{
		Vin: v.vin, CertificateNumber: v.certificate, SellerPin: v.seller, BuyerPin: v.buyer,
		Price:         "350000.00",
		SellerAccount: &vehicle.BankAccount{BankCode: "PILOT", AccountNumber: "1030120000123456"},
	}, &init, func() *vehicle.Result { return init.Result }); err != nil {
		return "", err
	}
	var acc vehicle.AcceptTransferResponse
	err := s.call(ctx, s.bankApp, "KG"+v.buyer, "acceptTransfer",
		&vehicle.AcceptTransfer{TransferId: init.TransferId, BuyerBankCode: "PILOT"}, &acc,
		func() *vehicle.Result { return acc.Result })
	return init.TransferId, err
}

// upload sends the seller's photo of the VIN plate.
func (s *seller) upload(ctx context.Context, v sale, id string) error {
	b := vehicle.Base64(s.photo)
	var up vehicle.UploadVinPhotosResponse
	return s.call(ctx, s.portal, "KG"+v.seller, "uploadVinPhotos", &vehicle.UploadVinPhotos{
		TransferId: id,
		Photo:      []*vehicle.Photo{{Kind: "VIN_PLATE", ContentType: "image/jpeg", Content: &b}},
	}, &up, func() *vehicle.Result { return up.Result })
}

// complete takes a sale from nothing to COMPLETED: initiate, accept,
// upload, approve, then wait for the bank's payment.
func (s *seller) complete(ctx context.Context, v sale) error {
	id, err := s.open(ctx, v)
	if err != nil {
		return err
	}
	if err := s.upload(ctx, v, id); err != nil {
		return err
	}
	var insp vehicle.SubmitInspectionResponse
	if err := s.call(ctx, s.inspection, "", "submitInspection", &vehicle.SubmitInspection{
		TransferId: id, InspectorId: "LOAD-1", Decision: "APPROVE", ObservedVin: v.vin,
	}, &insp, func() *vehicle.Result { return insp.Result }); err != nil {
		return err
	}
	deadline := time.Now().Add(s.deadline)
	for time.Now().Before(deadline) {
		var st vehicle.GetTransferStatusResponse
		s.polls.Add(1)
		if err := s.call(ctx, s.inspection, "", "getTransferStatus",
			&vehicle.GetTransferStatus{TransferId: id}, &st,
			func() *vehicle.Result { return st.Result }); err != nil {
			return err
		}
		switch st.Transfer.State {
		case "COMPLETED":
			return nil
		case "AWAITING_PAYMENT":
		default:
			return fmt.Errorf("transfer %s ended in %s", id, st.Transfer.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("transfer %s not paid within %s", id, s.deadline)
}

// sales picks n vehicles of the bulk registry with no transfer yet, from
// the ids that leave remainder slot by 1500 (so each command draws on
// vehicles of its own); each is sold to the owner of the next one.
func sales(ctx context.Context, db *sql.DB, n int, slot int) ([]sale, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT v.vin, r.certificate_number, r.owner_pin
		FROM registrations r JOIN vehicles v ON v.id = r.vehicle_id
		WHERE r.until IS NULL AND v.vin LIKE '%B______' AND r.vehicle_id % 1500 = $2
		  AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.vehicle_id = v.id)
		ORDER BY r.vehicle_id LIMIT $1`, n+1, slot)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sale
	for rows.Next() {
		var s sale
		if err := rows.Scan(&s.vin, &s.certificate, &s.seller); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) < n+1 {
		return nil, fmt.Errorf("loadgen: %d free vehicles, want %d; seed afresh", len(out), n+1)
	}
	for i := range n {
		out[i].buyer = out[i+1].seller
	}
	return out[:n], nil
}

// commits reads the database's committed transaction count.
func commits(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database
		WHERE datname = current_database()`).Scan(&n)
	return n, err
}

// cmdWrite measures complete re-registrations per second with banksim
// paying each order at once.
func cmdWrite(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("write", flag.ContinueOnError)
	dbName := fs.String("db-name", "tunduk_bench", "database seeded by loadgen seed")
	config := fs.String("config", "testdata/adapter.toml", "adapter configuration")
	n := fs.Int("n", 320, "re-registrations to complete")
	conc := fs.Int("conc", 32, "concurrent sales")
	slot := fs.Int("slot", 11, "sell vehicles whose id leaves this remainder by 1500 "+
		"(each run uses up some; take another for a fresh set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := startSales(ctx, *dbName, *config)
	if err != nil {
		return err
	}
	defer env.stop()
	list, err := sales(ctx, env.db.SQL(), *n, *slot)
	if err != nil {
		return err
	}
	s, err := newSeller(env.adapter.url+"/xroad", *conc, samplePhoto(64<<10))
	if err != nil {
		return err
	}
	before, err := commits(ctx, env.db.SQL())
	if err != nil {
		return err
	}
	var (
		next, done, failed atomic.Int64
		firstErr           atomic.Value
		wg                 sync.WaitGroup
	)
	start := time.Now()
	for range *conc {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(list)) || ctx.Err() != nil {
					return
				}
				if err := s.complete(ctx, list[i]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	after, err := commits(ctx, env.db.SQL())
	if err != nil {
		return err
	}
	fmt.Printf("write path: %d re-registrations completed (%d failed) at concurrency %d in %s\n",
		done.Load(), failed.Load(), *conc, took.Round(time.Millisecond))
	per := float64(max(1, done.Load()))
	fmt.Printf("  %.1f completed re-registrations/s\n", float64(done.Load())/took.Seconds())
	fmt.Printf("  %.1f commits per transfer on the database, %.1f without the load tool's "+
		"getTransferStatus polls (%d polls, one read-only transaction each)\n",
		float64(after-before)/per, float64(after-before-s.polls.Load())/per, s.polls.Load())
	if m, err := scrape(ctx, env.adapter.url+"/metrics"); err == nil {
		fmt.Printf("  bank calls: %s\n", m)
	}
	if e := firstErr.Load(); e != nil {
		fmt.Printf("  first failure: %s\n", e)
	}
	return nil
}

// salesEnv is the adapter and banksim on the bench database.
type salesEnv struct {
	db      *registry.DB
	adapter *process
	bank    *process
}

func (e *salesEnv) stop() {
	e.adapter.stop()
	e.bank.stop()
	e.db.Close()
}

// startSales starts banksim, paying at once, and the adapter calling it.
func startSales(ctx context.Context, dbName, config string) (*salesEnv, error) {
	dbURL, err := registry.DatabaseURL(serverURL(), dbName)
	if err != nil {
		return nil, err
	}
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	// banksim numbers its orders SIM-000001, ... afresh in every process,
	// so the orders of an earlier run on this database would collide with
	// the new ones (payment_orders_bank_order_key); retire their ids.
	_, err = db.SQL().ExecContext(ctx, `UPDATE payment_orders SET bank_order_id = 'old-' || id
		WHERE bank_order_id LIKE 'SIM-%'`)
	if err != nil {
		return nil, err
	}
	adapterAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bankAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bin, err := buildBinary(ctx, "./cmd/banksim")
	if err != nil {
		return nil, err
	}
	bank, err := start(ctx, "banksim", bin, "http://"+bankAddr+"/orders", "-listen", bankAddr,
		"-adapter-url", "http://"+adapterAddr+"/xroad", "-service", bankService,
		"-client", bankService, "-pay-after", "0s")
	if err != nil {
		return nil, err
	}
	ad, err := startAdapterAt(ctx, config, dbURL, adapterAddr, "-security-server-url",
		"http://"+bankAddr+"/xroad")
	if err != nil {
		bank.stop()
		return nil, err
	}
	return &salesEnv{db: db, adapter: ad, bank: bank}, nil
}

// samplePhoto returns size bytes that start like a JPEG.
func samplePhoto(size int) []byte {
	b := make([]byte, size)
	copy(b, []byte{0xff, 0xd8, 0xff, 0xe0})
	for i := 4; i < size; i++ {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// peakRSS reads the high-water mark of a process's resident memory.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("loadgen: no VmHWM")
}

// scrape summarises the adapter's bank call histogram from /metrics.
func scrape(ctx context.Context, url string) (string, error) {
	b, err := fetchGet(ctx, url)
	if err != nil {
		return "", err
	}
	var sum, count float64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch {
		case strings.HasPrefix(f[0], "tunduk_adapter_bank_call_duration_seconds_sum"):
			sum += v
		case strings.HasPrefix(f[0], "tunduk_adapter_bank_call_duration_seconds_count"):
			count += v
		}
	}
	if count == 0 {
		return "none", nil
	}
	return fmt.Sprintf("%.0f createPaymentOrder calls, mean %.1f ms, %.1f s in all",
		count, sum/count*1000, sum), nil
}

// fetchGet returns the body at url.
func fetchGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
