// Command tunduk-adapter publishes the MVD vehicle re-registration service
// on Tunduk, the Kyrgyz X-Road bus, and calls the partner banks' payment
// services through it.
//
// Usage:
//
//	tunduk-adapter serve      -config adapter.toml   serve X-Road requests
//	tunduk-adapter migrate    -config adapter.toml   apply database migrations
//	tunduk-adapter seed-demo  -config adapter.toml   fill a demo registry
//	tunduk-adapter demo       [-once] [-listen addr] run a whole re-registration locally
//	tunduk-adapter check-config -config adapter.toml validate the configuration
//	tunduk-adapter stuck      -config adapter.toml   list transfers past their deadlines
//	tunduk-adapter flagged-orders -config adapter.toml list payment orders that need an operator
//
// Every command takes -config and a flag for each overridable setting;
// see the README for the precedence of file, environment and flags.
//
// For the crash tests, TUNDUK_ADAPTER_CRASH_AT=point[:n] makes the process
// kill itself at a point of the payment path (see crash.go); it is unset,
// and inert, in normal use.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tunduk-adapter:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: tunduk-adapter serve|migrate|seed-demo|demo|check-config|stuck|flagged-orders [flags]")
	}
	cmds := map[string]func(context.Context, []string) error{
		"serve":          cmdServe,
		"migrate":        cmdMigrate,
		"seed-demo":      cmdSeedDemo,
		"demo":           cmdDemo,
		"check-config":   cmdCheckConfig,
		"stuck":          cmdStuck,
		"flagged-orders": cmdFlaggedOrders,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q; want serve, migrate, seed-demo, demo, check-config, stuck or flagged-orders", args[0])
	}
	return cmd(ctx, args[1:])
}
