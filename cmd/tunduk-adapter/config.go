package main

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/adapter/bankclient"
	"github.com/tunduk/vehicle-adapter/adapter/endpoint"
	"github.com/tunduk/vehicle-adapter/soap"
)

// config is the adapter's configuration. It comes from a TOML file
// (testdata/adapter.toml is a commented sample), then environment
// variables, then command-line flags: a later source overrides an earlier
// one, key by key (see overridable).
type config struct {
	Listen               string   `toml:"listen"`
	OpsListen            string   `toml:"ops_listen"`
	PprofListen          string   `toml:"pprof_listen"`
	PublicURL            string   `toml:"public_url"`
	DatabaseURL          string   `toml:"database_url"`
	DatabasePasswordFile string   `toml:"database_password_file"`
	DatabaseMaxConns     int      `toml:"database_max_conns"`
	SecurityServerURL    string   `toml:"security_server_url"`
	Subsystem            string   `toml:"subsystem"`
	ShutdownTimeout      duration `toml:"shutdown_timeout"`

	Log struct {
		Level  string `toml:"level"`
		Format string `toml:"format"`
	} `toml:"log"`

	// TLS is the server side towards the security server.
	TLS struct {
		CertFile     string `toml:"cert_file"`
		KeyFile      string `toml:"key_file"`
		ClientCAFile string `toml:"client_ca_file"`
	} `toml:"tls"`

	// SecurityServerTLS is the client side of calls to our security server.
	SecurityServerTLS struct {
		CAFile   string `toml:"ca_file"`
		CertFile string `toml:"cert_file"`
		KeyFile  string `toml:"key_file"`
	} `toml:"security_server_tls"`

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

	// overrideErrs collects values from the environment or flags that do
	// not parse, reported with the other mistakes by wire.
	overrideErrs []error
}

// duration reads "72h" style values.
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// setting is one key that the environment and flags may override.
type setting struct {
	key  string // the TOML key; the flag is the key with '.' and '_' as '-'
	env  string
	help string
	ptr  func(c *config) any // *string, *int or *duration
}

// overridable lists every overridable key. The environment variable
// TUNDUK_DATABASE_PASSWORD is not here: it is a secret read by wire, never
// a flag (flags show in ps).
var overridable = []setting{
	{"listen", "TUNDUK_LISTEN", "address to serve X-Road on", func(c *config) any { return &c.Listen }},
	{"ops_listen", "TUNDUK_OPS_LISTEN", "address for /healthz, /readyz and /metrics alone",
		func(c *config) any { return &c.OpsListen }},
	{"pprof_listen", "TUNDUK_PPROF_LISTEN", "loopback address for Go's pprof profiles (off if empty)",
		func(c *config) any { return &c.PprofListen }},
	{"public_url", "TUNDUK_PUBLIC_URL", "URL written into the WSDL",
		func(c *config) any { return &c.PublicURL }},
	{"database_url", "DATABASE_URL", "registry database (postgres:// URL)",
		func(c *config) any { return &c.DatabaseURL }},
	{"database_password_file", "TUNDUK_DATABASE_PASSWORD_FILE", "file holding the DB password",
		func(c *config) any { return &c.DatabasePasswordFile }},
	{"database_max_conns", "TUNDUK_DATABASE_MAX_CONNS", "connections in the DB pool",
		func(c *config) any { return &c.DatabaseMaxConns }},
	{"security_server_url", "TUNDUK_SECURITY_SERVER_URL", "our security server, for bank calls",
		func(c *config) any { return &c.SecurityServerURL }},
	{"subsystem", "TUNDUK_SUBSYSTEM", "our X-Road subsystem",
		func(c *config) any { return &c.Subsystem }},
	{"shutdown_timeout", "TUNDUK_SHUTDOWN_TIMEOUT", "grace period on SIGTERM",
		func(c *config) any { return &c.ShutdownTimeout }},
	{"log.level", "TUNDUK_LOG_LEVEL", "debug, info, warn or error",
		func(c *config) any { return &c.Log.Level }},
	{"log.format", "TUNDUK_LOG_FORMAT", "json, text, or auto (text on a terminal)",
		func(c *config) any { return &c.Log.Format }},
	{"tls.cert_file", "TUNDUK_TLS_CERT_FILE", "server certificate (PEM)",
		func(c *config) any { return &c.TLS.CertFile }},
	{"tls.key_file", "TUNDUK_TLS_KEY_FILE", "server private key (PEM)",
		func(c *config) any { return &c.TLS.KeyFile }},
	{"tls.client_ca_file", "TUNDUK_TLS_CLIENT_CA_FILE", "CA or certificate clients must present",
		func(c *config) any { return &c.TLS.ClientCAFile }},
	{"security_server_tls.ca_file", "TUNDUK_SECURITY_SERVER_CA_FILE",
		"CA or certificate of our security server", func(c *config) any { return &c.SecurityServerTLS.CAFile }},
	{"security_server_tls.cert_file", "TUNDUK_SECURITY_SERVER_CERT_FILE",
		"client certificate towards it", func(c *config) any { return &c.SecurityServerTLS.CertFile }},
	{"security_server_tls.key_file", "TUNDUK_SECURITY_SERVER_KEY_FILE",
		"client key towards it", func(c *config) any { return &c.SecurityServerTLS.KeyFile }},
}

