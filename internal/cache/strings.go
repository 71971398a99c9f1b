// Package cache holds the server's shared caches: in Redis when it is
// configured, so every replica sees the same entries, and in the process
// otherwise.
package cache

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStrings is a string cache in Redis with an expiry, shaped like
// gqlgen's query caches, for automatic persisted queries: a document
// registered on one replica is known to all of them.
type RedisStrings struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration
	log    *slog.Logger
}

// NewRedisStrings returns a cache keeping entries under prefix for ttl.
func NewRedisStrings(client redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger) *RedisStrings {
	return &RedisStrings{client: client, prefix: prefix, ttl: ttl, log: log}
}

// Get returns the entry for key. A Redis failure reads as a miss: the
// client then sends the whole document, which still works.
func (c *RedisStrings) Get(ctx context.Context, key string) (string, bool) {
	v, err := c.client.Get(ctx, c.prefix+key).Result()
	if err != nil {
		if err != redis.Nil {
			c.log.WarnContext(ctx, "cache read failed", slog.String("cache", c.prefix), slog.Any("err", err))
		}
		return "", false
	}
	return v, true
}

// Add stores value under key; a failure is logged and otherwise ignored,
// as a cache may forget.
func (c *RedisStrings) Add(ctx context.Context, key, value string) {
	if err := c.client.Set(ctx, c.prefix+key, value, c.ttl).Err(); err != nil {
		c.log.WarnContext(ctx, "cache write failed", slog.String("cache", c.prefix), slog.Any("err", err))
	}
}
