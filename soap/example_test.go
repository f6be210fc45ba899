package soap_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http/httptest"

	"github.com/tunduk/vehicle-adapter/soap"
)

// checkVehicle is a request body as gowsdl would generate it.
type checkVehicle struct {
	XMLName xml.Name `xml:"http://tunduk.kg/vehicles checkVehicle"`
	VIN     string   `xml:"vin"`
}

// checkVehicleResponse is the matching response body.
type checkVehicleResponse struct {
	XMLName xml.Name `xml:"http://tunduk.kg/vehicles checkVehicleResponse"`
	Status  string   `xml:"status"`
}

// A provider and a consumer talking through httptest: the Handler checks
// the request and echoes its header, the Client checks the echo.
func Example() {
	provider, _ := soap.ParseSubsystem("central-server/GOV/70000005/vehicles-service")
	h := &soap.Handler{
		Provider: provider,
		Service: soap.ServiceFunc(func(ctx context.Context, req *soap.Request) (*soap.Response, error) {
			var in checkVehicle
			if err := soap.Unmarshal(req.Body, &in); err != nil {
				return nil, soap.NewFault(soap.CodeBadRequest, "%v", err)
			}
			body, err := soap.Marshal(checkVehicleResponse{Status: "REGISTERED " + in.VIN})
			return &soap.Response{Body: body}, err
		}),
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	channel, _ := soap.ParseSubsystem("central-server/GOV/70000001/citizen-portal")
	c := &soap.Client{URL: srv.URL, Client: channel, NewID: func() string { return "msg-1" }}
	body, _ := soap.Marshal(checkVehicle{VIN: "JTDKB20U093512345"})
	resp, err := c.Do(context.Background(), soap.Call{
		Service: provider.Service("checkVehicle", "v1"),
		UserID:  "KG12345678901234",
		Body:    body,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Close()

	var out checkVehicleResponse
	if err := soap.Unmarshal(resp.Body, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Header.ID, resp.Header.Service)
	fmt.Println(out.Status)
	// Output:
	// msg-1 central-server/GOV/70000005/vehicles-service/checkVehicle/v1
	// REGISTERED JTDKB20U093512345
}
