// Package app is the composition root: NewClient builds the ent client
// with every hook production uses, and NewServices builds every service
// over it into one Services struct, which the HTTP and GraphQL layers
// receive whole. The server's serve, each subcommand and the tests build
// the store through these two, so the tests exercise the client and the
// side effects production runs.
//
// Dependencies point one way: server → HTTP/GraphQL (server/api, graph)
// → internal services → ent. Nothing here imports the layers above.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/audit"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/cdn"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/oauth"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/shipping"
	"github.com/savannah-commerce/savannah/internal/telemetry"
	"github.com/savannah-commerce/savannah/internal/webhook"
)

// Config is what the store is built from: the database, the backends
// the hooks write to, and the services' settings.
type Config struct {
	// DB is the open (and migrated) database, River's tables included.
	DB *database.DB
	// Log is the process's logger.
	Log *slog.Logger
	// Currency is the store's ISO 4217 currency.
	Currency string

	// Driver is the driver under the instrumentation; nil means
	// DB.Driver(). Tests pass a statement-counting one.
	Driver dialect.Driver
	// Statements, when set, is told every SQL statement run (the
	// statements metric).
	Statements func(query string)
	// Tracer, when set, traces every SQL statement.
	Tracer trace.TracerProvider

	// Jobs enqueues, in the transaction of the change, the notifications
	// of order and payment changes and the CDN purges of catalogue
	// writes. An insert-only client will do (jobs.New without workers):
	// workers fetch the jobs from the database.
	Jobs *jobs.Client
	// CatalogCache, when set, is invalidated by every committed catalogue
	// write (cache.InvalidateOnWrite).
	CatalogCache cache.Catalog
	// Events carries order changes to subscriptions, published by the
	// client's hooks; nil publishes nothing and leaves subscriptions
	// NOT_IMPLEMENTED.
	Events events.Bus
	// AdminEmails receive the store's copy of new orders.
	AdminEmails []string
	// NotifyMaxAttempts is each notification's budget of delivery
	// attempts; zero means outbox.DefaultMaxAttempts.
	NotifyMaxAttempts int
	// CDNPurge adds the hooks that enqueue a CDN purge for every
	// catalogue write (CDN_PURGE_URL is set); CDNPurgeMaxAttempts zero
	// means cdn.DefaultMaxAttempts.
	CDNPurge            bool
	CDNPurgeMaxAttempts int

	// Redis, when set, is shared by the replicas: the account service
	// keeps refresh tokens, sign-in failure counts and token versions in
	// it (falling back to the database and the process while it is down).
	Redis *redis.Client
	// Context bounds the background work NewServices starts (with Redis,
	// the subscription that keeps replicas' token versions in step); nil
	// means the life of the process.
	Context context.Context
	// Auth configures the account service: Tokens is required; Refresh,
	// Failures and Versions, when nil, are chosen by Redis above; Notify,
	// when nil, is the outbox. Client, Dialect and Log are filled in by
	// NewServices.
	Auth auth.ServiceConfig
	// ShippingDefaultWeightGrams is the shipping weight of a variant
	// without one (internal/shipping).
	ShippingDefaultWeightGrams int
	// StoreLocation is the store's timezone (STORE_TIMEZONE), for
	// delivery estimates; nil means shipping.DefaultTimezone.
	StoreLocation *time.Location
	// Checkout configures carts, orders and payments (M-Pesa, TTLs,
	// metrics, guest checkout). Client, Dialect, Currency and Shipping are
	// filled in by NewServices; Notify, when nil, is the outbox.
	Checkout checkout.Config
	// WebhookMaxAttempts is each webhook delivery's budget of attempts
	// (zero: webhook.DefaultMaxAttempts); WebhookAllowLoopback accepts
	// subscriptions to loopback hosts (tests, development).
	WebhookMaxAttempts   int
	WebhookAllowLoopback bool
	// Media configures product images; without Media.Storage there are
	// none (Services.Media is nil). Client, Jobs and Log are filled in by
	// NewServices.
	Media media.Config
	// OAuth configures the authorization server for API clients
	// (internal/oauth); Issuer is required. Client, Tokens (Auth.Tokens)
	// and Log are filled in by NewServices.
	OAuth oauth.Config
}

