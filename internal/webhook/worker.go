package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/webhookdelivery"
	"github.com/savannah-commerce/savannah/ent/webhooksubscription"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Circuit defaults: a subscription is disabled once its deliveries have
// failed this many times in a row over at least this long.
const (
	DefaultCircuitFailures = 10
	DefaultCircuitWindow   = 6 * time.Hour
)

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// Client reads and updates deliveries (the pool client).
	Client *ent.Client
	// HTTP sends the requests; nil means NewHTTPClient(Timeout,
	// AllowLoopback).
	HTTP *http.Client
	// Timeout bounds each request; zero means 10 seconds.
	Timeout time.Duration
	// AllowLoopback lets requests reach loopback addresses (tests).
	AllowLoopback bool
	// Backoff spaces retries (the outbox's exponential backoff with
	// jitter); zero means 1 s doubling up to an hour.
	Backoff outbox.Backoff
	// CircuitFailures and CircuitWindow: a subscription is disabled when
	// this many consecutive deliveries failed, the first at least
	// CircuitWindow ago. Zero means the defaults.
	CircuitFailures int
	CircuitWindow   time.Duration
	// OnCircuitOpen, when set, is called in the transaction that
	// disabled sub, to tell staff.
	OnCircuitOpen func(ctx context.Context, client *ent.Client, sub *ent.WebhookSubscription) error
	Log           *slog.Logger
	Now           func() time.Time
}

// Worker sends deliveries.
//
// A delivery that succeeded is marked DELIVERED and never sent again by a
// later run of its job; if the process dies between the receiver's answer
// and that mark, the job is rescued and the receiver gets the same event
// (the same webhook-id) again, which it drops as a duplicate.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	cfg WorkerConfig
}

// NewWorker returns a Worker.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = NewHTTPClient(cfg.Timeout, cfg.AllowLoopback)
	}
	if cfg.Backoff.Base <= 0 {
		cfg.Backoff = outbox.Backoff{Base: outbox.DefaultBackoffBase, Max: outbox.DefaultBackoffMax}
	}
	if cfg.CircuitFailures <= 0 {
		cfg.CircuitFailures = DefaultCircuitFailures
	}
	if cfg.CircuitWindow <= 0 {
		cfg.CircuitWindow = DefaultCircuitWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{cfg: cfg}
}

// NextRetry implements river.Worker: exponential backoff with jitter.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return w.cfg.Now().Add(w.cfg.Backoff.Delay(job.Attempt))
}

// Timeout implements river.Worker: a little more than the request's.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.cfg.Timeout + 30*time.Second
}

// NotifyStaff is the OnCircuitOpen that emails each of the administrators
// to through the notification outbox (templates.WebhookDisabled), in the
// transaction that disabled the subscription.
func NotifyStaff(ob *outbox.Outbox, to []string) func(ctx context.Context, client *ent.Client, sub *ent.WebhookSubscription) error {
	return func(ctx context.Context, client *ent.Client, sub *ent.WebhookSubscription) error {
		for _, addr := range to {
			if err := ob.Account(ctx, client, notification.ChannelEMAIL, addr, templates.WebhookDisabled, sub.URL+" ("+sub.DisabledReason+")"); err != nil {
				return fmt.Errorf("webhook: notify staff: %w", err)
			}
		}
		return nil
	}
}

// ErrNotDelivered is a delivery the receiver did not accept.
var ErrNotDelivered = errors.New("webhook: not delivered")

