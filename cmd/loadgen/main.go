// Command loadgen measures the adapter: it seeds a national-scale registry
// and drives the read path, the write path and photo uploads over HTTP on
// loopback, each beside a reference measured in the same run.
//
// Usage:
//
//	loadgen seed   [-n 1500000] [-db-name tunduk_bench]   national-scale registry
//	loadgen read   [-duration 9s] [-conc 1,8,32,64]        read path vs pgbench vs bare
//	loadgen write  [-n 320] [-conc 32]                     complete re-registrations
//	loadgen upload [-conc 1,4,8] [-size 10000000]          10 MB photo uploads
//
// See README.md beside this file for the results and how to reproduce them.
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
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmds := map[string]func(context.Context, []string) error{
		"seed":   cmdSeed,
		"read":   cmdRead,
		"bare":   cmdBare,
		"write":  cmdWrite,
		"upload": cmdUpload,
	}
	if len(args) == 0 {
		return fmt.Errorf("usage: loadgen seed|read|write|upload [flags]")
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:])
}
