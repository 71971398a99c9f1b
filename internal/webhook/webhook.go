// Package webhook delivers the store's events to the URLs staff subscribe
// (WebhookSubscription), signed per the Standard Webhooks specification.
//
// Emit is the one way an event is raised: in the transaction of the change
// it writes one WebhookDelivery row per matching active subscription and
// inserts their River jobs with InsertManyTx, as the notification outbox
// does (internal/notify/outbox), so a committed change always has its
// deliveries, whatever crashes afterwards, and a rolled-back one has none.
// The ent hooks that call it (Register) are added in one place,
// app.NewClient. The Worker sends each delivery, retrying with the
// outbox's backoff, and opens a subscription's circuit after persistent
// failure.
package webhook

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/webhooksubscription"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// EventType names an event, as subscriptions list it and payloads carry it.
type EventType string

// The events a subscription may ask for.
const (
	OrderPlaced        EventType = "order.placed"
	OrderStatusChanged EventType = "order.status_changed"
	PaymentSucceeded   EventType = "payment.succeeded"
	PaymentFailed      EventType = "payment.failed"
	ProductCreated     EventType = "product.created"
	ProductUpdated     EventType = "product.updated"
	ProductArchived    EventType = "product.archived"
	StockChanged       EventType = "stock.changed"
	CustomerCreated    EventType = "customer.created"
	// Test is sent by sendTestWebhook only, whatever the subscription's
	// types.
	Test EventType = "webhook.test"
)

// EventTypes lists the types a subscription may name.
func EventTypes() []EventType {
	return []EventType{OrderPlaced, OrderStatusChanged, PaymentSucceeded, PaymentFailed,
		ProductCreated, ProductUpdated, ProductArchived, StockChanged, CustomerCreated}
}

// PayloadVersion is the version of every payload's shape; a breaking
// change to one bumps it.
const PayloadVersion = 1

// Payload is the JSON body of every delivery.
type Payload struct {
	Type      EventType `json:"type"`
	Version   int       `json:"version"`
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// DefaultMaxAttempts gives a delivery about a day of retries with the
// default backoff.
const DefaultMaxAttempts = 15

// Config configures the Service.
type Config struct {
	// Jobs enqueues the deliveries in the caller's transaction.
	Jobs outbox.Inserter
	// MaxAttempts is each delivery's budget; zero means DefaultMaxAttempts.
	MaxAttempts int
	// AllowLoopback accepts subscriptions to loopback hosts (tests,
	// development); the Worker's own setting governs the requests.
	AllowLoopback bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service raises events and manages subscriptions.
type Service struct {
	cfg Config

	mu        sync.Mutex
	memo      map[*sql.Tx]txSubscriptions
	lastPrune time.Time
}

// txSubscriptions are the active subscriptions one transaction read.
type txSubscriptions struct {
	subs []*ent.WebhookSubscription
	at   time.Time
}

// memoTTL bounds how long a transaction's read of the subscriptions is
// kept: longer than any transaction raising events runs, in practice; one
// that runs longer reads them again.
const memoTTL = 30 * time.Second

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, memo: map[*sql.Tx]txSubscriptions{}}
}

// DeliverArgs is the job that sends one delivery.
type DeliverArgs struct {
	DeliveryID int `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// Emit raises one event: one delivery per active subscription to typ,
// written with its job in the transaction ctx runs in. Without matching
// subscriptions it writes nothing; with some, outside a transaction, it
// fails, since a delivery of a change that may still roll back is what it
// exists to prevent.
func (s *Service) Emit(ctx context.Context, client *ent.Client, typ EventType, data any) error {
	to, err := s.listeners(ctx, client, typ)
	if err != nil || len(to) == 0 {
		return err
	}
	_, err = s.write(ctx, client, typ, data, to)
	return err
}

// listening reports whether any active subscription takes one of types,
// so that a hook loads what an event needs only when someone listens.
func (s *Service) listening(ctx context.Context, client *ent.Client, types ...EventType) (bool, error) {
	for _, typ := range types {
		to, err := s.listeners(ctx, client, typ)
		if err != nil || len(to) > 0 {
			return len(to) > 0, err
		}
	}
	return false, nil
}

// listeners are the active subscriptions to typ.
func (s *Service) listeners(ctx context.Context, client *ent.Client, typ EventType) ([]int, error) {
	subs, err := s.active(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("webhook: subscriptions of %s: %w", typ, err)
	}
	var to []int
	for _, sub := range subs {
		if slices.Contains(sub.EventTypes, string(typ)) {
			to = append(to, sub.ID)
		}
	}
	return to, nil
}

// active reads the active subscriptions once per transaction: a checkout
// raising several events, or a bulk import raising thousands, reads them
// once (the transaction's first event decides who hears it). Outside a
// transaction it reads each time.
func (s *Service) active(ctx context.Context, client *ent.Client) ([]*ent.WebhookSubscription, error) {
	tx, txErr := database.SQLTx(ctx)
	if txErr == nil {
		s.mu.Lock()
		e, ok := s.memo[tx]
		s.mu.Unlock()
		if ok {
			return e.subs, nil
		}
	}
	sys := viewer.System(ctx, "webhook: find the subscriptions of an event")
	subs, err := client.WebhookSubscription.Query().
		Where(webhooksubscription.Active(true)).
		Select(webhooksubscription.FieldID, webhooksubscription.FieldEventTypes).All(sys)
	if err != nil || txErr != nil {
		return subs, err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastPrune) > time.Second {
		for k, e := range s.memo {
			if now.Sub(e.at) > memoTTL {
				delete(s.memo, k)
			}
		}
		s.lastPrune = now
	}
	s.memo[tx] = txSubscriptions{subs: subs, at: now}
	return subs, nil
}

// write stores one event's body and its deliveries to subs, and enqueues
// them, in ctx's transaction.
func (s *Service) write(ctx context.Context, client *ent.Client, typ EventType, data any, subs []int) ([]*ent.WebhookDelivery, error) {
	tx, err := database.SQLTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: %s must be written in a transaction: %w", typ, err)
	}
	p := Payload{Type: typ, Version: PayloadVersion, ID: "evt_" + randomHex(16), Timestamp: s.cfg.Now().UTC(), Data: data}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("webhook: %s payload: %w", typ, err)
	}
	sys := viewer.System(ctx, "webhook: write deliveries of an event")
	builders := make([]*ent.WebhookDeliveryCreate, len(subs))
	for i, id := range subs {
		builders[i] = client.WebhookDelivery.Create().SetSubscriptionID(id).SetEventID(p.ID).
			SetEventType(string(typ)).SetPayloadVersion(PayloadVersion).SetBody(string(body))
	}
	rows, err := client.WebhookDelivery.CreateBulk(builders...).Save(sys)
	if err != nil {
		return nil, fmt.Errorf("webhook: write deliveries: %w", err)
	}
	params := make([]river.InsertManyParams, len(rows))
	for i, d := range rows {
		params[i] = river.InsertManyParams{Args: DeliverArgs{DeliveryID: d.ID}, InsertOpts: s.insertOpts()}
	}
	if _, err := s.cfg.Jobs.InsertManyTx(ctx, tx, params); err != nil {
		return nil, fmt.Errorf("webhook: enqueue deliveries: %w", err)
	}
	return rows, nil
}

func (s *Service) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: s.cfg.MaxAttempts}
}

// NewSecret returns a fresh signing secret in Standard Webhooks form:
// "whsec_" and 32 random bytes in base64.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
