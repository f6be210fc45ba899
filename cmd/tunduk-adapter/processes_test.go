package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// TestTwoProcessesActAsOne drives one load against one `tunduk-adapter
// serve` process and the same load, spread over two processes, against
// another database: concurrent competing initiations for the same
// vehicles, each message also delivered twice. Both runs must end the same
// way: one transfer per vehicle, one OK per vehicle, every repeated
// delivery answered with the first reply.
func TestTwoProcessesActAsOne(t *testing.T) {
	one := runLoad(t, 1)
	two := runLoad(t, 2)
	if one != two {
		t.Errorf("two processes: got\n%s\nwant, as with one process,\n%s", two, one)
	}
	t.Logf("outcome of each run:\n%s", one)
}

// loadVehicles and loadCompetitors shape the load: that many initiations,
// each with a message id of its own, compete for each vehicle.
const (
	loadVehicles    = 5
	loadCompetitors = 6
)

// runLoad serves a fresh seeded database with n processes, drives the load
// and summarises the outcome.
func runLoad(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	dbURL := registrytest.URL(t)
	db, err := registry.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := registry.SeedDemo(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	sales := sellable(t, db)

	var urls []string
	for range n {
		urls = append(urls, startServe(t, dbURL))
	}

	type reply struct {
		vehicle int
		code    string
		body    string
		again   string
	}
	replies := make([]reply, 0, loadVehicles*loadCompetitors)
	var mu sync.Mutex
	var wg sync.WaitGroup
	k := 0
	for v, s := range sales {
		for c := range loadCompetitors {
			k++
			id := fmt.Sprintf("load-%d-%d", v, c)
			first, second := urls[k%len(urls)], urls[(k+1)%len(urls)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := sendInitiation(t, first, id, s)
				b := sendInitiation(t, second, id, s)
				mu.Lock()
				replies = append(replies, reply{v, resultOf(a), a, b})
				mu.Unlock()
			}()
		}
	}
	wg.Wait()

	var lines []string
	for v := range sales {
		var codes []string
		for _, r := range replies {
			if r.vehicle != v {
				continue
			}
			codes = append(codes, r.code)
			if r.body != r.again {
				t.Errorf("vehicle %d: a repeated delivery got %s, the first %s", v, r.again, r.body)
			}
		}
		slices.Sort(codes)
		lines = append(lines, fmt.Sprintf("vehicle %d: %s", v, strings.Join(codes, " ")))
	}
	var transfers, events, perVehicleMax int
	q := db.SQL().QueryRow(`SELECT (SELECT count(*) FROM transfers),
		(SELECT count(*) FROM transfer_events),
		(SELECT COALESCE(max(c), 0) FROM (SELECT count(*) AS c FROM transfers GROUP BY vehicle_id) x)`)
	if err := q.Scan(&transfers, &events, &perVehicleMax); err != nil {
		t.Fatal(err)
	}
	if transfers != loadVehicles || events != loadVehicles || perVehicleMax != 1 {
		t.Errorf("%d processes: got %d transfers, %d events, at most %d per vehicle; want %d, %d, 1",
			n, transfers, events, perVehicleMax, loadVehicles, loadVehicles)
	}
	lines = append(lines, fmt.Sprintf("transfers %d, events %d", transfers, events))
	return strings.Join(lines, "\n")
}

type sale struct{ vin, cert, seller, buyer string }

// sellable picks vehicles without restrictions whose owners own only them.
func sellable(t *testing.T, db *registry.DB) []sale {
	t.Helper()
	rows, err := db.SQL().Query(`
		SELECT v.vin, r.certificate_number, r.owner_pin,
			(SELECT pin FROM persons p WHERE NOT EXISTS
				(SELECT 1 FROM registrations x WHERE x.owner_pin = p.pin) ORDER BY pin LIMIT 1)
		FROM vehicles v JOIN registrations r ON r.vehicle_id = v.id AND r.until IS NULL
		WHERE v.vin IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM restrictions x WHERE x.vehicle_id = v.id AND x.lifted_at IS NULL)
		  AND r.owner_pin IN (SELECT owner_pin FROM registrations WHERE until IS NULL
		                      GROUP BY owner_pin HAVING count(*) = 1)
		ORDER BY v.id LIMIT $1`, loadVehicles)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []sale
	for rows.Next() {
		var s sale
		if err := rows.Scan(&s.vin, &s.cert, &s.seller, &s.buyer); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) != loadVehicles {
		t.Fatalf("seed has %d sellable vehicles, want %d", len(out), loadVehicles)
	}
	return out
}

// startServe runs the built `tunduk-adapter serve` on a free loopback port
// against dbURL and returns its X-Road URL once it answers; start stops it
// when the test ends.
func startServe(t *testing.T, dbURL string) string {
	t.Helper()
	addr := freeAddr(t)
	start(t, dbURL, "tunduk-adapter", "serve", "-config", sampleConfig, "-listen", addr)
	waitReady(t, "http://"+addr+"/healthz")
	return "http://" + addr + "/xroad"
}

// sendInitiation sends the seller's initiation of s as message id to url
// through the Tunduk portal channel and returns the response body.
func sendInitiation(t *testing.T, url, id string, s sale) string {
	provider, _ := soap.ParseSubsystem("central-server/GOV/70000005/vehicle-reregistration")
	client, _ := soap.ParseSubsystem("central-server/GOV/70000001/tunduk-portal")
	body, err := soap.Marshal(&vehicle.InitiateTransfer{
		Vin: s.vin, CertificateNumber: s.cert, SellerPin: s.seller, BuyerPin: s.buyer,
		Price:         "350000.00",
		SellerAccount: &vehicle.BankAccount{BankCode: "PILOT", AccountNumber: "1234567890123456"},
	})
	if err != nil {
		t.Error(err)
		return ""
	}
	c := &soap.Client{URL: url, Client: client, NewID: func() string { return id }}
	resp, err := c.Do(context.Background(), soap.Call{
		Service: provider.Service("initiateTransfer", "v1"), UserID: "KG" + s.seller, Body: body,
	})
	if err != nil {
		t.Errorf("message %s: %v", id, err)
		return ""
	}
	doc := etree.NewDocument()
	doc.SetRoot(resp.Body.Copy())
	b, err := doc.WriteToString()
	if err != nil {
		t.Error(err)
	}
	return b
}

// resultOf returns the result code in a response body.
func resultOf(body string) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil || doc.Root() == nil {
		return "UNREADABLE"
	}
	if el := doc.Root().FindElement("./result/code"); el != nil {
		return el.Text()
	}
	return "NO_RESULT"
}
