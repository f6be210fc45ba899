package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// cmdUpload measures 10 MB photo uploads: throughput, and the adapter's
// peak resident memory per concurrent upload.
func cmdUpload(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	dbName := fs.String("db-name", "tunduk_bench", "database seeded by loadgen seed")
	config := fs.String("config", "testdata/adapter.toml", "adapter configuration")
	concs := fs.String("conc", "1,4,8", "concurrency levels, ascending")
	size := fs.Int("size", 10_000_000, "bytes per photo")
	per := fs.Int("per", 3, "uploads per worker at each level")
	slot := fs.Int("slot", 13, "sell vehicles whose id leaves this remainder by 1500 "+
		"(each run uses up some; take another for a fresh set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	levels, err := parseLevels(*concs)
	if err != nil {
		return err
	}
	env, err := startSales(ctx, *dbName, *config)
	if err != nil {
		return err
	}
	defer env.stop()
	total := 0
	for _, c := range levels {
		total += c * *per
	}
	list, err := sales(ctx, env.db.SQL(), total, *slot)
	if err != nil {
		return err
	}
	s, err := newSeller(env.adapter.url+"/xroad", levels[len(levels)-1], samplePhoto(*size))
	if err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, v := range list {
		if ids[i], err = s.open(ctx, v); err != nil {
			return err
		}
	}
	pid := env.adapter.cmd.Process.Pid
	base, err := peakRSS(pid)
	if err != nil {
		return err
	}
	fmt.Printf("photo uploads of %d bytes (inline base64, %d bytes of envelope); "+
		"adapter peak RSS before: %d MiB\n", *size, *size*4/3, base>>20)
	fmt.Printf("%5s %10s %10s %12s %16s %s\n", "conc", "uploads/s", "MB/s", "peak RSS MiB",
		"MiB per upload", "failed")
	offset := 0
	for _, c := range levels {
		batch := list[offset : offset+c**per]
		batchIDs := ids[offset : offset+c**per]
		offset += c * *per
		var next, failed atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range c {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(len(batch)) {
						return
					}
					if err := s.upload(ctx, batch[i], batchIDs[i]); err != nil {
						failed.Add(1)
						fmt.Println("  upload:", err)
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		peak, err := peakRSS(pid)
		if err != nil {
			return err
		}
		ok := len(batch) - int(failed.Load())
		fmt.Printf("%5d %10.2f %10.1f %12d %16.1f %d\n", c, float64(ok)/took.Seconds(),
			float64(ok)*float64(*size)/1e6/took.Seconds(), peak>>20,
			float64(peak-base)/float64(1<<20)/float64(c), failed.Load())
	}
	return nil
}