// flagName is the command-line name of a setting.
func (s setting) flagName() string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(s.key)
}

// set parses v into the setting's field of c.
func (s setting) set(c *config, v string) error {
	switch p := s.ptr(c).(type) {
	case *string:
		*p = v
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not a whole number: %q", v)
		}
		*p = n
	case *duration:
		return p.UnmarshalText([]byte(v))
	}
	return nil
}

// defaults fills what the file left out.
func (c *config) defaults() {
	if c.ShutdownTimeout.Duration == 0 {
		c.ShutdownTimeout.Duration = 20 * time.Second
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
}

// loadConfig reads the file at path and applies the process environment.
func loadConfig(path string) (*config, error) {
	return loadConfigFrom(path, os.Getenv, nil)
}

// loadConfigFrom reads the file at path, then applies the environment
// (getenv) and then flags (by flag name), each overriding the one before. A
// nil getenv reads none.
func loadConfigFrom(path string, getenv func(string) string, flags map[string]string) (*config, error) {
	var c config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, fmt.Errorf("config %s: unknown keys %v", path, un)
	}
	c.defaults()
	for _, s := range overridable {
		if getenv == nil {
			break
		}
		if v := getenv(s.env); v != "" {
			if err := s.set(&c, v); err != nil {
				c.overrideErrs = append(c.overrideErrs, fmt.Errorf("%s (environment): %w", s.env, err))
			}
		}
	}
	for _, s := range overridable {
		if v, ok := flags[s.flagName()]; ok {
			if err := s.set(&c, v); err != nil {
				c.overrideErrs = append(c.overrideErrs, fmt.Errorf("-%s: %w", s.flagName(), err))
			}
		}
	}
	return &c, nil
}

// wiring is the configuration turned into the parts cmd/ connects.
type wiring struct {
	provider soap.Identifier
	cfg      adapter.Config
	channels *endpoint.Channels
	banks    []bankclient.Bank

	databaseURL string // with the password from its file or the environment
	logLevel    logrus.Level
	textLog     bool
	serverTLS   *tls.Config  // nil: plain HTTP
	outbound    *http.Client // nil: soap's default client
}

// wire validates every value and reports all mistakes at once, one line
// each. It reads the secret TUNDUK_DATABASE_PASSWORD from the process
// environment.
func (c *config) wire() (*wiring, error) { return c.wireEnv(os.Getenv) }

// wireEnv is wire with the environment read through getenv (nil reads
// none).
func (c *config) wireEnv(getenv func(string) string) (*wiring, error) {
	errs := append([]error(nil), c.overrideErrs...)
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	w := &wiring{}

	var err error
	if w.provider, err = soap.ParseSubsystem(c.Subsystem); err != nil {
		fail("subsystem: %v", err)
	}
	checkAddr("listen", c.Listen, true, fail)
	checkAddr("ops_listen", c.OpsListen, false, fail)
	checkAddr("pprof_listen", c.PprofListen, false, fail)
	if host, _, err := net.SplitHostPort(c.PprofListen); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fail("pprof_listen: %q is not a loopback address; profiles reveal memory", c.PprofListen)
		}
	}
	checkURL("public_url", c.PublicURL, false, fail)
	checkURL("security_server_url", c.SecurityServerURL, true, fail)
	if c.ShutdownTimeout.Duration <= 0 || c.ShutdownTimeout.Duration > 10*time.Minute {
		fail("shutdown_timeout: %s, want more than 0 and at most 10m", c.ShutdownTimeout.Duration)
	}
	if c.DatabaseMaxConns < 0 || c.DatabaseMaxConns > 1000 {
		fail("database_max_conns: %d, want 0 (default 20) to 1000", c.DatabaseMaxConns)
	}
	w.databaseURL = c.databaseURL(getenv, fail)

	if w.logLevel, err = logrus.ParseLevel(c.Log.Level); err != nil {
		fail("log.level: %q, want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json":
	case "text":
		w.textLog = true
	case "auto":
		w.textLog = isTerminal(os.Stderr)
	default:
		fail("log.format: %q, want json, text or auto", c.Log.Format)
	}
	w.serverTLS = c.serverTLS(fail)
	w.outbound = c.outboundClient(fail)

	c.wireDomain(w, fail)
	return w, errors.Join(errs...)
}

