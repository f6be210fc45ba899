// Package metrics holds the adapter's Prometheus metrics. Everything is
// registered on the registry the caller passes in; nothing is global, so
// tests and several adapters in one process do not collide.
package metrics

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every metric name.
const Namespace = "tunduk_adapter"

// Other is the service label of a request whose service code is not one
// of ours, so that a caller cannot make label values up without bound.
const Other = "other"

// Metrics records the adapter's requests and bank calls.
type Metrics struct {
	services []string

	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	faults       *prometheus.CounterVec
	bankDuration *prometheus.HistogramVec
	bankFailures *prometheus.CounterVec
}

// Snapshot is what a scrape reads from the registry database.
type Snapshot struct {
	Pool             sql.DBStats
	TransfersByState map[string]int64
	OutboxPending    int64
	OutboxOldest     time.Time // zero when nothing is pending
	OutboxFlagged    int64
}

// Source reads a Snapshot; it is called once per scrape.
type Source func(ctx context.Context) (Snapshot, error)

// New registers the adapter's metrics on reg. services lists the service
// codes the adapter publishes; others are counted under Other. src, when
// not nil, is read at each scrape for the database figures. It returns an
// error when a metric is already registered on reg.
func New(reg prometheus.Registerer, services []string, src Source) (*Metrics, error) {
	latency := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &Metrics{
		services: slices.Clone(services),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "requests_total",
			Help: "X-Road requests answered, by service code and result code " +
				"(a business result such as OK, or the SOAP fault code).",
		}, []string{"service", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "request_duration_seconds",
			Help:    "Time from reading an X-Road request to having written its answer.",
			Buckets: latency,
		}, []string{"service"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "faults_total",
			Help: "SOAP faults sent, by fault code.",
		}, []string{"code"}),
		bankDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "bank_call_duration_seconds",
			Help:    "Calls to partner banks through the security server, by bank and operation.",
			Buckets: latency,
		}, []string{"bank", "operation"}),
		bankFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "bank_call_failures_total",
			Help: "Calls to partner banks that failed or were refused, by bank and operation.",
		}, []string{"bank", "operation"}),
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.faults, m.bankDuration, m.bankFailures}
	if src != nil {
		cs = append(cs, newDBCollector(src))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Service returns code when it is one of ours and Other otherwise.
func (m *Metrics) Service(code string) string {
	if slices.Contains(m.services, code) {
		return code
	}
	return Other
}

// Request counts one answered request. result is the business result code,
// or the fault code when fault is true.
func (m *Metrics) Request(service, result string, fault bool, d time.Duration) {
	service = m.Service(service)
	if result == "" {
		result = "unknown"
	}
	m.requests.WithLabelValues(service, result).Inc()
	m.duration.WithLabelValues(service).Observe(d.Seconds())
	if fault {
		m.faults.WithLabelValues(result).Inc()
	}
}

// BankCall records one call to a bank; err is its outcome.
func (m *Metrics) BankCall(bank, operation string, d time.Duration, err error) {
	m.bankDuration.WithLabelValues(bank, operation).Observe(d.Seconds())
	if err != nil {
		m.bankFailures.WithLabelValues(bank, operation).Inc()
	}
}
