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
	MaxCost, MaxDepth, MaxAliases, MaxRootFields, MaxTokens int
	// RateLimit turns the cost-based rate limit on (RATE_LIMIT_ENABLED).
	RateLimit bool
	// RateLimitCapacity is the bucket size in cost points
	// (RATE_LIMIT_CAPACITY); at least MaxCost, or the dearest allowed
	// query could never run.
	RateLimitCapacity float64
	// RateLimitRestoreRate is the points restored per second
	// (RATE_LIMIT_RESTORE_RATE).
	RateLimitRestoreRate float64
	// SignInLimit and RegisterLimit are the stricter per-client limits on
	// the login and register mutations (RATE_LIMIT_SIGN_IN,
	// RATE_LIMIT_REGISTER), written BURST/PERIOD: "10/30s" allows a burst
	// of 10 and then one every 30 seconds. They apply when RateLimit does.
	SignInLimit, RegisterLimit FieldLimit
	// RateLimitExempt are networks without rate limit (RATE_LIMIT_EXEMPT,
	// comma-separated CIDRs or addresses).
	RateLimitExempt []netip.Prefix
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// PersistedQueriesOnly lets only registered documents run
	// (PERSISTED_QUERIES_ONLY), read from PersistedQueriesPath
	// (PERSISTED_QUERIES_PATH: a .graphql file or a directory of them).
	PersistedQueriesOnly bool
	PersistedQueriesPath string
	// CORSOrigins are the browser origins allowed to call the API and to
	// open its WebSocket (CORS_ORIGINS, comma-separated, or "*").
	CORSOrigins []string
	// CatalogCache caches anonymous catalogue answers (CATALOG_CACHE), in
	// Redis when REDIS_URL is set, each for at most CatalogCacheTTL
	// (CATALOG_CACHE_TTL); writes invalidate them at once regardless.
	CatalogCache    bool
	CatalogCacheTTL time.Duration
}

// FieldLimit is a burst of Burst requests, then one per Every.
type FieldLimit struct {
	Burst int
	Every time.Duration
}

// String writes the limit as it is configured, BURST/PERIOD.
func (f FieldLimit) String() string { return strconv.Itoa(f.Burst) + "/" + f.Every.String() }

// parseFieldLimit reads BURST/PERIOD, such as 10/30s.
func parseFieldLimit(s string) (FieldLimit, bool) {
	burst, period, ok := strings.Cut(s, "/")
	if !ok {
		return FieldLimit{}, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(burst))
	if err != nil || n <= 0 || n > 1_000_000 {
		return FieldLimit{}, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(period))
	if err != nil || d <= 0 {
		return FieldLimit{}, false
	}
	return FieldLimit{Burst: n, Every: d}, true
}

// loadProtection reads the protection settings; every problem names its
// variable.
func loadProtection(getenv func(string) string) (Protection, []error) {
	var errs []error
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	integer := func(key string, def int) int {
		v := get(key)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive whole number", key, v))
		}
		return n
	}
	number := func(key string, def float64) float64 {
		v := get(key)
		if v == "" {
			return def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || f > 1e12 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive number", key, v))
		}
		return f
	}
	prefixes := func(key string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range list(get(key)) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					errs = append(errs, fmt.Errorf("%s: %q is not a CIDR such as 10.0.0.0/8 or an address", key, s))
					continue
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			out = append(out, p.Masked())
		}
		return out
	}
	p := Protection{
		MaxCost:              integer("QUERY_MAX_COST", 1000),
		MaxDepth:             integer("QUERY_MAX_DEPTH", 15),
		MaxAliases:           integer("QUERY_MAX_ALIASES", 30),
		MaxRootFields:        integer("QUERY_MAX_ROOT_FIELDS", 10),
		MaxTokens:            integer("QUERY_MAX_TOKENS", 15000),
		RateLimit:            true,
		RateLimitCapacity:    number("RATE_LIMIT_CAPACITY", 2000),
		RateLimitRestoreRate: number("RATE_LIMIT_RESTORE_RATE", 100),
		RateLimitExempt:      prefixes("RATE_LIMIT_EXEMPT"),
		TrustedProxies:       prefixes("TRUSTED_PROXIES"),
		PersistedQueriesPath: get("PERSISTED_QUERIES_PATH"),
		CORSOrigins:          list(get("CORS_ORIGINS")),
		CatalogCache:         true,
		CatalogCacheTTL:      5 * time.Minute,
	}
	for _, f := range []struct {
		key string
		dst *FieldLimit
		def FieldLimit
	}{
		{"RATE_LIMIT_SIGN_IN", &p.SignInLimit, FieldLimit{Burst: 10, Every: 30 * time.Second}},
		{"RATE_LIMIT_REGISTER", &p.RegisterLimit, FieldLimit{Burst: 5, Every: 5 * time.Minute}},
	} {
		*f.dst = f.def
		if v := get(f.key); v != "" {
			l, ok := parseFieldLimit(v)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %q is not BURST/PERIOD such as %s", f.key, v, f.def))
			}
			*f.dst = l
		}
	}
	if v := get("CATALOG_CACHE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("CATALOG_CACHE_TTL: %q is not a positive duration such as 5m", v))
		}
		p.CatalogCacheTTL = d
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"RATE_LIMIT_ENABLED", &p.RateLimit}, {"PERSISTED_QUERIES_ONLY", &p.PersistedQueriesOnly}, {"CATALOG_CACHE", &p.CatalogCache}} {
		if v := get(b.key); v != "" {
			val, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", b.key, v))
			}
			*b.dst = val
		}
	}
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
	return p, errs
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
