package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// crashEnv names the environment variable that makes the adapter kill
// itself with SIGKILL at a point of the payment path, for the crash tests:
//
//	TUNDUK_ADAPTER_CRASH_AT=point[:n]
//
// where point is one of adapter's Point constants (approved, order-placed,
// payment-received, completing, completed, refund-sent) and n (default 1)
// says at which passage of that point. Unset or empty, it does nothing.
const crashEnv = "TUNDUK_ADAPTER_CRASH_AT"

// crashPoint parses the value of crashEnv into a checkpoint function; nil
// for an empty value.
func crashPoint(spec string) (func(string), error) {
	if spec == "" {
		return nil, nil
	}
	point, count, found := strings.Cut(spec, ":")
	n := 1
	if found {
		var err error
		if n, err = strconv.Atoi(count); err != nil || n < 1 {
			return nil, fmt.Errorf("%s=%q: want point or point:n with n >= 1", crashEnv, spec)
		}
	}
	var seen atomic.Int64
	return func(p string) {
		if p == point && seen.Add(1) == int64(n) {
			fmt.Fprintf(os.Stderr, "tunduk-adapter: %s: killing myself at %s\n", crashEnv, p)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}, nil
}
