package adapter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

func TestCheckVehicleByBodyNumber(t *testing.T) {
	ctx := context.Background()
	db := registrytest.New(t)
	demo, err := registry.SeedDemo(ctx, db, 1)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	for i := range 2 {
		_, err := db.SQL().Exec(`INSERT INTO vehicles (body_number, make, model, year)
			VALUES ('XTA210600TWIN', 'ВАЗ', '2106', $1)`, 1980+i)
		if err != nil {
			t.Fatalf("insert twin %d: %v", i, err)
		}
	}
	banks, _ := newTestBanks(t)
	svc := adapter.New(db, banks, adapter.Config{})
	inspector := adapter.Caller{Client: "central-server/GOV/70000005/inspection", Role: adapter.RoleInspector}

	tests := []struct {
		name, body string
		want       adapter.Code
	}{
		{"one vehicle", demo.BodyOnly.BodyNumber, adapter.OK},
		{"two vehicles share it", "XTA210600TWIN", adapter.VehicleAmbiguous},
		{"none", "NOSUCHBODY1", adapter.VehicleNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := adapter.ParseVehicleQuery("", "", tt.body)
			if err != nil {
				t.Fatalf("ParseVehicleQuery(%q): %v", tt.body, err)
			}
			r, err := svc.CheckVehicle(ctx, inspector, q)
			if got := adapter.CodeOf(err); got != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
			if tt.want == adapter.OK && r.Vehicle.ID != demo.BodyOnly.ID {
				t.Errorf("got vehicle %d, want %d", r.Vehicle.ID, demo.BodyOnly.ID)
			}
		})
	}
}

func TestTransferIDsAreCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	db := registrytest.New(t)
	demo, err := registry.SeedDemo(ctx, db, 1)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	banks, _ := newTestBanks(t)
	svc := adapter.New(db, banks, adapter.Config{})
	const id = "abcdef01-2345-4678-9abc-def012345678"
	svc.NewID = func() string { return id }
	seller := adapter.Caller{
		Client: "central-server/GOV/70000001/tunduk-portal", Role: adapter.RoleCitizen,
		UserID: "KG" + string(demo.Owner.PIN), MessageID: "m-1",
	}
	if _, err := svc.InitiateTransfer(ctx, seller, adapter.InitiateRequest{
		VIN: demo.Vehicle.VIN, CertificateNumber: demo.CertificateNumber,
		SellerPIN: string(demo.Owner.PIN), BuyerPIN: string(demo.Buyer.PIN), Price: "1000.00",
		SellerAccount: adapter.Account{BankCode: "PILOT", Number: "1030120000123456"},
	}); err != nil {
		t.Fatalf("InitiateTransfer: %v", err)
	}
	st, err := svc.TransferStatus(ctx, seller, strings.ToUpper(id))
	if err != nil || st.Transfer.ID != id {
		t.Errorf("TransferStatus(upper case) = %q, %v; want %q", st.Transfer.ID, err, id)
	}
}
