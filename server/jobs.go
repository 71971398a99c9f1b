package main

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/promotion"
)

// checkoutTasks are checkout's periodic tasks: the M-Pesa status query for
// payments without a callback, the auto-cancel of unpaid M-Pesa orders,
// and the purge of idle guest carts. Workers run them as River periodic
// jobs, once per period across all workers; each is idempotent besides
// (every change is a conditional update), so an overlap does no harm.
func checkoutTasks(svc *checkout.Service) []jobs.Task {
	return []jobs.Task{
		{Name: "recover_payments", Every: time.Minute, Run: svc.RecoverPayments},
		{Name: "cancel_stale_orders", Every: time.Minute, Run: func(ctx context.Context) (int, error) { return svc.CancelStaleOrders(ctx, time.Now()) }},
		{Name: "purge_carts", Every: time.Hour, Run: func(ctx context.Context) (int, error) { return svc.PurgeCarts(ctx, time.Now()) }},
	}
}

// authTasks are the account service's periodic tasks: the purge of
// one-time secrets (reset links, verification codes) that are used or
// expired, which nothing can redeem any more.
func authTasks(svc *auth.Service) []jobs.Task {
	return []jobs.Task{
		{Name: "purge_secrets", Every: time.Hour, Run: func(ctx context.Context) (int, error) { return svc.PurgeSecrets(ctx, time.Now()) }},
	}
}

// addPromotionWorker registers the worker of the jobs scheduled at each
// promotion's window boundaries, which start and end catalogue sales on
// time (promotion.WindowArgs).
func addPromotionWorker(workers *river.Workers, svc *app.Services) error {
	if err := river.AddWorkerSafely(workers, promotion.NewWindowWorker(svc.Client, svc.Dialect, nil)); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	return nil
}

// mediaTasks are the image store's periodic tasks: the sweep of staged
// uploads never attached and of objects no image names any more
// (media.Service.Sweep); none without image storage.
func mediaTasks(svc *app.Services) []jobs.Task {
	if svc.Media == nil {
		return nil
	}
	return []jobs.Task{
		{Name: "media_sweep", Every: media.SweepEvery, Run: func(ctx context.Context) (int, error) { return svc.Media.Sweep(ctx, time.Now()) }},
	}
}