// wireDomain checks the fees, deadlines, channels and banks.
func (c *config) wireDomain(w *wiring, fail func(string, ...any)) {
	var err error
	for _, v := range []struct {
		name string
		s    string
		dst  *adapter.Money
	}{{"fees.state", c.Fees.State, &w.cfg.Fees.State}, {"fees.service", c.Fees.Service, &w.cfg.Fees.Service}} {
		if v.s == "" {
			continue
		}
		if *v.dst, err = adapter.ParseMoney(v.s); err != nil {
			fail("%s: %v", v.name, err)
		}
	}
	for name, d := range map[string]time.Duration{
		"acceptance": c.Deadlines.Acceptance.Duration, "photos": c.Deadlines.Photos.Duration,
		"inspection": c.Deadlines.Inspection.Duration, "payment": c.Deadlines.Payment.Duration,
	} {
		if d < 0 {
			fail("deadlines.%s: %s, want a positive duration", name, d)
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
	if len(c.Banks) == 0 {
		fail("bank: none configured; payments need at least one [[bank]]")
	}
	bankSeen := map[string]int{}
	for i, b := range c.Banks {
		if strings.TrimSpace(b.Code) == "" {
			fail("bank %d (%s): code: empty", i+1, b.Name)
			continue
		}
		if first, dup := bankSeen[strings.ToUpper(b.Code)]; dup {
			fail("bank %d (%s): code: already used by bank %d", i+1, b.Code, first)
			continue
		}
		bankSeen[strings.ToUpper(b.Code)] = i + 1
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
}

// checkAddr checks a host:port listen address.
func checkAddr(name, addr string, required bool, fail func(string, ...any)) {
	if addr == "" {
		if required {
			fail("%s: empty, want host:port", name)
		}
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		fail("%s: %q is not host:port", name, addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		fail("%s: port %q is not a number from 0 to 65535", name, port)
	}
}

// checkURL checks an absolute http or https URL.
func checkURL(name, raw string, required bool, fail func(string, ...any)) {
	if raw == "" {
		if required {
			fail("%s: empty, want an http:// or https:// URL", name)
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("%s: %q is not an absolute http:// or https:// URL", name, raw)
	}
}

// databaseURL checks database_url and adds the password from
// database_password_file or TUNDUK_DATABASE_PASSWORD, so the secret never
// needs to stand in the configuration file.
func (c *config) databaseURL(getenv func(string) string, fail func(string, ...any)) string {
	if c.DatabaseURL == "" {
		fail("database_url: empty, want postgres://user@host:port/database")
		return ""
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// The value may hold a password, so it is not repeated.
		fail("database_url: not a postgres://user@host:port/database URL")
		return ""
	}
	var password string
	if getenv != nil {
		password = getenv("TUNDUK_DATABASE_PASSWORD")
	}
	if c.DatabasePasswordFile != "" {
		b, err := os.ReadFile(c.DatabasePasswordFile)
		if err != nil {
			fail("database_password_file: %v", err)
			return ""
		}
		password = strings.TrimRight(string(b), "\r\n")
		if password == "" {
			fail("database_password_file: %s is empty", c.DatabasePasswordFile)
		}
	}
	if password != "" {
		user := "postgres"
		if u.User != nil && u.User.Username() != "" {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// redactURL returns raw without its password, for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// serverTLS loads the adapter's certificate and, when client_ca_file is
// set, demands client certificates signed by (or equal to) it.
func (c *config) serverTLS(fail func(string, ...any)) *tls.Config {
	t := c.TLS
	if t.CertFile == "" && t.KeyFile == "" {
		if t.ClientCAFile != "" {
			fail("tls.client_ca_file: set without tls.cert_file and tls.key_file")
		}
		return nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		fail("tls: cert_file and key_file must be set together")
		return nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		fail("tls: %v", err)
		return nil
	}
	if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err != nil {
		fail("tls.cert_file: %v", err)
	} else {
		if _, ok := leaf.PublicKey.(*rsa.PublicKey); !ok {
			fail("tls.cert_file: a %T key; the security server expects RSA", leaf.PublicKey)
		}
		if time.Now().After(leaf.NotAfter) {
			fail("tls.cert_file: expired on %s", leaf.NotAfter.Format(time.DateOnly))
		}
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pool, err := certPool(t.ClientCAFile)
		if err != nil {
			fail("tls.client_ca_file: %v", err)
			return nil
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg
}

// outboundClient is the HTTP client for calls to our security server: with
// the CA to trust and our client certificate when they are configured.
func (c *config) outboundClient(fail func(string, ...any)) *http.Client {
	t := c.SecurityServerTLS
	if t.CAFile == "" && t.CertFile == "" && t.KeyFile == "" {
		return nil
	}
	if u, err := url.Parse(c.SecurityServerURL); err == nil && u.Scheme != "https" {
		fail("security_server_tls: set, but security_server_url is not https://")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pool, err := certPool(t.CAFile)
		if err != nil {
			fail("security_server_tls.ca_file: %v", err)
			return nil
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		fail("security_server_tls: cert_file and key_file must be set together")
		return nil
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			fail("security_server_tls: %v", err)
			return nil
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the security server is reached directly
	tr.TLSClientConfig = cfg
	tr.MaxIdleConnsPerHost = 16
	tr.ResponseHeaderTimeout = 70 * time.Second
	return &http.Client{Transport: tr, Timeout: 75 * time.Second}
}

// certPool reads PEM certificates from path.
func certPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
