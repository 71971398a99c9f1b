package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Protection is the configuration of the API's defences: query cost and
// shape limits, cost-based rate limits, persisted queries, CORS.
type Protection struct {
	// MaxCost, MaxDepth, MaxAliases, MaxRootFields and MaxTokens bound one
	// GraphQL operation (QUERY_MAX_COST, QUERY_MAX_DEPTH,
	// QUERY_MAX_ALIASES, QUERY_MAX_ROOT_FIELDS, QUERY_MAX_TOKENS).
	MaxCost       int `env:"QUERY_MAX_COST" envDefault:"1000"`
	MaxDepth      int `env:"QUERY_MAX_DEPTH" envDefault:"15"`
	MaxAliases    int `env:"QUERY_MAX_ALIASES" envDefault:"30"`
	MaxRootFields int `env:"QUERY_MAX_ROOT_FIELDS" envDefault:"10"`
	MaxTokens     int `env:"QUERY_MAX_TOKENS" envDefault:"15000"`
	// RateLimit turns the cost-based rate limit on (RATE_LIMIT_ENABLED).
	RateLimit bool `env:"RATE_LIMIT_ENABLED" envDefault:"true"`
	// RateLimitCapacity is the bucket size in cost points
	// (RATE_LIMIT_CAPACITY); at least MaxCost, or the dearest allowed
	// query could never run.
	RateLimitCapacity float64 `env:"RATE_LIMIT_CAPACITY" envDefault:"2000"`
	// RateLimitRestoreRate is the points restored per second
	// (RATE_LIMIT_RESTORE_RATE).
	RateLimitRestoreRate float64 `env:"RATE_LIMIT_RESTORE_RATE" envDefault:"100"`
	// SignInLimit and RegisterLimit are the stricter per-client limits on
	// the login and register mutations (RATE_LIMIT_SIGN_IN,
	// RATE_LIMIT_REGISTER), written BURST/PERIOD: "10/30s" allows a burst
	// of 10 and then one every 30 seconds. They apply when RateLimit does.
	SignInLimit   FieldLimit `env:"RATE_LIMIT_SIGN_IN" envDefault:"10/30s"`
	RegisterLimit FieldLimit `env:"RATE_LIMIT_REGISTER" envDefault:"5/5m"`
	// RateLimitExempt are networks without rate limit (RATE_LIMIT_EXEMPT,
	// comma-separated CIDRs or addresses).
	RateLimitExempt []netip.Prefix `env:"RATE_LIMIT_EXEMPT"`
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix `env:"TRUSTED_PROXIES"`
	// PersistedQueriesOnly lets only registered documents run
	// (PERSISTED_QUERIES_ONLY), read from PersistedQueriesPath
	// (PERSISTED_QUERIES_PATH: a .graphql file or a directory of them).
	PersistedQueriesOnly bool   `env:"PERSISTED_QUERIES_ONLY"`
	PersistedQueriesPath string `env:"PERSISTED_QUERIES_PATH"`
	// CORSOrigins are the browser origins allowed to call the API and to
	// open its WebSocket (CORS_ORIGINS, comma-separated, or "*").
	CORSOrigins []string `env:"CORS_ORIGINS"`
	// CatalogCache caches anonymous catalogue answers (CATALOG_CACHE), in
	// Redis when REDIS_URL is set, each for at most CatalogCacheTTL
	// (CATALOG_CACHE_TTL); writes invalidate them at once regardless.
	CatalogCache    bool          `env:"CATALOG_CACHE" envDefault:"true"`
	CatalogCacheTTL time.Duration `env:"CATALOG_CACHE_TTL" envDefault:"5m"`
}

// FieldLimit is a burst of Burst requests, then one per Every.
type FieldLimit struct {
	Burst int
	Every time.Duration
}

// String writes the limit as it is configured, BURST/PERIOD.
func (f FieldLimit) String() string { return strconv.Itoa(f.Burst) + "/" + f.Every.String() }

// UnmarshalText reads BURST/PERIOD, such as 10/30s.
func (f *FieldLimit) UnmarshalText(text []byte) error {
	const want = "is not BURST/PERIOD such as 10/30s"
	burst, period, ok := strings.Cut(string(text), "/")
	if !ok {
		return errors.New(want)
	}
	n, err := strconv.Atoi(strings.TrimSpace(burst))
	if err != nil || n <= 0 || n > 1_000_000 {
		return errors.New(want)
	}
	d, err := time.ParseDuration(strings.TrimSpace(period))
	if err != nil || d <= 0 {
		return errors.New(want)
	}
	*f = FieldLimit{Burst: n, Every: d}
	return nil
}

// check checks the protection settings across variables.
func (p Protection) check() []error {
	var errs []error
	if p.RateLimit && p.RateLimitCapacity < float64(p.MaxCost) {
		errs = append(errs, fmt.Errorf("RATE_LIMIT_CAPACITY: %v is below QUERY_MAX_COST %d, so the dearest allowed query could never run", p.RateLimitCapacity, p.MaxCost))
	}
	if p.PersistedQueriesOnly && p.PersistedQueriesPath == "" {
		errs = append(errs, errors.New("PERSISTED_QUERIES_PATH: required when PERSISTED_QUERIES_ONLY is true"))
	}
	for _, o := range p.CORSOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("CORS_ORIGINS: %q is not an origin such as https://shop.example.com", o))
		}
	}
	return errs
}

// list splits a comma-separated setting, dropping empty items.
func list(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// LogValue shows the protection settings.
func (p Protection) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("max_cost", p.MaxCost),
		slog.Int("max_depth", p.MaxDepth),
		slog.Bool("rate_limit", p.RateLimit),
		slog.Float64("rate_limit_capacity", p.RateLimitCapacity),
		slog.Float64("rate_limit_restore_rate", p.RateLimitRestoreRate),
		slog.String("rate_limit_sign_in", p.SignInLimit.String()),
		slog.String("rate_limit_register", p.RegisterLimit.String()),
		slog.Int("rate_limit_exempt_networks", len(p.RateLimitExempt)),
		slog.Int("trusted_proxy_networks", len(p.TrustedProxies)),
		slog.Bool("persisted_queries_only", p.PersistedQueriesOnly),
		slog.Any("cors_origins", p.CORSOrigins),
		slog.Bool("catalog_cache", p.CatalogCache),
	)
}
