package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/oauth"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
)

// instruments are what serve measures the store with; subcommands leave
// them zero.
type instruments struct {
	// statements is told every SQL statement (the statements metric).
	statements func(query string)
	tracer     trace.TracerProvider
	// metrics gets checkout's metrics.
	metrics prometheus.Registerer
}

// newApp builds the store as every command runs it, through the
// composition root (internal/app): the ent client with every production
// hook and every service over it. rdb is the server's Redis client, nil
// without REDIS_URL. It also returns the configuration it was built from
// (its catalogue cache is the one the API serves from) and the signing
// key (social sign-in signs its state with it).
func newApp(ctx context.Context, cfg config.Config, db *database.DB, rdb *redis.Client, log *slog.Logger, in instruments) (*app.Services, app.Config, auth.SigningKey, error) {
	key, tokens, err := newTokens(cfg, log)
	if err != nil {
		return nil, app.Config{}, auth.SigningKey{}, err
	}
	// Jobs are enqueued in the transaction of the change by every role
	// and command; workers fetch them from the database (newJobs).
	enqueue, err := jobs.New(db, jobs.Config{Logger: log})
	if err != nil {
		return nil, app.Config{}, auth.SigningKey{}, err
	}
	// Order changes for subscriptions: through Redis when replicas share
	// one, so a change on any replica (a worker's too) reaches
	// subscribers on all.
	var bus events.Bus = events.NewLocal()
	if rdb != nil {
		if bus, err = events.NewRedis(ctx, rdb, log); err != nil {
			return nil, app.Config{}, auth.SigningKey{}, err
		}
	}
	ac := app.Config{
		DB:                         db,
		Log:                        log,
		Currency:                   cfg.Currency,
		Statements:                 in.statements,
		Tracer:                     in.tracer,
		Jobs:                       enqueue,
		CatalogCache:               catalogCache(cfg.Protection, rdb, log),
		Events:                     bus,
		AdminEmails:                cfg.AdminEmails,
		NotifyMaxAttempts:          cfg.NotifyMaxAttempts,
		WebhookMaxAttempts:         cfg.WebhookMaxAttempts,
		WebhookAllowLoopback:       cfg.WebhookAllowLoopback,
		ShippingDefaultWeightGrams: cfg.ShippingDefaultWeightGrams,
		StoreLocation:              &cfg.StoreTimezone,
		CDNPurge:                   cfg.CDNPurgeURL != "",
		Redis:                      rdb,
		Context:                    ctx,
		Auth:                       auth.ServiceConfig{Tokens: tokens, ResetURL: cfg.PasswordResetURL},
		OAuth:                      oauth.Config{Issuer: cfg.PublicURL, TokenTTL: cfg.OAuthTokenTTL},
		Checkout: checkout.Config{
			CartTTL:        cfg.CartTTL,
			PaymentTimeout: cfg.PaymentTimeout,
			Metrics:        in.metrics,
			// Tax: see README "Tax".
			PricesExcludeTax: !cfg.PricesIncludeTax,
			DefaultTaxClass:  cfg.TaxDefaultClass,
			ShippingTaxClass: cfg.TaxShippingClass,
			// Guest checkout: see README "Guest checkout".
			GuestAccessTTL: cfg.GuestOrderTokenTTL,
			GuestOrderURL:  cfg.GuestOrderURL,
		},
	}
	if ac.Media, err = mediaConfig(ctx, cfg, key); err != nil {
		return nil, app.Config{}, auth.SigningKey{}, err
	}
	if cfg.Mpesa != nil {
		mc, err := mpesa.New(*cfg.Mpesa)
		if err != nil {
			return nil, app.Config{}, auth.SigningKey{}, fmt.Errorf("m-pesa: %w", err)
		}
		ac.Checkout.Mpesa = mc
	}
	client, err := app.NewClient(ac)
	if err != nil {
		return nil, app.Config{}, auth.SigningKey{}, err
	}
	svc, err := app.NewServices(client, ac)
	if err != nil {
		return nil, app.Config{}, auth.SigningKey{}, err
	}
	return svc, ac, key, nil
}
