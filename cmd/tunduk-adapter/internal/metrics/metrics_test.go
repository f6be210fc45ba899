package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gathered returns the value of every sample of the metric name, keyed by
// its label values joined with ",".
func gathered(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			key := ""
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetValue()
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestRequestsAndFaults(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg, []string{"checkVehicle"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Request("checkVehicle", "OK", false, time.Millisecond)
	m.Request("checkVehicle", "VEHICLE_NOT_FOUND", false, time.Millisecond)
	m.Request("madeUpByACaller", "Client.UnknownService", true, time.Millisecond)
	m.Request("", "", true, time.Millisecond)

	tests := []struct {
		metric, key string
		want        float64
	}{
		{"tunduk_adapter_requests_total", "OK,checkVehicle", 1},
		{"tunduk_adapter_requests_total", "VEHICLE_NOT_FOUND,checkVehicle", 1},
		{"tunduk_adapter_requests_total", "Client.UnknownService,other", 1},
		{"tunduk_adapter_requests_total", "unknown,other", 1},
		{"tunduk_adapter_faults_total", "Client.UnknownService", 1},
		{"tunduk_adapter_request_duration_seconds", "checkVehicle", 2},
	}
	for _, tt := range tests {
		t.Run(tt.metric+"/"+tt.key, func(t *testing.T) {
			if got := gathered(t, reg, tt.metric)[tt.key]; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, ok := gathered(t, reg, "tunduk_adapter_requests_total")["Client.UnknownService,madeUpByACaller"]; ok {
		t.Error("got a label for a service code we do not publish, want it counted as other")
	}
}

func TestDatabaseFigures(t *testing.T) {
	tests := []struct {
		name    string
		src     Source
		metric  string
		key     string
		want    float64
		present bool
	}{
		{"up", func(context.Context) (Snapshot, error) {
			return Snapshot{OutboxPending: 3, OutboxOldest: time.Now().Add(-time.Minute),
				TransfersByState: map[string]int64{"COMPLETED": 7}}, nil
		}, "tunduk_adapter_transfers", "COMPLETED", 7, true},
		{"outbox", func(context.Context) (Snapshot, error) {
			return Snapshot{OutboxPending: 3}, nil
		}, "tunduk_adapter_outbox_pending_orders", "", 3, true},
		{"down", func(context.Context) (Snapshot, error) {
			return Snapshot{}, errors.New("unreachable")
		}, "tunduk_adapter_db_up", "", 0, true},
		{"down hides stale figures", func(context.Context) (Snapshot, error) {
			return Snapshot{}, errors.New("unreachable")
		}, "tunduk_adapter_outbox_pending_orders", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			if _, err := New(reg, nil, tt.src); err != nil {
				t.Fatal(err)
			}
			got, ok := gathered(t, reg, tt.metric)[tt.key]
			if ok != tt.present || got != tt.want {
				t.Errorf("got %v (present %v), want %v (present %v)", got, ok, tt.want, tt.present)
			}
		})
	}
}
