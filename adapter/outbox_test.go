package adapter

import (
	"testing"
	"time"
)

func TestBackoffDoublesToCapWithJitter(t *testing.T) {
	s := New(nil, nil, Config{Payments: PaymentSettings{
		BackoffBase: time.Second, BackoffMax: 30 * time.Second,
	}})
	for _, tc := range []struct {
		attempts int
		ceiling  time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{5, 16 * time.Second}, {6, 30 * time.Second}, {40, 30 * time.Second},
	} {
		t.Run(tc.ceiling.String(), func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 200 {
				d := s.backoff(tc.attempts)
				if d < tc.ceiling/2 || d > tc.ceiling {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]",
						tc.attempts, d, tc.ceiling/2, tc.ceiling)
				}
				seen[d] = true
			}
			if len(seen) < 10 {
				t.Errorf("backoff(%d) took %d distinct values in 200 draws, want jitter",
					tc.attempts, len(seen))
			}
		})
	}
}

func TestOweKeepsALeaseInFlight(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	lease := time.Minute
	for _, tc := range []struct {
		name string
		next time.Time
		want time.Time
	}{
		{"due in the past: at once", now.Add(-time.Hour), now},
		{"leased: after the lease", now.Add(30 * time.Second), now.Add(30 * time.Second)},
		{"long backoff: within one lease", now.Add(time.Hour), now.Add(lease)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := PaymentOrder{Call: CallCreate, Attempts: 7, NextAttemptAt: tc.next,
				LastError: "x", Attention: "y", FlaggedAt: now}
			o.owe(CallCancel, now, lease)
			if o.Call != CallCancel || o.Attempts != 0 || o.LastError != "" || o.Attention != "" ||
				!o.FlaggedAt.IsZero() {
				t.Errorf("got %+v, want a fresh cancel", o)
			}
			if !o.NextAttemptAt.Equal(tc.want) {
				t.Errorf("got next attempt %v, want %v", o.NextAttemptAt, tc.want)
			}
		})
	}
}
