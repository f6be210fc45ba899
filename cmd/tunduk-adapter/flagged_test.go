package main

import (
	"context"
	"testing"

	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// TestFlaggedOrdersTakesSettingsLikeServe checks that flagged-orders finds
// its database through the same flags as serve, and refuses to clear the
// flag of an order that does not exist.
func TestFlaggedOrdersTakesSettingsLikeServe(t *testing.T) {
	url := registrytest.URL(t)
	base := []string{"-config", sampleConfig, "-database-url", url}
	if err := cmdFlaggedOrders(context.Background(), base); err != nil {
		t.Fatalf("flagged-orders: %v", err)
	}
	retry := append(base, "-retry", "00000000-0000-4000-8000-00000000dead")
	if err := cmdFlaggedOrders(context.Background(), retry); err == nil {
		t.Error("flagged-orders -retry of an unknown order: got no error, want one")
	}
}
