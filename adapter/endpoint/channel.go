package endpoint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
)

// Channel is an X-Road client subsystem allowed to call the service, with
// the role it plays.
type Channel struct {
	Name     string
	Client   soap.Identifier // MEMBER or SUBSYSTEM
	Role     adapter.Role
	BankCode string   // for a bank's subsystem: which bank it speaks for
	Services []string // service codes it may call; empty means its role's defaults
}

// roleServices are the service codes each role may call unless a channel
// narrows them.
var roleServices = map[adapter.Role][]string{
	adapter.RoleCitizen: {
		"checkVehicle", "initiateTransfer", "acceptTransfer", "cancelTransfer",
		"uploadVinPhotos", "getTransferStatus", "getRegistrationCertificate",
	},
	adapter.RoleInspector: {
		"checkVehicle", "listPendingInspections", "getVinPhotos", "submitInspection",
		"getTransferStatus",
	},
	adapter.RoleBank: {"checkVehicle", "confirmPayment", "getTransferStatus"},
}

// Allows reports whether the channel may call the service code.
func (ch Channel) Allows(code string) bool {
	if !slices.Contains(roleServices[ch.Role], code) {
		return false
	}
	return len(ch.Services) == 0 || slices.Contains(ch.Services, code)
}

// Channels finds the channel of an X-Road client.
type Channels struct {
	byClient map[string]Channel
}

// NewChannels indexes list by client identifier. It returns an error for a
// channel without a role, a bank channel without a bank code, a service code
// its role may never call, or a client listed twice.
func NewChannels(list []Channel) (*Channels, error) {
	cs := &Channels{byClient: make(map[string]Channel, len(list))}
	for _, ch := range list {
		key := ch.Client.Subsystem().String()
		if _, ok := roleServices[ch.Role]; !ok {
			return nil, fmt.Errorf("endpoint: channel %q (%s) has no valid role", ch.Name, key)
		}
		if ch.Role == adapter.RoleBank && ch.BankCode == "" {
			return nil, fmt.Errorf("endpoint: bank channel %q (%s) has no bank code", ch.Name, key)
		}
		for _, code := range ch.Services {
			if !slices.Contains(roleServices[ch.Role], code) {
				return nil, fmt.Errorf("endpoint: channel %q may not be granted %q", ch.Name, code)
			}
		}
		if _, dup := cs.byClient[key]; dup {
			return nil, fmt.Errorf("endpoint: client %s is listed twice", key)
		}
		cs.byClient[key] = ch
	}
	return cs, nil
}

// Lookup returns the channel of client.
func (cs *Channels) Lookup(client soap.Identifier) (Channel, bool) {
	ch, ok := cs.byClient[client.Subsystem().String()]
	return ch, ok
}

// OfRole returns the clients of the channels with role, sorted by their
// identifier paths.
func (cs *Channels) OfRole(role adapter.Role) []soap.Identifier {
	var ids []soap.Identifier
	for _, ch := range cs.byClient {
		if ch.Role == role {
			ids = append(ids, ch.Client)
		}
	}
	slices.SortFunc(ids, func(a, b soap.Identifier) int { return strings.Compare(a.String(), b.String()) })
	return ids
}
