// Package outbox turns changes to orders and payments into notifications
// that are delivered exactly when the change commits.
//
// Hooks on the ent client (Register) react to an order being created or
// changing status, and to a payment succeeding or failing: in the
// mutation's own transaction they write one Notification row per message
// (SMS and email to the customer, email to each administrator for a new
// order) and insert one River job per row with InsertTx. A rolled-back
// change therefore leaves neither rows nor jobs, and a committed one always
// has both, whatever crashes afterwards. The Worker then renders and sends
// each message, retrying with backoff.
//
// The hooks are registered at run time with client.Use, in one place,
// rather than declared in ent/schema: they need the River client and the
// store's configuration, which ent/schema cannot import without a cycle
// (and without a package-level variable to smuggle them in), and a client
// without them (a seeding command, a test of the catalogue) has nothing to
// deliver notifications with.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// ErrNotFailed is returned by Retry for a notification that is not FAILED:
// a pending one is still being delivered, a sent one must not be sent
// twice.
var ErrNotFailed = errors.New("only a failed notification can be retried")

// ErrNotFound is returned by Retry for an unknown notification.
var ErrNotFound = errors.New("notification not found")

// adminPrefix marks the template of the administrators' copy of an event.
const adminPrefix = "admin_"

// Inserter enqueues jobs in a transaction; *jobs.Client is one.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Config configures the Outbox.
type Config struct {
	// Jobs enqueues the deliveries.
	Jobs Inserter
	// AdminEmails receive the store's copy of new orders.
	AdminEmails []string
	// MaxAttempts is each delivery's budget of attempts; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
}

// DefaultMaxAttempts gives a message about a day of retries with the
// default backoff (1s doubling, capped at an hour).
const DefaultMaxAttempts = 12

// Outbox writes notifications and enqueues their delivery.
type Outbox struct {
	cfg Config
}

// New returns an Outbox.
func New(cfg Config) *Outbox {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	return &Outbox{cfg: cfg}
}

// Register adds the notification hooks to client (and so to every
// transaction opened from it). Call it once, where the client is built.
func (o *Outbox) Register(client *ent.Client) {
	client.Order.Use(o.orderHook)
	client.Payment.Use(o.paymentHook)
}

// orderEvents maps the order statuses customers are told about to their
// events.
var orderEvents = map[order.Status]templates.Event{
	order.StatusCONFIRMED: templates.OrderConfirmed,
	order.StatusSHIPPED:   templates.OrderShipped,
	order.StatusDELIVERED: templates.OrderDelivered,
	order.StatusCANCELLED: templates.OrderCancelled,
}

// paymentEvents maps the payment statuses customers are told about to
// their events.
var paymentEvents = map[payment.Status]templates.Event{
	payment.StatusSUCCEEDED: templates.PaymentSucceeded,
	payment.StatusFAILED:    templates.PaymentFailed,
}

func (o *Outbox) orderHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *ent.OrderMutation) (ent.Value, error) {
		status, statusSet := m.Status()
		if m.Op().Is(ent.OpCreate) {
			if err := inTx(ctx); err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			id, ok := m.ID()
			if !ok {
				return nil, errors.New("outbox: created order has no id")
			}
			if err := o.enqueue(ctx, m.Client(), id, templates.OrderPlaced); err != nil {
				return nil, err
			}
			return v, nil
		}
		if !statusSet || orderEvents[status] == "" {
			return next.Mutate(ctx, m)
		}
		if err := inTx(ctx); err != nil {
			return nil, err
		}
		// The statuses before the change, so that setting the status an
		// order already has tells nobody anything.
		sys := viewer.System(ctx, "outbox: read order statuses before a change")
		ids, err := m.IDs(sys)
		if err != nil {
			return nil, fmt.Errorf("outbox: orders changed: %w", err)
		}
		before, err := m.Client().Order.Query().Where(order.IDIn(ids...)).Select(order.FieldID, order.FieldStatus).All(sys)
		if err != nil {
			return nil, fmt.Errorf("outbox: orders changed: %w", err)
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		for _, b := range before {
			if b.Status != status {
				if err := o.enqueue(ctx, m.Client(), b.ID, orderEvents[status]); err != nil {
					return nil, err
				}
			}
		}
		return v, nil
	})
}

