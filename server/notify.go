package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/cdn"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/email"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/webhook"
)

// newJobs builds the River client that works the store's jobs (roles
// worker and all): the notification deliveries, with their channels (the
// log unless Africa's Talking or SMTP is configured), the CDN purges with
// CDN_PURGE_URL, and periodic. The jobs themselves are enqueued by the
// hooks of the ent client (app.NewClient), in the transaction of the
// change, by whichever process made it. The caller starts and stops the
// client.
func newJobs(cfg config.Config, db *database.DB, client *ent.Client, ob *outbox.Outbox, periodic []*river.PeriodicJob, workers *river.Workers, log *slog.Logger, reg prometheus.Registerer) (*jobs.Client, error) {
	if err := addDeliveryWorker(cfg, client, workers, log, reg); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, webhook.NewWorker(webhook.WorkerConfig{
		Client:          client,
		Timeout:         cfg.WebhookTimeout,
		AllowLoopback:   cfg.WebhookAllowLoopback,
		Backoff:         outbox.Backoff{Base: cfg.WebhookRetryBase, Max: cfg.WebhookRetryMax},
		CircuitFailures: cfg.WebhookCircuitFailures,
		CircuitWindow:   cfg.WebhookCircuitWindow,
		// Staff hear of a disabled subscription through the notification
		// outbox, in the transaction that disabled it.
		OnCircuitOpen: webhook.NotifyStaff(ob, cfg.AdminEmails),
		Log:           log,
	})); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	if cfg.CDNPurgeURL != "" {
		if err := river.AddWorkerSafely(workers, cdn.NewWorker(cdn.WorkerConfig{URL: cfg.CDNPurgeURL, Token: cfg.CDNPurgeToken})); err != nil {
			return nil, fmt.Errorf("cdn purge: %w", err)
		}
	}
	return jobs.New(db, jobs.Config{Workers: workers, PeriodicJobs: periodic, PollInterval: cfg.JobsPollInterval, Logger: log})
}

// addDeliveryWorker adds the notification delivery worker, with its
// channels, to workers.
func addDeliveryWorker(cfg config.Config, client *ent.Client, workers *river.Workers, log *slog.Logger, reg prometheus.Registerer) error {
	logSender := notify.NewLogSender(log)
	var smsSender notify.SMSSender = logSender
	if cfg.SMSUsername != "" {
		s, err := sms.New(sms.Config{BaseURL: cfg.SMSBaseURL, Username: cfg.SMSUsername, APIKey: cfg.SMSAPIKey, SenderID: cfg.SMSSenderID})
		if err != nil {
			return err
		}
		smsSender = s
	}
	var emailSender notify.EmailSender = logSender
	if cfg.SMTPURL != "" {
		s, err := email.New(email.Config{URL: cfg.SMTPURL, From: cfg.SMTPFrom, Admins: cfg.AdminEmails})
		if err != nil {
			return err
		}
		emailSender = s
	}
	set, err := templates.New()
	if err != nil {
		return err
	}
	if err := river.AddWorkerSafely(workers, outbox.NewWorker(outbox.WorkerConfig{
		Client:    client,
		Templates: set,
		SMS:       smsSender,
		Email:     emailSender,
		StoreName: cfg.StoreName,
		Backoff:   outbox.Backoff{Base: cfg.NotifyRetryBase, Max: cfg.NotifyRetryMax},
		Log:       log,
		Metrics:   reg,
	})); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	return nil
}

// startJobs starts rc detached from ctx: ending ctx must not cancel running
// deliveries, since shutdown stops the client gracefully itself.
func startJobs(ctx context.Context, rc *jobs.Client) error {
	if err := rc.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}
