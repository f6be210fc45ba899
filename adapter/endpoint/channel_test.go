package endpoint_test

import (
	"strings"
	"testing"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/soap"
)

// serviceCodes are the service codes the adapter publishes.
var serviceCodes = []string{
	"checkVehicle", "initiateTransfer", "acceptTransfer", "cancelTransfer", "uploadVinPhotos",
	"listPendingInspections", "getVinPhotos", "submitInspection", "confirmPayment",
	"getTransferStatus", "getRegistrationCertificate",
}

func TestChannelAllows(t *testing.T) {
	allowed := map[adapter.Role]string{
		adapter.RoleCitizen: "checkVehicle initiateTransfer acceptTransfer cancelTransfer " +
			"uploadVinPhotos getTransferStatus getRegistrationCertificate",
		adapter.RoleInspector: "checkVehicle listPendingInspections getVinPhotos submitInspection " +
			"getTransferStatus",
		adapter.RoleBank: "checkVehicle confirmPayment getTransferStatus",
	}
	for role, list := range allowed {
		ch := endpoint.Channel{Name: "c", Client: portal, Role: role}
		for _, code := range serviceCodes {
			want := strings.Contains(" "+list+" ", " "+code+" ")
			if got := ch.Allows(code); got != want {
				t.Errorf("role %d: Allows(%s) = %v, want %v", role, code, got, want)
			}
		}
	}

	narrowed := endpoint.Channel{Client: bankApp, Role: adapter.RoleCitizen,
		Services: []string{"checkVehicle", "getTransferStatus"}}
	for _, code := range serviceCodes {
		want := code == "checkVehicle" || code == "getTransferStatus"
		if got := narrowed.Allows(code); got != want {
			t.Errorf("narrowed: Allows(%s) = %v, want %v", code, got, want)
		}
	}

	for _, ch := range []endpoint.Channel{
		{Client: portal},                            // no role
		{Client: portal, Role: adapter.Role(99)},    // unknown role
		{Client: portal, Role: adapter.RoleCitizen}, // unknown code below
		{Client: pilotBank, Role: adapter.RoleBank, BankCode: "PILOT"},
	} {
		for _, code := range []string{"deleteVehicle", "", "CHECKVEHICLE"} {
			if ch.Allows(code) {
				t.Errorf("channel with role %d allows %q, want not", ch.Role, code)
			}
		}
	}
}

func TestNewChannels(t *testing.T) {
	tests := []struct {
		name    string
		list    []endpoint.Channel
		wantErr string
	}{
		{"sample configuration", channelList(), ""},
		{"none", nil, ""},
		{"no role", []endpoint.Channel{{Name: "x", Client: portal}}, "no valid role"},
		{"unknown role", []endpoint.Channel{{Name: "x", Client: portal, Role: 7}}, "no valid role"},
		{"bank without a bank code", []endpoint.Channel{
			{Name: "b", Client: pilotBank, Role: adapter.RoleBank}}, "no bank code"},
		{"citizen granted confirmPayment", []endpoint.Channel{
			{Name: "c", Client: portal, Role: adapter.RoleCitizen,
				Services: []string{"checkVehicle", "confirmPayment"}}}, `may not be granted "confirmPayment"`},
		{"bank granted an unknown service", []endpoint.Channel{
			{Name: "b", Client: pilotBank, Role: adapter.RoleBank, BankCode: "PILOT",
				Services: []string{"refund"}}}, `may not be granted "refund"`},
		{"client listed twice", append(channelList(), endpoint.Channel{
			Name: "again", Client: inspection, Role: adapter.RoleCitizen}), "listed twice"},
		{"client listed twice, once as a service identifier", []endpoint.Channel{
			{Name: "a", Client: portal, Role: adapter.RoleCitizen},
			{Name: "b", Client: portal.Service("checkVehicle", "v1"), Role: adapter.RoleCitizen},
		}, "listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := endpoint.NewChannels(tc.list)
			if tc.wantErr == "" {
				if err != nil || cs == nil {
					t.Fatalf("NewChannels = %v, %v; want channels", cs, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "endpoint: ") {
				t.Errorf("got error %q, want it prefixed with the package name", err)
			}
		})
	}
}

func TestChannelsLookup(t *testing.T) {
	member := mustID("central-server/GOV/70000009")
	cs, err := endpoint.NewChannels(append(channelList(), endpoint.Channel{
		Name: "a whole member", Client: member, Role: adapter.RoleInspector}))
	if err != nil {
		t.Fatalf("NewChannels: %v", err)
	}
	tests := []struct {
		name   string
		client soap.Identifier
		want   string // channel name, "" for none
	}{
		{"subsystem", portal, "portal"},
		{"bank subsystem", pilotBank, "Pilot Bank"},
		{"same path with a service code", portal.Service("checkVehicle", "v1"), "portal"},
		{"member without subsystem", member, "a whole member"},
		{"member of a subsystem channel", mustID("central-server/GOV/70000001"), ""},
		{"subsystem of a member channel", mustID("central-server/GOV/70000009/other"), ""},
		{"other subsystem of a known member", mustID("central-server/COM/60000001/other"), ""},
		{"other instance", mustID("test-server/GOV/70000001/tunduk-portal"), ""},
		{"other member class", mustID("central-server/COM/70000001/tunduk-portal"), ""},
		{"case differs", mustID("central-server/GOV/70000001/Tunduk-Portal"), ""},
		{"unknown", stranger, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, ok := cs.Lookup(tc.client)
			if ok != (tc.want != "") || ch.Name != tc.want {
				t.Errorf("Lookup(%s) = %q, %v; want %q", tc.client, ch.Name, ok, tc.want)
			}
		})
	}
	if ch, _ := cs.Lookup(pilotBank); ch.Role != adapter.RoleBank || ch.BankCode != "PILOT" {
		t.Errorf("got bank channel %+v, want role bank with code PILOT", ch)
	}
}

func TestChannelsOfRole(t *testing.T) {
	extra := mustID("central-server/COM/50000001/app")
	cs, err := endpoint.NewChannels(append(channelList(), endpoint.Channel{
		Name: "another app", Client: extra, Role: adapter.RoleCitizen}))
	if err != nil {
		t.Fatalf("NewChannels: %v", err)
	}
	tests := []struct {
		role adapter.Role
		want []soap.Identifier
	}{
		{adapter.RoleCitizen, []soap.Identifier{extra, bankApp, portal}},
		{adapter.RoleInspector, []soap.Identifier{inspection}},
		{adapter.RoleBank, []soap.Identifier{pilotBank}},
		{adapter.Role(42), nil},
	}
	for _, tc := range tests {
		got := cs.OfRole(tc.role)
		if len(got) != len(tc.want) {
			t.Errorf("OfRole(%d) = %v, want %v", tc.role, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("OfRole(%d)[%d] = %s, want %s", tc.role, i, got[i], tc.want[i])
			}
		}
	}
}
