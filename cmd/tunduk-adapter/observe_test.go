package main

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/cmd/tunduk-adapter/internal/metrics"
)

// fakeBank answers every call with err.
type fakeBank struct{ err error }

func (f fakeBank) CreatePaymentOrder(context.Context, adapter.PaymentOrder) (adapter.BankOrder, error) {
	return adapter.BankOrder{}, f.err
}

func (f fakeBank) PaymentOrder(context.Context, adapter.PaymentOrder) (adapter.BankOrder, error) {
	return adapter.BankOrder{}, f.err
}

func (f fakeBank) CancelPaymentOrder(context.Context, adapter.PaymentOrder, string) (adapter.BankOrder, error) {
	return adapter.BankOrder{}, f.err
}

func (f fakeBank) RefundPayment(context.Context, adapter.PaymentOrder, string) (adapter.BankOrder, error) {
	return adapter.BankOrder{}, f.err
}

type fakeBanks struct{ bank adapter.Bank }

func (f fakeBanks) Bank(code string) (adapter.Bank, bool) { return f.bank, code == "PILOT" }

func TestMeteredBankCountsFailures(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		wantFailures float64
	}{
		{"answered", nil, 0},
		{"not held is an answer", adapter.ErrNoBankOrder, 0},
		{"failed", errors.New("connection refused"), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			bank, ok := meteredBanks{Banks: fakeBanks{fakeBank{tt.err}}, metrics: m}.Bank("PILOT")
			if !ok {
				t.Fatal("got no bank, want PILOT")
			}
			ctx, o := context.Background(), adapter.PaymentOrder{}
			bank.CreatePaymentOrder(ctx, o)
			bank.PaymentOrder(ctx, o)
			bank.CancelPaymentOrder(ctx, o, "x")
			bank.RefundPayment(ctx, o, "x")

			var calls, failures float64
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fams {
				for _, mt := range f.GetMetric() {
					switch f.GetName() {
					case "tunduk_adapter_bank_call_duration_seconds":
						calls += float64(mt.GetHistogram().GetSampleCount())
					case "tunduk_adapter_bank_call_failures_total":
						failures += mt.GetCounter().GetValue()
					}
				}
			}
			if calls != 4 || failures != tt.wantFailures {
				t.Errorf("got %v calls and %v failures, want 4 and %v", calls, failures, tt.wantFailures)
			}
		})
	}
}
