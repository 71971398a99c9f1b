package api

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Protection is how the API defends itself: query cost and shape limits,
// cost-based rate limits, persisted queries, CORS and trusted proxies. The
// zero value applies the default limits without a rate limit, no CORS,
// and automatic persisted queries in process.
type Protection struct {
	// Limits bound each GraphQL operation (zero fields: defaults).
	Limits graph.Limits
	// RateLimit drains each client's bucket by query cost; nil disables.
	RateLimit *ratelimit.Limiter
	// SignInLimit and RegistrationLimit are the stricter per-client
	// limits on the login and register mutations; nil disables each.
	SignInLimit, RegistrationLimit *ratelimit.Limiter
	// Exempt are networks the rate limit skips (RATE_LIMIT_EXEMPT).
	Exempt []netip.Prefix
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// APQCache keeps automatic persisted queries (shared through Redis);
	// nil keeps them in process.
	APQCache graph.StringCache
	// PersistedOnly, when set, is the allow-list: only these documents
	// run (PERSISTED_QUERIES_ONLY).
	PersistedOnly map[string]string
	// CatalogCache, when set, answers anonymous catalogue queries; the
	// store must be built with the same cache (app.Config.CatalogCache),
	// whose hook invalidates it.
	CatalogCache cache.Catalog
	// CORSOrigins are the browser origins allowed to call the API and to
	// open its WebSocket (CORS_ORIGINS); "*" allows any. The API's own
	// origin needs no entry.
	CORSOrigins []string
	// HSTS sends Strict-Transport-Security: set when PUBLIC_URL is https.
	HSTS bool
}

// graphConfig adds the protection to the GraphQL handler's configuration.
func (p Protection) graphConfig(c graph.HandlerConfig) graph.HandlerConfig {
	c.Limits = p.Limits
	c.RateLimit = p.RateLimit
	c.RateLimitClient = p.client
	c.FieldLimits = map[string]*ratelimit.Limiter{}
	if p.SignInLimit != nil {
		c.FieldLimits["login"] = p.SignInLimit
	}
	if p.RegistrationLimit != nil {
		c.FieldLimits["register"] = p.RegistrationLimit
	}
	c.APQCache = p.APQCache
	c.PersistedOnly = p.PersistedOnly
	c.CatalogCache = p.CatalogCache
	c.SignedIn = p.signedIn
	// WebSocket upgrades from other origins follow the CORS list.
	origins := p.CORSOrigins
	c.Websocket.OriginAllowed = func(origin string) bool { return originAllowed(origins, origin) }
	return c
}

// client names who a request is metered as: an API client by its
// client_id, the customer when signed in, wherever they connect from;
// the address otherwise.
func (p Protection) client(ctx context.Context) (string, bool) {
	addr := ClientAddr(ctx)
	if inAny(addr, p.Exempt) {
		return "", true
	}
	if v, ok := viewer.From(ctx); ok && v.Client != "" {
		return "client:" + v.Client, false
	}
	if v, ok := viewer.From(ctx); ok {
		return "customer:" + strconv.Itoa(v.CustomerID), false
	}
	return "ip:" + addr.String(), false
}

// signedIn reports a signed-in customer's request, whose answers the
// catalogue cache never keeps.
func (p Protection) signedIn(ctx context.Context) bool {
	_, ok := viewer.From(ctx)
	return ok
}

// outer puts the client address and the security headers around the
// access log, so that the log sees the same request as the routes.
func (p Protection) outer(next http.Handler) http.Handler {
	return withClientAddr(p.TrustedProxies, withSecurityHeaders(p.HSTS, next))
}

// inner answers CORS next to the routes, so that preflights are logged.
func (p Protection) inner(next http.Handler) http.Handler {
	return withCORS(p.CORSOrigins, next)
}