func (o *Outbox) paymentHook(next ent.Mutator) ent.Mutator {
	return hook.PaymentFunc(func(ctx context.Context, m *ent.PaymentMutation) (ent.Value, error) {
		status, statusSet := m.Status()
		ev := paymentEvents[status]
		if !statusSet || ev == "" {
			return next.Mutate(ctx, m)
		}
		if err := inTx(ctx); err != nil {
			return nil, err
		}
		if m.Op().Is(ent.OpCreate) {
			orderID, _ := m.OrderID()
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			return v, o.enqueue(ctx, m.Client(), orderID, ev)
		}
		sys := viewer.System(ctx, "outbox: read payment statuses before a change")
		ids, err := m.IDs(sys)
		if err != nil {
			return nil, fmt.Errorf("outbox: payments changed: %w", err)
		}
		before, err := m.Client().Payment.Query().Where(payment.IDIn(ids...)).
			Select(payment.FieldID, payment.FieldStatus, payment.FieldOrderID).All(sys)
		if err != nil {
			return nil, fmt.Errorf("outbox: payments changed: %w", err)
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		for _, b := range before {
			if b.Status != status {
				if err := o.enqueue(ctx, m.Client(), b.OrderID, ev); err != nil {
					return nil, err
				}
			}
		}
		return v, nil
	})
}

// inTx fails unless ctx runs in a transaction opened by database.InTx or
// database.TxOpener, before anything is written: a notification-producing
// change outside one could commit without its notifications.
func inTx(ctx context.Context) error {
	if _, err := database.SQLTx(ctx); err != nil {
		return fmt.Errorf("outbox: orders and payments notify customers, so they change only in a transaction: %w", err)
	}
	return nil
}

// enqueue writes the notifications of ev for the order and inserts their
// jobs, in the transaction ctx runs in. Outside one it fails: a message
// written or sent for a change that may still roll back is exactly what
// the outbox exists to prevent.
func (o *Outbox) enqueue(ctx context.Context, client *ent.Client, orderID int, ev templates.Event) error {
	tx, err := database.SQLTx(ctx)
	if err != nil {
		return fmt.Errorf("outbox: %s for order %d must be written in a transaction: %w", ev, orderID, err)
	}
	// The hook writes on the system's behalf: a customer placing an order
	// may not write notifications, but the store must.
	sys := viewer.System(ctx, "outbox: enqueue a notification")
	ord, err := client.Order.Query().Where(order.ID(orderID)).WithCustomer().Only(sys)
	if err != nil {
		return fmt.Errorf("outbox: order %d: %w", orderID, err)
	}
	phone, email := ord.Phone, ord.Email
	if c := ord.Edges.Customer; c != nil {
		if phone == "" {
			phone = c.Phone
		}
		if email == "" {
			email = c.Email
		}
	}
	var builders []*ent.NotificationCreate
	add := func(ch notification.Channel, to, tmpl string, aud notification.Audience) {
		builders = append(builders, client.Notification.Create().
			SetChannel(ch).SetRecipient(to).SetTemplate(tmpl).SetOrderID(orderID).SetAudience(aud))
	}
	// A guest learns of their new order from the message that carries
	// its access link (GuestOrderPlaced), not from this one.
	guestPlaced := ev == templates.OrderPlaced && ord.GuestCartToken != nil
	if phone != "" && !guestPlaced {
		add(notification.ChannelSMS, phone, string(ev), notification.AudienceCUSTOMER)
	}
	if email != "" && !guestPlaced {
		add(notification.ChannelEMAIL, email, string(ev), notification.AudienceCUSTOMER)
	}
	if ev == templates.OrderPlaced {
		for _, a := range o.cfg.AdminEmails {
			add(notification.ChannelEMAIL, a, adminPrefix+string(ev), notification.AudienceSTORE)
		}
	}
	if len(builders) == 0 {
		return nil
	}
	rows, err := client.Notification.CreateBulk(builders...).Save(sys)
	if err != nil {
		return fmt.Errorf("outbox: write notifications: %w", err)
	}
	params := make([]river.InsertManyParams, len(rows))
	for i, n := range rows {
		params[i] = river.InsertManyParams{Args: DeliverArgs{NotificationID: n.ID}, InsertOpts: o.insertOpts()}
	}
	if _, err := o.cfg.Jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("outbox: enqueue deliveries: %w", err)
	}
	return nil
}

