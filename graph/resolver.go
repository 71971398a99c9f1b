// Package graph is the GraphQL layer: the hand-written schema extensions,
// resolvers, per-request dataloaders, the error presenter and the HTTP
// handler. Resolvers translate arguments, make one call and translate the
// result; rules live in ent and in internal services.
package graph

import (
	"context"
	"log/slog"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/oauth"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/shipping"
	"github.com/savannah-commerce/savannah/internal/webhook"
)

// Resolver is the one place resolvers get their dependencies.
type Resolver struct {
	client   *ent.Client
	currency string
	log      *slog.Logger
	catalog  *catalog.Service
	auth     *auth.Service
	checkout *checkout.Service
	// promotions: staff's promotion writes (internal/promotion).
	promotions *promotion.Service
	shipping   *shipping.Service
	// oauth: staff's API client writes (internal/oauth).
	oauth *oauth.Service
	// outbox re-enqueues failed notifications.
	outbox *outbox.Outbox
	// events carries order changes to subscriptions; nil answers them
	// NOT_IMPLEMENTED.
	events events.Bus
	// subscriptions measures their fan-out; nil records nothing.
	subscriptions *subscriptionMetrics
	// media keeps product images; nil without storage.
	media *media.Service
	// webhooks manages webhook subscriptions and deliveries.
	webhooks *webhook.Service
}

// NewResolver returns the resolver over the store's services
// (app.NewServices), the one struct the GraphQL layer gets them from.
func NewResolver(svc *app.Services) *Resolver {
	return &Resolver{
		client:     svc.Client,
		currency:   svc.Currency,
		log:        svc.Log,
		catalog:    svc.Catalog,
		auth:       svc.Auth,
		checkout:   svc.Checkout,
		promotions: svc.Promotions,
		shipping:   svc.Shipping,
		oauth:      svc.OAuth,
		outbox:     svc.Outbox,
		events:     svc.Events,
		media:      svc.Media,
		webhooks:   svc.Webhooks,
	}
}

// db returns the ent client to use: the transaction's when the operation
// runs in one (mutations), so nothing waits on a pool connection that the
// transaction itself holds (SQLite has only one).
func (r *Resolver) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.client
}
