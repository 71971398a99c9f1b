package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/savannah-commerce/savannah/internal/checkout"
)

// job is one periodic task of the serve process.
type job struct {
	name  string
	every time.Duration
	run   func(ctx context.Context) (int, error)
}

// checkoutJobs are checkout's periodic jobs: the M-Pesa status query for
// payments without a callback, the auto-cancel of unpaid M-Pesa orders,
// and the purge of idle guest carts.
//
// This is the hook point for a job queue: each job is a plain, idempotent
// service method that is safe to run on every replica at once (every
// change is a conditional update), so until River schedules them as
// periodic jobs, each serve process runs them on tickers.
func checkoutJobs(svc *checkout.Service) []job {
	return []job{
		{"recover_payments", time.Minute, svc.RecoverPayments},
		{"cancel_stale_orders", time.Minute, func(ctx context.Context) (int, error) { return svc.CancelStaleOrders(ctx, time.Now()) }},
		{"purge_carts", time.Hour, func(ctx context.Context) (int, error) { return svc.PurgeCarts(ctx, time.Now()) }},
	}
}

// runJobs runs each job on its ticker until ctx ends; the returned wait
// blocks until every job has returned.
func runJobs(ctx context.Context, log *slog.Logger, jobs []job) (wait func()) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(j.every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				n, err := j.run(ctx)
				if err != nil && ctx.Err() == nil {
					log.Error("periodic job failed", slog.String("job", j.name), slog.Any("err", err))
				}
				if n > 0 {
					log.Info("periodic job", slog.String("job", j.name), slog.Int("changed", n))
				}
			}
		}()
	}
	return wg.Wait
}