// Services is every service of the store, built once by NewServices and
// passed whole to the layers that serve it (server/api, graph).
type Services struct {
	// Client is the ent client with every production hook (NewClient).
	Client *ent.Client
	// Dialect is the database's: dialect.Postgres or dialect.SQLite.
	Dialect string
	// Currency is the store's ISO 4217 currency.
	Currency string
	Log      *slog.Logger
	// Auth is the account service: registration, sign-in, tokens,
	// profiles, roles, passwords.
	Auth *auth.Service
	// OAuth is the authorization server for API clients and their
	// store (client credentials, revocation, introspection).
	OAuth *oauth.Service
	// Catalog writes categories, products and variants.
	Catalog *catalog.Service
	// Checkout carries out carts, orders and payments.
	Checkout *checkout.Service
	// Shipping matches addresses to zones, prices shipping methods and
	// carries out staff's shipping writes.
	Shipping *shipping.Service
	// Promotions carries out staff's promotion and voucher writes
	// (internal/promotion; checkout prices with the same package).
	Promotions *promotion.Service
	// Outbox re-enqueues failed notifications.
	Outbox *outbox.Outbox
	// Events carries order changes to subscriptions; nil answers them
	// NOT_IMPLEMENTED.
	Events events.Bus
	// Media keeps product images and makes their derivatives; nil
	// without storage.
	Media *media.Service
	// Webhooks manages webhook subscriptions and their deliveries.
	Webhooks *webhook.Service
}

// NewClient returns the ent client every part of the store uses, over
// cfg.DB: every statement metered and traced, and the hooks that make a
// write's side effects happen, in the order they run: catalogue cache
// invalidation, order events for subscriptions, the notification outbox,
// when configured the CDN purge, and the audit log of staff's and API
// clients' writes (internal/audit).
func NewClient(cfg Config) (*ent.Client, error) {
	if cfg.DB == nil || cfg.Log == nil || cfg.Jobs == nil {
		return nil, errors.New("app: database, logger and job client are required")
	}
	drv := cfg.Driver
	if drv == nil {
		drv = cfg.DB.Driver()
	}
	var count database.Hook
	if cfg.Statements != nil {
		count = database.Observe(cfg.Statements)
	}
	client := ent.NewClient(ent.Driver(database.Instrument(drv, count, telemetry.SQLHook(cfg.Tracer, cfg.DB.Dialect))))
	if cfg.CatalogCache != nil {
		cache.InvalidateOnWrite(client, cfg.CatalogCache, cfg.Log)
	}
	if cfg.Events != nil {
		events.Register(client, cfg.Events, cfg.Log)
	}
	cfg.outbox().Register(client)
	cfg.webhooks().Register(client)
	promotion.ResaleOnWrite(client, cfg.DB.Dialect, clock(cfg.Checkout.Now))
	catalog.CountOnWrite(client, cfg.DB.Dialect)
	catalog.IndexOnWrite(client, cfg.DB.Dialect)
	if cfg.CDNPurge {
		cdn.NewPurger(cfg.Jobs, cfg.CDNPurgeMaxAttempts).Register(client)
	}
	audit.Register(client)
	return client, nil
}

