package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderevent"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// DeliverArgs is the job that delivers one notification.
type DeliverArgs struct {
	// NotificationID is the row to deliver; everything else is read from
	// the database when the job runs.
	NotificationID int `json:"notification_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "notification_deliver" }

// Backoff is the delay before retry n (1-based) of a delivery: Base
// doubled n-1 times, capped at Max, then "equal jitter" (a random point in
// the upper half), so that messages failed by one outage do not all return
// at the same instant.
type Backoff struct {
	Base, Max time.Duration
}

// The default backoff starts at a second and stops growing at an hour.
const (
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = time.Hour
)

// Delay returns the delay before retry n.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// maxLastError bounds last_error (the column holds 2000 characters).
const maxLastError = 1000

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// Client reads and updates notifications; it must be the pool client
	// whose transactions database.InTx opens.
	Client *ent.Client
	// Templates render the messages.
	Templates *templates.Set
	// SMS and Email send them.
	SMS   notify.SMSSender
	Email notify.EmailSender
	// StoreName signs every message.
	StoreName string
	// Backoff spaces the retries; zero means DefaultBackoffBase doubling
	// up to DefaultBackoffMax.
	Backoff Backoff
	// Log receives one line per failed attempt.
	Log *slog.Logger
	// Metrics, when set, registers and counts delivery attempts by
	// channel and outcome.
	Metrics prometheus.Registerer
}

// Worker delivers notifications.
//
// Exactly once: a delivery first reads the row and does nothing when it is
// already SENT, so a job that runs again (a retry River scheduled before a
// commit it could not see, a second job from a race) never sends twice.
// After the provider accepted the message, the row becomes SENT and the
// job completes in one transaction (river.JobCompleteTx), so the two
// cannot disagree. The limit: if the process dies after the provider
// accepted the message and before that transaction commits, River rescues
// the job later and the message goes out a second time. Neither Africa's
// Talking nor SMTP accepts an idempotency key, so no design can close that
// window; it is a few milliseconds wide. The send itself holds no
// transaction open (on SQLite that would stop the whole store for as long
// as a provider hangs).
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	cfg      WorkerConfig
	attempts *prometheus.CounterVec // nil without Metrics
}

// The outcomes of a delivery attempt, as counted.
const (
	outcomeSent   = "sent"    // the provider accepted the message
	outcomeRetry  = "retried" // a transient failure; it will be tried again
	outcomeFailed = "failed"  // a permanent failure, or the last attempt's
)

// NewWorker returns a Worker.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Backoff.Base <= 0 {
		cfg.Backoff = Backoff{Base: DefaultBackoffBase, Max: DefaultBackoffMax}
	}
	if cfg.Backoff.Max < cfg.Backoff.Base {
		cfg.Backoff.Max = cfg.Backoff.Base
	}
	w := &Worker{cfg: cfg}
	if cfg.Metrics != nil {
		w.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_notifications_total",
			Help: "Notification delivery attempts by channel (sms, email) and outcome: sent, retried (transient failure), failed (permanent, or out of attempts).",
		}, []string{"channel", "outcome"})
		cfg.Metrics.MustRegister(w.attempts)
	}
	return w
}

// count records an attempt's outcome.
func (w *Worker) count(n *ent.Notification, outcome string) {
	if w.attempts != nil {
		w.attempts.WithLabelValues(strings.ToLower(string(n.Channel)), outcome).Inc()
	}
}

// NextRetry implements river.Worker: exponential backoff with jitter.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(w.cfg.Backoff.Delay(job.Attempt))
}

// Work delivers one notification.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	ctx = viewer.System(ctx, "outbox: deliver a notification")
	c := w.cfg.Client
	id := job.Args.NotificationID
	n, err := c.Notification.Get(ctx, id)
	if ent.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("notification %d: %w", id, ErrNotFound))
	}
	if err != nil {
		return fmt.Errorf("notification %d: %w", id, err)
	}
	switch n.Status {
	case notification.StatusSENT:
		return nil // delivered already: never twice
	case notification.StatusFAILED:
		// Given up on; retryNotification sets it PENDING before a new job.
		return river.JobCancel(fmt.Errorf("notification %d has failed", id))
	}

	// The attempt counts before the send, so that one cut short by a
	// crash is counted too.
	if err := c.Notification.UpdateOneID(id).AddAttempts(1).Exec(ctx); err != nil {
		return fmt.Errorf("notification %d: count attempt: %w", id, err)
	}
	res, sendErr := w.send(ctx, n)
	if sendErr == nil {
		w.count(n, outcomeSent)
		return database.InTx(ctx, c, func(ctx context.Context) error {
			err := ent.FromContext(ctx).Notification.Update().
				Where(notification.ID(id), notification.StatusEQ(notification.StatusPENDING)).
				SetStatus(notification.StatusSENT).
				SetSentAt(time.Now()).
				SetProviderMessageID(res.ProviderID).
				ClearLastError().
				ClearSecret().
				Exec(ctx)
			if err != nil {
				return fmt.Errorf("notification %d: mark sent: %w", id, err)
			}
			tx, err := database.SQLTx(ctx)
			if err != nil {
				return err
			}
			// The driver type parameter only satisfies the compiler: the
			// completion runs on the worker's own client's driver, either
			// database's.
			if _, err := river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx, job); err != nil {
				return fmt.Errorf("notification %d: complete job: %w", id, err)
			}
			return nil
		})
	}

	final := notify.IsPermanent(sendErr) || job.Attempt >= job.MaxAttempts
	if final {
		w.count(n, outcomeFailed)
	} else {
		w.count(n, outcomeRetry)
	}
	upd := c.Notification.UpdateOneID(id).SetLastError(truncate(sendErr.Error(), maxLastError))
	if final {
		upd.SetStatus(notification.StatusFAILED).ClearSecret()
	}
	if err := upd.Exec(ctx); err != nil {
		return errors.Join(sendErr, fmt.Errorf("notification %d: record failure: %w", id, err))
	}
	if w.cfg.Log != nil {
		w.cfg.Log.WarnContext(ctx, "notification not delivered",
			slog.Int("notification_id", id), slog.String("channel", string(n.Channel)),
			slog.Int("attempt", job.Attempt), slog.Int("max_attempts", job.MaxAttempts),
			slog.Bool("final", final), slog.String("error", sendErr.Error()))
	}
	if notify.IsPermanent(sendErr) {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// send renders n and hands it to its channel. A message that cannot be
// rendered never will be: that is permanent.
func (w *Worker) send(ctx context.Context, n *ent.Notification) (notify.SendResult, error) {
	admin := strings.HasPrefix(n.Template, adminPrefix)
	ev := templates.Event(strings.TrimPrefix(n.Template, adminPrefix))
	d, err := w.data(ctx, n, ev)
	if err != nil {
		return notify.SendResult{}, err
	}
	switch n.Channel {
	case notification.ChannelSMS:
		if admin {
			return notify.SendResult{}, notify.Permanent(fmt.Errorf("template %q has no SMS", n.Template))
		}
		msg, err := w.cfg.Templates.SMS(ev, d)
		if err != nil {
			return notify.SendResult{}, notify.Permanent(err)
		}
		return w.cfg.SMS.SendSMS(ctx, n.Recipient, msg.Body)
	case notification.ChannelEMAIL:
		render := w.cfg.Templates.Email
		if admin {
			render = w.cfg.Templates.AdminEmail
		}
		e, err := render(ev, d)
		if err != nil {
			return notify.SendResult{}, notify.Permanent(err)
		}
		e.To = []string{n.Recipient}
		return w.cfg.Email.SendEmail(ctx, e)
	default:
		return notify.SendResult{}, notify.Permanent(fmt.Errorf("unknown channel %q", n.Channel))
	}
}

// data gathers what the templates show about n's order. A database error
// is transient (retried); a notification without an order is permanent.
func (w *Worker) data(ctx context.Context, n *ent.Notification, ev templates.Event) (templates.Data, error) {
	if templates.IsAccount(ev) {
		if n.Secret == nil {
			return templates.Data{}, notify.Permanent(errors.New("account message has no secret"))
		}
		return templates.Data{StoreName: w.cfg.StoreName, Secret: *n.Secret}, nil
	}
	if n.OrderID == nil {
		return templates.Data{}, notify.Permanent(errors.New("notification has no order"))
	}
	o, err := w.cfg.Client.Order.Query().
		Where(order.ID(*n.OrderID)).
		WithCustomer().
		WithLines().
		Only(ctx)
	if err != nil {
		return templates.Data{}, notify.Transient(fmt.Errorf("order %d: %w", *n.OrderID, err))
	}
	d := templates.Data{
		StoreName:     w.cfg.StoreName,
		OrderNumber:   o.Number,
		CustomerEmail: o.Email,
		CustomerPhone: o.Phone,
		Total:         templates.Money{Minor: o.TotalMinor, Currency: o.Currency},
		// The tax as placed (internal/pricing's figures on the order).
		PricesIncludeTax: o.PricesIncludeTax,
		Tax:              templates.Money{Minor: o.TaxMinor, Currency: o.Currency},
	}
	// Net and shipping as placed: the order's snapshot, read as checkout
	// reads it, never recomputed from today's rates.
	amounts := checkout.AmountsOf(o)
	d.Net = templates.Money{Minor: amounts.Total.Net, Currency: o.Currency}
	d.Shipping = templates.Money{Minor: amounts.Shipping.Gross, Currency: o.Currency}
	if n.Secret != nil { // a guest's order link (GuestOrderPlaced)
		d.Secret = *n.Secret
	}
	for _, tl := range o.TaxLines {
		d.Taxes = append(d.Taxes, templates.Tax{Name: tl.Name, Amount: templates.Money{Minor: tl.TaxMinor, Currency: o.Currency}})
	}
	if c := o.Edges.Customer; c != nil {
		d.CustomerName = c.Name
		if d.CustomerEmail == "" {
			d.CustomerEmail = c.Email
		}
		if d.CustomerPhone == "" {
			d.CustomerPhone = c.Phone
		}
	}
	for _, l := range o.Edges.Lines {
		it := templates.Item{Name: l.ProductName, Quantity: l.Quantity, LineTotal: templates.Money{Minor: l.LineTotalMinor, Currency: o.Currency}}
		if l.VariantName != l.ProductName && !strings.EqualFold(l.VariantName, "default") {
			it.Variant = l.VariantName
		}
		d.Items = append(d.Items, it)
	}
	switch ev {
	case templates.OrderShipped, templates.OrderDelivered, templates.OrderCancelled:
		// The message staff gave with the change: the tracking reference
		// of a shipment, the reason of a cancellation.
		e, err := o.QueryEvents().
			Where(orderevent.TypeEQ(orderevent.TypeSTATUS_CHANGED), orderevent.ToStatus(strings.ToUpper(strings.TrimPrefix(string(ev), "order_")))).
			Order(ent.Desc(orderevent.FieldCreatedAt), ent.Desc(orderevent.FieldID)).
			First(ctx)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return templates.Data{}, notify.Transient(fmt.Errorf("order %d events: %w", o.ID, err))
		case ev == templates.OrderShipped:
			d.Tracking = e.Message
		default:
			d.Note = e.Message
		}
	case templates.PaymentSucceeded, templates.PaymentFailed:
		st := payment.StatusSUCCEEDED
		if ev == templates.PaymentFailed {
			st = payment.StatusFAILED
		}
		p, err := o.QueryPayments().Where(payment.StatusEQ(st)).
			Order(ent.Desc(payment.FieldUpdatedAt), ent.Desc(payment.FieldID)).First(ctx)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return templates.Data{}, notify.Transient(fmt.Errorf("order %d payments: %w", o.ID, err))
		default:
			d.Total = templates.Money{Minor: p.AmountMinor, Currency: p.Currency}
			d.Note = p.FailureReason
		}
	}
	return d, nil
}

// truncate shortens s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
