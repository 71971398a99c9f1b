package graph

import (
	"context"
	"net/http"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/audit"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/telemetry"
)

// HandlerConfig is how the GraphQL handler serves: limits, caches,
// introspection, metrics and tracing; the store's services come apart,
// as app.Services.
type HandlerConfig struct {
	RequestID     RequestIDFunc
	Introspection bool

	// Limits bound each operation's cost and shape; zero fields take
	// DefaultLimits.
	Limits Limits
	// RateLimit, when set, drains each client's bucket by query cost.
	RateLimit *ratelimit.Limiter
	// RateLimitClient names a request's client for RateLimit.
	RateLimitClient ClientFunc
	// FieldLimits meter root mutation fields (by name, such as "login"
	// and "register") on stricter limiters of their own, one token per
	// occurrence, keyed by RateLimitClient.
	FieldLimits map[string]*ratelimit.Limiter
	// APQCache keeps automatic persisted queries; nil keeps them in an
	// in-process LRU.
	APQCache StringCache
	// PersistedOnly, when set, is the allow-list (hash to document) and
	// only its documents run.
	PersistedOnly map[string]string
	// CatalogCache, when set, answers anonymous catalogue queries; writes
	// invalidate it through cache.InvalidateOnWrite on the ent client.
	CatalogCache cache.Catalog
	// SignedIn reports a request made by a signed-in customer, whose
	// answers are never cached; nil means everyone is anonymous.
	SignedIn func(ctx context.Context) bool
	// Metrics, when set, registers and records the operation metrics
	// (see metrics.go): count, duration, requested cost and errors by
	// operation name.
	Metrics prometheus.Registerer
	// Tracer, when set, opens a span around every resolver that runs
	// code (not the fields read off a loaded object).
	Tracer trace.TracerProvider
	// Websocket paces and bounds graphql-transport-ws sockets and names
	// the other origins they may be opened from; zero fields take
	// DefaultWebsocketConfig.
	Websocket WebsocketConfig
}

// NewHandler returns the GraphQL endpoint: POST and GET (queries only),
// every operation over WebSocket (graphql-transport-ws, wstransport.go), automatic persisted
// queries (or only registered ones), cost and shape limits with cost-based
// rate limiting, the anonymous catalogue cache, a parsed-query cache, one
// transaction per mutation, per-operation dataloaders, and the error
// presenter.
func NewHandler(svc *app.Services, cfg HandlerConfig) http.Handler {
	r := NewResolver(svc)
	log := svc.Log
	es := NewExecutableSchema(Config{Resolvers: r, Directives: directives()})
	srv := handler.New(es)
	srv.AddTransport(newWSTransport(cfg.Websocket, tokenAuth{auth: svc.Auth}, log))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{}) // POST and GET, see transport.go
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// Outermost: no extension below is asked for a second response of a
	// query or mutation.
	srv.Use(oneShot{})
	// Next, so that they see every request as the client sent it, and
	// every response, refused ones too.
	srv.Use(operationLog{})
	if cfg.Metrics != nil {
		m := newOperationMetrics(cfg.Metrics, MaxOperationNames)
		m.names.preload(cfg.PersistedOnly)
		srv.Use(m)
		if svc.Events != nil {
			r.subscriptions = newSubscriptionMetrics(cfg.Metrics, svc.Events)
		}
	}
	if cfg.Tracer != nil {
		srv.Use(resolverTracing{tracer: cfg.Tracer.Tracer(telemetry.ScopeName)})
	}
	if cfg.PersistedOnly != nil {
		srv.Use(persistedOnly{docs: cfg.PersistedOnly})
	} else {
		var apq graphql.Cache[string] = lru.New[string](1000)
		if cfg.APQCache != nil {
			apq = cfg.APQCache
		}
		srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	}
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(noIntrospection{})
	}
	// Suggestions ("did you mean ...?") would reveal the schema that
	// switching introspection off hides.
	srv.SetDisableSuggestion(!cfg.Introspection)
	// Before Protection, so that a request error is not charged.
	srv.Use(strictVariables{schema: es.Schema()})
	// After persisted queries, so that the document is known.
	srv.Use(NewProtection(cfg.Limits, cfg.RateLimit, cfg.RateLimitClient, log))
	if len(cfg.FieldLimits) > 0 {
		client := cfg.RateLimitClient
		if client == nil {
			client = func(context.Context) (string, bool) { return "", false }
		}
		srv.Use(fieldLimits{limits: cfg.FieldLimits, client: client, log: log})
	}
	if cfg.CatalogCache != nil {
		// After Protection, so cached answers are still measured.
		cc := catalogCache{cache: cfg.CatalogCache, signedIn: cfg.SignedIn}
		if cfg.Metrics != nil {
			cc.requests = cache.NewRequests(cfg.Metrics)
		}
		srv.Use(cc)
	}
	// noTx mutations call outside systems, which must not happen inside a
	// database transaction: they open their own, short ones around the
	// call.
	srv.Use(transactioner{entgql.Transactioner{TxOpener: database.TxOpener{Client: svc.Client}, SkipTxFunc: noTx}})
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			// Staff's and API clients' mutations are audited (see audit.go).
			ctx = audit.Start(ctx, oc.OperationName, auth.ClientAddr(ctx))
		}
		return next(r.withLoaders(ctx))
	})
	srv.AroundFields(auditFields)
	present := ErrorPresenter(log, cfg.RequestID)
	if !cfg.Introspection {
		present = withoutSuggestions(present)
	}
	srv.SetErrorPresenter(present)
	srv.SetRecoverFunc(Recover(log, cfg.RequestID))
	return withThrottleStatus(srv)
}

// noTx is true of the mutations that run without the per-mutation
// transaction: payOrder calls M-Pesa; the media writes read and copy
// objects in storage (internal/media) before their own short transaction.
func noTx(op *ast.OperationDefinition) bool {
	return hasRootField(op, "payOrder", "guestPayOrder", "productMediaCreate", "variantMediaSet", "categoryImageSet")
}