// NewServices builds every service over client, which NewClient(cfg)
// returned.
func NewServices(client *ent.Client, cfg Config) (*Services, error) {
	if client == nil || cfg.DB == nil || cfg.Log == nil || cfg.Jobs == nil {
		return nil, errors.New("app: client, database, logger and job client are required")
	}
	ac := cfg.Auth
	ac.Client, ac.Dialect, ac.Log = client, cfg.DB.Dialect, cfg.Log
	if ac.Notify == nil {
		ac.Notify = cfg.outbox() // reset links and codes go out through the outbox
	}
	switch {
	case cfg.Redis != nil:
		// While Redis is down, new sign-ins are kept in the database and
		// failures counted in process, so signing in keeps working (see
		// README, "When Redis is down").
		if ac.Refresh == nil {
			ac.Refresh = auth.FallbackRefreshStore{Primary: auth.NewRedisRefreshStore(cfg.Redis, "savannah:refresh:"), Fallback: auth.NewDBRefreshStore(client), Log: cfg.Log}
		}
		if ac.Failures == nil {
			ac.Failures = ratelimit.Fallback{Primary: ratelimit.NewRedis(cfg.Redis, "savannah:signin-failures:"), Secondary: ratelimit.NewMemory(time.Now), Log: cfg.Log}
		}
		if ac.Versions == nil {
			// In process, kept in step through Redis pub/sub: an open
			// WebSocket re-checks its token on every event.
			ctx := cfg.Context
			if ctx == nil {
				ctx = context.Background()
			}
			ac.Versions = auth.NewTieredVersionCache(ctx, cfg.Redis, "savannah:token-version:", auth.VersionTTL, cfg.Log)
		}
	default:
		if ac.Refresh == nil {
			ac.Refresh = auth.NewDBRefreshStore(client)
		}
		if ac.Failures == nil {
			ac.Failures = ratelimit.NewMemory(time.Now)
		}
	}
	oc := cfg.OAuth
	oc.Client, oc.Tokens, oc.Log = client, ac.Tokens, cfg.Log
	clients, err := oauth.NewService(oc)
	if err != nil {
		return nil, err
	}
	if ac.Clients == nil {
		ac.Clients = clients
	}
	accounts, err := auth.NewService(ac)
	if err != nil {
		return nil, err
	}
	cur, err := money.StoreCurrency(cfg.Currency)
	if err != nil {
		return nil, fmt.Errorf("store currency: %w", err)
	}
	ship, err := shipping.NewService(shipping.Config{Client: client, Dialect: cfg.DB.Dialect, Currency: cur, DefaultWeightGrams: cfg.ShippingDefaultWeightGrams, Location: cfg.StoreLocation})
	if err != nil {
		return nil, err
	}
	cc := cfg.Checkout
	cc.Client, cc.Dialect, cc.Currency, cc.Shipping = client, cfg.DB.Dialect, cfg.Currency, ship
	if cc.Notify == nil {
		cc.Notify = cfg.outbox() // a guest's order link goes out through the outbox
	}
	if cc.DefaultTaxClass == "" {
		cc.DefaultTaxClass = checkout.DefaultTaxClass
	}
	cat := catalog.NewService(client, cfg.DB.Dialect, cur)
	cat.SetDefaultTaxClass(cc.DefaultTaxClass)
	shop, err := checkout.NewService(cc)
	if err != nil {
		return nil, err
	}
	var images *media.Service
	if cfg.Media.Storage != nil {
		mc := cfg.Media
		mc.Client, mc.Dialect, mc.Jobs, mc.Log = client, cfg.DB.Dialect, cfg.Jobs, cfg.Log
		if images, err = media.NewService(mc); err != nil {
			return nil, err
		}
	}
	return &Services{
		Shipping:   ship,
		Client:     client,
		Dialect:    cfg.DB.Dialect,
		Currency:   cfg.Currency,
		Log:        cfg.Log,
		Auth:       accounts,
		OAuth:      clients,
		Catalog:    cat,
		Checkout:   shop,
		Promotions: promotion.NewService(client, cur, cfg.DB.Dialect, cfg.Jobs, cfg.Checkout.Now),
		Outbox:     cfg.outbox(),
		Events:     cfg.Events,
		Media:      images,
		Webhooks:   cfg.webhooks(),
	}, nil
}

// outbox is the notification outbox: its hooks (NewClient) and its
// retries (Services.Outbox) enqueue alike.
func (cfg Config) outbox() *outbox.Outbox {
	return outbox.New(outbox.Config{Jobs: cfg.Jobs, AdminEmails: cfg.AdminEmails, MaxAttempts: cfg.NotifyMaxAttempts})
}

// webhooks raises the store's events (its hooks, NewClient) and manages
// subscriptions (Services.Webhooks).
func (cfg Config) webhooks() *webhook.Service {
	return webhook.New(webhook.Config{Jobs: cfg.Jobs, MaxAttempts: cfg.WebhookMaxAttempts, AllowLoopback: cfg.WebhookAllowLoopback})
}

// clock is now, or time.Now when nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
