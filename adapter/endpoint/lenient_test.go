package endpoint_test

import (
	"context"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// TestLenientForms checks forms of a request that X-Road peers send and the
// contract's types do not spell: a wrapper named serviceCode+"Request".
func TestLenientForms(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	inspector := &soap.Client{URL: s.url, Client: inspection}

	t.Run("wrapper with Request suffix", func(t *testing.T) {
		body := etree.NewElement("checkVehicleRequest")
		body.CreateAttr("xmlns", "http://vehicles.mvd.gov.kg/xroad/v1")
		body.CreateElement("vin").SetText(s.demo.Vehicle.VIN)
		resp, err := inspector.Do(ctx, soap.Call{Service: provider.Service("checkVehicle", "v1"), Body: body})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		defer resp.Close()
		var out vehicle.CheckVehicleResponse
		if err := soap.Unmarshal(resp.Body, &out); err != nil {
			t.Fatal(err)
		}
		if out.Result == nil || out.Result.Code != "OK" || out.Vehicle == nil ||
			out.Vehicle.Vin != s.demo.Vehicle.VIN {
			t.Errorf("got %+v, want OK for %s", out, s.demo.Vehicle.VIN)
		}
	})

}
