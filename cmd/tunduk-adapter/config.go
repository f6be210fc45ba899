package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/soap"
)

// config is the adapter's configuration file, in TOML. testdata/adapter.toml
// is a commented sample.
type config struct {
	Listen            string `toml:"listen"`
	PublicURL         string `toml:"public_url"`
	DatabaseURL       string `toml:"database_url"`
	SecurityServerURL string `toml:"security_server_url"`
	Subsystem         string `toml:"subsystem"`

	Fees struct {
		State   string `toml:"state"`
		Service string `toml:"service"`
	} `toml:"fees"`
	Deadlines struct {
		Acceptance duration `toml:"acceptance"`
		Photos     duration `toml:"photos"`
		Inspection duration `toml:"inspection"`
		Payment    duration `toml:"payment"`
	} `toml:"deadlines"`
	Risk struct {
		RecentOwnerChange  duration `toml:"recent_owner_change"`
		MaxTransfersPerDay int      `toml:"max_transfers_per_day"`
	} `toml:"risk"`
	Payments struct {
		Lease        duration `toml:"lease"`
		CallTimeout  duration `toml:"call_timeout"`
		BackoffBase  duration `toml:"backoff_base"`
		BackoffMax   duration `toml:"backoff_max"`
		MaxAttempts  int      `toml:"max_attempts"`
		StaleAfter   duration `toml:"stale_after"`
		PollInterval duration `toml:"poll_interval"`
		Batch        int      `toml:"batch"`
	} `toml:"payments"`

	// Photos bound what uploadVinPhotos accepts; zero takes the domain's
	// defaults (adapter.PhotoRules).
	Photos struct {
		MaxCount int `toml:"max_count"`
		MaxBytes int `toml:"max_bytes"`
	} `toml:"photos"`

	Channels []struct {
		Name     string   `toml:"name"`
		Client   string   `toml:"client"`
		Role     string   `toml:"role"`
		Services []string `toml:"services"`
	} `toml:"channel"`

	Banks []struct {
		Code    string `toml:"code"`
		Name    string `toml:"name"`
		Service string `toml:"service"`
		Client  string `toml:"client"`
		Enabled bool   `toml:"enabled"`
	} `toml:"bank"`
}

// duration reads "72h" style values.
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

// loadConfig reads the file at path and lets the environment override the
// values an operator most often changes per host.
func loadConfig(path string) (*config, error) {
	var c config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, fmt.Errorf("config %s: unknown keys %v", path, un)
	}
	if v := os.Getenv("DATABASE_URL"); v != "" {
		c.DatabaseURL = v
	}
	return &c, nil
}

// wiring is the configuration turned into the parts cmd/ connects.
type wiring struct {
	provider soap.Identifier
	cfg      adapter.Config
	channels *endpoint.Channels
	banks    []bankclient.Bank
}

// wire validates every value and reports all mistakes at once, one line
// each.
func (c *config) wire() (*wiring, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	w := &wiring{}

	var err error
	if w.provider, err = soap.ParseSubsystem(c.Subsystem); err != nil {
		fail("subsystem: %v", err)
	}
	if c.Listen == "" {
		fail("listen: empty")
	}
	if c.SecurityServerURL == "" {
		fail("security_server_url: empty")
	}
	for name, v := range map[string]struct {
		s   string
		dst *adapter.Money
	}{"fees.state": {c.Fees.State, &w.cfg.Fees.State}, "fees.service": {c.Fees.Service, &w.cfg.Fees.Service}} {
		if v.s == "" {
			continue
		}
		if *v.dst, err = adapter.ParseMoney(v.s); err != nil {
			fail("%s: %v", name, err)
		}
	}
	w.cfg.Deadlines = adapter.Deadlines{
		Acceptance: c.Deadlines.Acceptance.Duration, Photos: c.Deadlines.Photos.Duration,
		Inspection: c.Deadlines.Inspection.Duration, Payment: c.Deadlines.Payment.Duration,
	}
	w.cfg.Risk = adapter.RiskRules{
		RecentOwnerChange: c.Risk.RecentOwnerChange.Duration,
		DailyTransfers:    c.Risk.MaxTransfersPerDay,
	}
	if c.Risk.MaxTransfersPerDay < 0 {
		fail("risk.max_transfers_per_day: %d is negative", c.Risk.MaxTransfersPerDay)
	}
	p := c.Payments
	w.cfg.Payments = adapter.PaymentSettings{
		Lease: p.Lease.Duration, CallTimeout: p.CallTimeout.Duration,
		BackoffBase: p.BackoffBase.Duration, BackoffMax: p.BackoffMax.Duration,
		MaxAttempts: p.MaxAttempts, StaleAfter: p.StaleAfter.Duration,
		PollInterval: p.PollInterval.Duration, Batch: p.Batch,
	}
	if p.Lease.Duration > 0 && p.CallTimeout.Duration >= p.Lease.Duration {
		fail("payments.call_timeout: %v, want less than payments.lease (%v)",
			p.CallTimeout.Duration, p.Lease.Duration)
	}
	if p.MaxAttempts < 0 || p.Batch < 0 {
		fail("payments: max_attempts and batch must not be negative")
	}

	// A photo travels as one attachment (or one run of inline base64,
	// which soap counts the same way), so soap's cap bounds it first.
	switch p := c.Photos; {
	case p.MaxCount < 0:
		fail("photos.max_count: %d, want 0 (the default) or more", p.MaxCount)
	case p.MaxBytes < 0 || p.MaxBytes > soap.DefaultMaxAttachmentSize:
		fail("photos.max_bytes: %d, want 0 (the default) to %d", p.MaxBytes,
			soap.DefaultMaxAttachmentSize)
	}
	w.cfg.Photos = adapter.PhotoRules{MaxCount: c.Photos.MaxCount, MaxBytes: c.Photos.MaxBytes}

	roles := map[string]adapter.Role{"citizen": adapter.RoleCitizen, "inspection": adapter.RoleInspector}
	var channels []endpoint.Channel
	for i, ch := range c.Channels {
		id, err := soap.ParseSubsystem(ch.Client)
		if err != nil {
			fail("channel %d (%s): client: %v", i+1, ch.Name, err)
			continue
		}
		role, ok := roles[ch.Role]
		if !ok {
			fail("channel %d (%s): role %q, want citizen or inspection", i+1, ch.Name, ch.Role)
			continue
		}
		channels = append(channels, endpoint.Channel{
			Name: ch.Name, Client: id, Role: role, Services: ch.Services,
		})
	}
	for i, b := range c.Banks {
		svc, err := soap.ParseSubsystem(b.Service)
		if err != nil {
			fail("bank %d (%s): service: %v", i+1, b.Code, err)
			continue
		}
		client, err := soap.ParseSubsystem(b.Client)
		if err != nil {
			fail("bank %d (%s): client: %v", i+1, b.Code, err)
			continue
		}
		code := strings.ToUpper(b.Code)
		w.banks = append(w.banks, bankclient.Bank{Code: code, Name: b.Name, Service: svc, Enabled: b.Enabled})
		channels = append(channels, endpoint.Channel{
			Name: b.Name, Client: client, Role: adapter.RoleBank, BankCode: code,
		})
	}
	if w.channels, err = endpoint.NewChannels(channels); err != nil {
		fail("%v", err)
	}
	return w, errors.Join(errs...)
}
