package registry_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"

	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// TestLookupsUseIndexes seeds enough vehicles for the planner to prefer an
// index honestly (no enable_seqscan tricks) and checks that every lookup
// the service makes by VIN, plate, body number, owner PIN and certificate
// number scans the index meant for it.
func TestLookupsUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := registrytest.New(t)
	if err := registry.SeedBulk(ctx, db, 20_000, 3); err != nil {
		t.Fatalf("SeedBulk: %v", err)
	}
	var vin, plate, pin, cert string
	var vehicleID int64
	err := db.SQL().QueryRowContext(ctx, `SELECT v.id, v.vin, v.plate, r.owner_pin, r.certificate_number
		FROM vehicles v JOIN registrations r ON r.vehicle_id = v.id ORDER BY v.id OFFSET 12345 LIMIT 1`).
		Scan(&vehicleID, &vin, &plate, &pin, &cert)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, query string
		arg         any
		index       []string // any of them will do
	}{
		{"vehicle by VIN", registry.QueryVehicleByVIN, vin, []string{"vehicles_vin_key"}},
		{"vehicle by plate", registry.QueryVehicleByPlate, plate, []string{"vehicles_plate_key"}},
		{"vehicle by body number", registry.QueryVehicleByBody, "2107-0000001",
			[]string{"vehicles_body_number_idx"}},
		{"vehicles of an owner", registry.QueryRegistrationsOf, pin,
			[]string{"registrations_owner_current_idx"}},
		{"registration by certificate", registry.QueryRegistrationByCertificate, cert,
			[]string{"registrations_certificate_number_key"}},
		{"current registration", registry.QueryCurrentRegistration, vehicleID,
			[]string{"registrations_current_key", "registrations_vehicle_idx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw []byte
			err := db.SQL().QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+tt.query, tt.arg).Scan(&raw)
			if err != nil {
				t.Fatal(err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("plan %s: %v", raw, err)
			}
			indexes, seq := plans[0].Plan.scans()
			if !slices.ContainsFunc(tt.index, func(i string) bool { return indexes[i] }) {
				t.Errorf("plan uses indexes %v, want %s:\n%s", indexes, tt.index, raw)
			}
			if len(seq) > 0 {
				t.Errorf("plan scans %v sequentially:\n%s", seq, raw)
			}
		})
	}
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the test reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	IndexName string     `json:"Index Name"`
	Plans     []planNode `json:"Plans"`
}

// scans returns the indexes the plan reads and the relations it reads
// sequentially.
func (n planNode) scans() (indexes map[string]bool, seq []string) {
	indexes = map[string]bool{}
	var walk func(planNode)
	walk = func(n planNode) {
		if n.IndexName != "" {
			indexes[n.IndexName] = true
		}
		if n.NodeType == "Seq Scan" {
			seq = append(seq, n.Relation)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(n)
	return indexes, seq
}

func TestSeedBulk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := registrytest.New(t)
	if _, err := registry.SeedDemo(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	// Beside a demo registry, as documented.
	if err := registry.SeedBulk(ctx, db, 3000, 9); err != nil {
		t.Fatalf("SeedBulk: %v", err)
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT v.vin, v.plate, r.owner_pin, r.certificate_number
		FROM vehicles v JOIN registrations r ON r.vehicle_id = v.id AND r.until IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	now := time.Now()
	n := 0
	for rows.Next() {
		var vin, plate, pin, cert sql.NullString
		if err := rows.Scan(&vin, &plate, &pin, &cert); err != nil {
			t.Fatal(err)
		}
		n++
		if vin.Valid {
			if _, err := adapter.ParseVIN(vin.String); err != nil {
				t.Errorf("VIN: %v", err)
			}
		}
		if _, err := adapter.ParsePlate(plate.String); err != nil {
			t.Errorf("plate: %v", err)
		}
		if p, err := adapter.ParsePIN(pin.String, now); err != nil || !p.Adult(now) {
			t.Errorf("PIN %s: %v, or not an adult", pin.String, err)
		}
	}
	if n != 3036 {
		t.Errorf("got %d registered vehicles, want 3036", n)
	}
	if err := registry.SeedBulk(ctx, db, 0, 1); err == nil {
		t.Error("SeedBulk of 0 vehicles succeeded")
	}
}
