// Package graph is the GraphQL layer: the hand-written schema extensions,
// resolvers, per-request dataloaders, the error presenter and the HTTP
// handler. Resolvers translate arguments, make one call and translate the
// result; rules live in ent and in internal services.
package graph

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
)

// Resolver is the one place resolvers get their dependencies.
type Resolver struct {
	client   *ent.Client
	currency string
	log      *slog.Logger
	catalog  *catalog.Service
	auth     *auth.Service
	checkout *checkout.Service
	// outbox is set by NewHandler when notifications are delivered.
	outbox *outbox.Outbox
	// events carries order changes to subscriptions; nil answers them
	// NOT_IMPLEMENTED.
	events events.Bus
}

// NewResolver returns a resolver over the ent client; currency is the
// store's ISO 4217 currency code, dialect the database's (dialect.Postgres
// or dialect.SQLite), which the catalogue's tree writes depend on;
// accounts are the identity service. An unsupported currency is a wiring
// mistake (config.Load refuses it) and panics.
func NewResolver(client *ent.Client, dialect, currency string, log *slog.Logger, accounts *auth.Service) *Resolver {
	cur, err := money.StoreCurrency(currency)
	if err != nil {
		panic(fmt.Sprintf("graph: store currency: %v", err))
	}
	return &Resolver{client: client, currency: currency, log: log, catalog: catalog.NewService(client, dialect, cur), auth: accounts}
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
