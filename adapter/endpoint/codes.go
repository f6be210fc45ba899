package endpoint

import (
	"maps"
	"slices"
)

// ServiceCodes returns the service codes the endpoint publishes, sorted,
// for callers that label metrics by them.
func ServiceCodes() []string {
	return slices.Sorted(maps.Keys(operations))
}