// Account writes one account message (templates.IsAccount: a reset link,
// a one-time code) to one recipient and enqueues its delivery, in the
// transaction ctx runs in, as enqueue does for orders. The row keeps the
// secret only until the message is delivered or given up on (Worker).
func (o *Outbox) Account(ctx context.Context, client *ent.Client, ch notification.Channel, to string, ev templates.Event, secret string) error {
	if !templates.IsAccount(ev) {
		return fmt.Errorf("outbox: %s is not an account message", ev)
	}
	tx, err := database.SQLTx(ctx)
	if err != nil {
		return fmt.Errorf("outbox: %s must be written in a transaction: %w", ev, err)
	}
	sys := viewer.System(ctx, "outbox: enqueue an account message")
	n, err := client.Notification.Create().SetChannel(ch).SetRecipient(to).SetTemplate(string(ev)).
		SetSecret(secret).SetAudience(notification.AudienceCUSTOMER).Save(sys)
	if err != nil {
		return fmt.Errorf("outbox: write notification: %w", err)
	}
	if _, err := o.cfg.Jobs.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: DeliverArgs{NotificationID: n.ID}, InsertOpts: o.insertOpts()}}); err != nil {
		return fmt.Errorf("outbox: enqueue delivery: %w", err)
	}
	return nil
}

// GuestOrderPlaced writes the message that tells a guest of their new
// order (its number and total) with the link that opens it (the
// order-access token), to the contact they gave, and enqueues its
// delivery in the transaction ctx runs in, the order's. Like an account
// message's secret, the link is kept only until the message is delivered
// or given up on.
func (o *Outbox) GuestOrderPlaced(ctx context.Context, client *ent.Client, orderID int, ch notification.Channel, to, link string) error {
	tx, err := database.SQLTx(ctx)
	if err != nil {
		return fmt.Errorf("outbox: %s must be written in a transaction: %w", templates.GuestOrderPlaced, err)
	}
	sys := viewer.System(ctx, "outbox: enqueue a guest's order link")
	n, err := client.Notification.Create().SetChannel(ch).SetRecipient(to).SetTemplate(string(templates.GuestOrderPlaced)).
		SetOrderID(orderID).SetSecret(link).SetAudience(notification.AudienceCUSTOMER).Save(sys)
	if err != nil {
		return fmt.Errorf("outbox: write notification: %w", err)
	}
	if _, err := o.cfg.Jobs.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: DeliverArgs{NotificationID: n.ID}, InsertOpts: o.insertOpts()}}); err != nil {
		return fmt.Errorf("outbox: enqueue delivery: %w", err)
	}
	return nil
}

func (o *Outbox) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: o.cfg.MaxAttempts}
}

// Retry puts a FAILED notification back to PENDING and enqueues a new
// delivery with a fresh budget of attempts, in the transaction ctx runs in
// (the mutation's). The viewer must be allowed to change notifications.
func (o *Outbox) Retry(ctx context.Context, client *ent.Client, id int) (*ent.Notification, error) {
	tx, err := database.SQLTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox: retry must run in a transaction: %w", err)
	}
	// The conditional update is the check: of two concurrent retries only
	// one finds the row FAILED.
	n, err := client.Notification.Update().
		Where(notification.ID(id), notification.StatusEQ(notification.StatusFAILED)).
		SetStatus(notification.StatusPENDING).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox: retry: %w", err)
	}
	if n == 0 {
		exists, err := client.Notification.Query().Where(notification.ID(id)).Exist(ctx)
		switch {
		case err != nil:
			return nil, fmt.Errorf("outbox: retry: %w", err)
		case !exists:
			return nil, ErrNotFound
		default:
			return nil, ErrNotFailed
		}
	}
	if _, err := o.cfg.Jobs.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: DeliverArgs{NotificationID: id}, InsertOpts: o.insertOpts()}}); err != nil {
		return nil, fmt.Errorf("outbox: enqueue retry: %w", err)
	}
	return client.Notification.Get(ctx, id)
}
