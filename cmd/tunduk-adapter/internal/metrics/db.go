package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the database queries of one scrape.
const scrapeTimeout = 5 * time.Second

// dbCollector reads the database figures when Prometheus scrapes, so they
// are never stale and cost nothing between scrapes.
type dbCollector struct {
	src Source
	now func() time.Time

	up, poolOpen, poolInUse, poolIdle, poolWait, poolWaitSeconds *prometheus.Desc
	outboxPending, outboxAge, outboxFlagged, transfers           *prometheus.Desc
}

var _ prometheus.Collector = (*dbCollector)(nil)

func newDBCollector(src Source) *dbCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
	}
	return &dbCollector{
		src: src, now: time.Now,
		up:        d("db_up", "1 when the last scrape could read the registry database."),
		poolOpen:  d("db_pool_open_connections", "Connections open to the registry database."),
		poolInUse: d("db_pool_in_use_connections", "Connections in use by queries or transactions."),
		poolIdle:  d("db_pool_idle_connections", "Idle connections kept in the pool."),
		poolWait: d("db_pool_wait_total",
			"Times a query waited for a free connection because the pool was full."),
		poolWaitSeconds: d("db_pool_wait_seconds_total",
			"Time spent waiting for a free connection."),
		outboxPending: d("outbox_pending_orders",
			"Payment orders that owe their bank a call (create, cancel, refund)."),
		outboxAge: d("outbox_oldest_age_seconds",
			"Time since the last news from the bank of the longest-waiting such order; 0 when none."),
		outboxFlagged: d("outbox_flagged_orders",
			"Payment orders flagged for an operator (tunduk-adapter flagged-orders)."),
		transfers: d("transfers", "Transfers in the registry by state.", "state"),
	}
}

// Describe sends every descriptor.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.poolOpen, c.poolInUse, c.poolIdle, c.poolWait,
		c.poolWaitSeconds, c.outboxPending, c.outboxAge, c.outboxFlagged, c.transfers} {
		ch <- d
	}
}

// Collect reads a snapshot and sends its figures. When the database cannot
// be read, only db_up 0 and the pool figures are sent.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.src(ctx)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.poolOpen, float64(s.Pool.OpenConnections))
	gauge(c.poolInUse, float64(s.Pool.InUse))
	gauge(c.poolIdle, float64(s.Pool.Idle))
	counter(c.poolWait, float64(s.Pool.WaitCount))
	counter(c.poolWaitSeconds, s.Pool.WaitDuration.Seconds())
	if err != nil {
		gauge(c.up, 0)
		return
	}
	gauge(c.up, 1)
	gauge(c.outboxPending, float64(s.OutboxPending))
	gauge(c.outboxFlagged, float64(s.OutboxFlagged))
	age := 0.0
	if !s.OutboxOldest.IsZero() {
		age = max(0, c.now().Sub(s.OutboxOldest).Seconds())
	}
	gauge(c.outboxAge, age)
	for state, n := range s.TransfersByState {
		gauge(c.transfers, float64(n), state)
	}
}