// Work sends one delivery.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	ctx = viewer.System(ctx, "webhook: deliver an event")
	c := w.cfg.Client
	id := job.Args.DeliveryID
	d, err := c.WebhookDelivery.Query().Where(webhookdelivery.ID(id)).WithSubscription().Only(ctx)
	if ent.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("webhook delivery %d: not found", id))
	}
	if err != nil {
		return fmt.Errorf("webhook delivery %d: %w", id, err)
	}
	if d.State != webhookdelivery.StatePENDING {
		return nil // delivered already, or given up on
	}
	sub := d.Edges.Subscription
	if !sub.Active {
		err := c.WebhookDelivery.UpdateOneID(id).SetState(webhookdelivery.StateFAILED).
			SetLastError("subscription disabled").ClearNextAttemptAt().Exec(ctx)
		return river.JobCancel(errors.Join(errors.New("subscription disabled"), err))
	}

	status, latency, sendErr := w.send(ctx, sub, d)
	now := w.cfg.Now()
	upd := c.WebhookDelivery.UpdateOneID(id).AddAttempts(1).SetLatencyMs(int(latency.Milliseconds()))
	if status != 0 {
		upd.SetResponseStatus(status)
	} else {
		upd.ClearResponseStatus()
	}
	if sendErr == nil {
		if err := upd.SetState(webhookdelivery.StateDELIVERED).SetDeliveredAt(now).SetLastError("").ClearNextAttemptAt().Exec(ctx); err != nil {
			return fmt.Errorf("webhook delivery %d: mark delivered: %w", id, err)
		}
		return c.WebhookSubscription.UpdateOneID(sub.ID).SetConsecutiveFailures(0).ClearFailingSince().Exec(ctx)
	}

	final := job.Attempt >= job.MaxAttempts
	msg := sendErr.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	upd.SetLastError(msg)
	if final {
		upd.SetState(webhookdelivery.StateFAILED).ClearNextAttemptAt()
	} else {
		upd.SetNextAttemptAt(w.NextRetry(job))
	}
	if err := upd.Exec(ctx); err != nil {
		return errors.Join(sendErr, fmt.Errorf("webhook delivery %d: record failure: %w", id, err))
	}
	if err := w.failed(ctx, sub.ID, now); err != nil {
		return errors.Join(sendErr, err)
	}
	w.cfg.Log.WarnContext(ctx, "webhook not delivered",
		slog.Int("delivery_id", id), slog.Int("subscription_id", sub.ID), slog.Int("attempt", job.Attempt),
		slog.Int("status", status), slog.Bool("final", final), slog.String("error", msg))
	return sendErr
}

// failed counts a failure against the subscription and opens its circuit
// when the failures have persisted, in one transaction.
func (w *Worker) failed(ctx context.Context, subID int, now time.Time) error {
	err := database.InTx(ctx, w.cfg.Client, func(ctx context.Context) error {
		c := ent.FromContext(ctx)
		sub, err := c.WebhookSubscription.Get(ctx, subID)
		if err != nil {
			return err
		}
		since := now
		if sub.FailingSince != nil {
			since = *sub.FailingSince
		}
		n := sub.ConsecutiveFailures + 1
		upd := c.WebhookSubscription.Update().Where(webhooksubscription.ID(subID), webhooksubscription.Active(true)).
			SetConsecutiveFailures(n).SetFailingSince(since)
		open := n >= w.cfg.CircuitFailures && now.Sub(since) >= w.cfg.CircuitWindow
		if open {
			upd.SetActive(false).SetDisabledReason(fmt.Sprintf("%d consecutive failed deliveries since %s", n, since.UTC().Format(time.RFC3339)))
		}
		changed, err := upd.Save(ctx)
		if err != nil || !open || changed == 0 {
			return err
		}
		w.cfg.Log.WarnContext(ctx, "webhook subscription disabled after persistent failure",
			slog.Int("subscription_id", subID), slog.Int("consecutive_failures", n))
		if w.cfg.OnCircuitOpen != nil {
			sub, err := c.WebhookSubscription.Get(ctx, subID)
			if err != nil {
				return err
			}
			return w.cfg.OnCircuitOpen(ctx, c, sub)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhook subscription %d: count failure: %w", subID, err)
	}
	return nil
}

// send signs and posts the delivery's body; a 2xx answer is success.
func (w *Worker) send(ctx context.Context, sub *ent.WebhookSubscription, d *ent.WebhookDelivery) (int, time.Duration, error) {
	wh, err := standardwebhooks.NewWebhook(sub.Secret)
	if err != nil {
		return 0, 0, fmt.Errorf("webhook: secret: %w", err)
	}
	ts := w.cfg.Now()
	body := []byte(d.Body)
	sig, err := wh.Sign(d.EventID, ts, body)
	if err != nil {
		return 0, 0, fmt.Errorf("webhook: sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("webhook: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Savannah-Webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, d.EventID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	start := time.Now()
	resp, err := w.cfg.HTTP.Do(req)
	latency := time.Since(start)
	if err != nil {
		return 0, latency, fmt.Errorf("%w: %w", ErrNotDelivered, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, latency, fmt.Errorf("%w: receiver answered %d", ErrNotDelivered, resp.StatusCode)
	}
	return resp.StatusCode, latency, nil
}
