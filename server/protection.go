package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/server/api"
)

// redisKeyPrefix keeps the server's keys apart from anything else sharing
// the Redis database.
const redisKeyPrefix = "savannah:"

// catalogCacheBytes bounds the in-process catalogue cache, well inside the
// server's memory budget.
const catalogCacheBytes = 16 << 20

// apqTTL is how long a registered automatic persisted query is kept;
// clients re-register a forgotten one transparently.
const apqTTL = 24 * time.Hour

// openRedis connects to REDIS_URL and checks that it answers, so a wrong
// URL stops the start instead of failing every request.
func openRedis(ctx context.Context, rawURL string, log *slog.Logger) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	// Short timeouts (unless the URL sets its own): with Redis down, every
	// use fails within a second and falls back or fails open, rather than
	// holding requests for go-redis's default of seconds.
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 300 * time.Millisecond
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 300 * time.Millisecond
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = 300 * time.Millisecond
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = 300 * time.Millisecond
	}
	opt.MaxRetries = 1
	opt.MaxRetryBackoff = 50 * time.Millisecond
	client := redis.NewClient(opt)
	// Redis being down is no reason not to start: readiness reports it,
	// and its users fall back or fail open meanwhile (README, "When Redis
	// is down"); the client reconnects by itself.
	pingCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		log.Warn("redis does not answer; starting without it", slog.String("error", err.Error()))
	}
	return client, nil
}

// redisCheck lets /readyz ping Redis.
type redisCheck struct{ client *redis.Client }

// Ping implements api.Checker.
func (c redisCheck) Ping(ctx context.Context) error { return c.client.Ping(ctx).Err() }

// newProtection builds the API's defences from the configuration, sharing
// their state through Redis when rdb is not nil. The caller adds the
// catalogue cache: the one the ent client's hooks invalidate (newApp).
func newProtection(cfg config.Protection, rdb *redis.Client, log *slog.Logger) (api.Protection, error) {
	p := api.Protection{
		Limits: graph.Limits{
			MaxCost:       cfg.MaxCost,
			MaxDepth:      cfg.MaxDepth,
			MaxAliases:    cfg.MaxAliases,
			MaxRootFields: cfg.MaxRootFields,
			MaxTokens:     cfg.MaxTokens,
		},
		Exempt:         cfg.RateLimitExempt,
		TrustedProxies: cfg.TrustedProxies,
		CORSOrigins:    cfg.CORSOrigins,
	}
	if cfg.RateLimit {
		policy := ratelimit.Policy{Name: "graphql", Capacity: cfg.RateLimitCapacity, RefillPerSecond: cfg.RateLimitRestoreRate}
		if err := policy.Validate(); err != nil {
			return api.Protection{}, err
		}
		store := rateLimitStore(rdb)
		p.RateLimit = ratelimit.New(store, policy)
		p.SignInLimit = ratelimit.New(store, fieldPolicy("sign-in", cfg.SignInLimit))
		p.RegistrationLimit = ratelimit.New(store, fieldPolicy("register", cfg.RegisterLimit))
	}
	if rdb != nil {
		p.APQCache = cache.NewRedisStrings(rdb, redisKeyPrefix+"apq:", apqTTL, log)
	}
	if cfg.PersistedQueriesOnly {
		docs, err := graph.LoadPersistedQueries(cfg.PersistedQueriesPath)
		if err != nil {
			return api.Protection{}, err
		}
		p.PersistedOnly = docs
		log.Info("persisted queries only", slog.Int("documents", len(docs)))
	}
	return p, nil
}

// fieldPolicy is the bucket of a BURST/PERIOD limit.
func fieldPolicy(name string, l config.FieldLimit) ratelimit.Policy {
	return ratelimit.Policy{Name: name, Capacity: float64(l.Burst), RefillPerSecond: 1 / l.Every.Seconds()}
}

// catalogCache returns the catalogue cache (nil when switched off): shared
// through Redis when rdb is not nil, in process otherwise.
func catalogCache(cfg config.Protection, rdb *redis.Client, log *slog.Logger) cache.Catalog {
	switch {
	case !cfg.CatalogCache:
		return nil
	case rdb != nil:
		return cache.NewRedis(rdb, redisKeyPrefix+"catalog:", cfg.CatalogCacheTTL, log)
	default:
		return cache.NewMemory(catalogCacheBytes, cfg.CatalogCacheTTL, time.Now)
	}
}

// rateLimitStore is where rate-limit buckets live: in Redis, shared by the
// replicas, when configured. The stricter policies of sign-in and
// registration share the same store, each under its own policy name.
func rateLimitStore(rdb *redis.Client) ratelimit.Store {
	if rdb != nil {
		return ratelimit.NewRedis(rdb, redisKeyPrefix+"rl:")
	}
	return ratelimit.NewMemory(time.Now)
}
