package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
)

// HandlerConfig is what the GraphQL handler needs from the server.
type HandlerConfig struct {
	Client *ent.Client
	// Dialect is the database's: dialect.Postgres or dialect.SQLite.
	Dialect       string
	Currency      string
	Log           *slog.Logger
	RequestID     RequestIDFunc
	Introspection bool
	// Auth is the account service: sign-in, tokens, profiles.
	Auth *auth.Service
	// Outbox re-enqueues failed notifications (retryNotification); nil
	// answers NOT_IMPLEMENTED there.
	Outbox *outbox.Outbox
}

// NewHandler returns the GraphQL endpoint: POST and GET (queries only),
// WebSocket subscriptions (graphql-transport-ws), automatic persisted
// queries, a parsed-query cache, one transaction per mutation, per-operation
// dataloaders, and the error presenter.
func NewHandler(cfg HandlerConfig) http.Handler {
	r := NewResolver(cfg.Client, cfg.Dialect, cfg.Currency, cfg.Log, cfg.Auth)
	r.outbox = cfg.Outbox
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Directives: directives()}))
	srv.AddTransport(transport.Websocket{KeepAlivePingInterval: 15 * time.Second, InitFunc: websocketAuth(cfg.Auth)})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(entgql.Transactioner{TxOpener: database.TxOpener{Client: cfg.Client}})
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(r.withLoaders(ctx))
	})
	srv.SetErrorPresenter(ErrorPresenter(cfg.Log, cfg.RequestID))
	srv.SetRecoverFunc(Recover(cfg.Log, cfg.RequestID))
	return srv
}

// Playground serves GraphiQL pointed at endpoint.
func Playground(endpoint string) http.Handler {
	return playground.Handler("Savannah", endpoint)
}
