package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
)

// VersionTTL is how long a customer's token version is cached. The auth
// service writes the new version into the cache when it bumps it, so on
// its own paths the change is seen at once; the TTL bounds how long a
// change made any other way (a database edit, a failed cache write) can
// go unseen.
const VersionTTL = 3 * time.Second

// deleted is the cached version of an account that no longer exists: no
// token matches it.
const deleted = -1

// VersionCache keeps customers' current token versions for a short while,
// so verifying an access token rarely touches the database.
type VersionCache interface {
	// Get returns the cached version, or false on a miss.
	Get(ctx context.Context, customerID int) (int, bool, error)
	// Set caches the version read from the database for VersionTTL.
	Set(ctx context.Context, customerID, version int) error
	// Bumped caches the version the auth service has just set, so that
	// tokens of older ones are refused from now on (on every replica).
	Bumped(ctx context.Context, customerID, version int) error
}

// MemoryVersionCache is a VersionCache for one process.
type MemoryVersionCache struct {
	lru *expirable.LRU[int, int]
}

// NewMemoryVersionCache returns an in-process cache of up to 100 000
// customers' versions, each kept for ttl (VersionTTL in production).
func NewMemoryVersionCache(ttl time.Duration) *MemoryVersionCache {
	return &MemoryVersionCache{lru: expirable.NewLRU[int, int](100_000, nil, ttl)}
}

// Get implements VersionCache.
func (m *MemoryVersionCache) Get(_ context.Context, id int) (int, bool, error) {
	v, ok := m.lru.Get(id)
	return v, ok, nil
}

// Set implements VersionCache.
func (m *MemoryVersionCache) Set(_ context.Context, id, version int) error {
	m.lru.Add(id, version)
	return nil
}

// Bumped implements VersionCache.
func (m *MemoryVersionCache) Bumped(ctx context.Context, id, version int) error {
	return m.Set(ctx, id, version)
}

// RedisVersionCache is a VersionCache shared by every replica: a bump on
// one is seen by all on their next request.
type RedisVersionCache struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewRedisVersionCache returns a cache over rdb with keys under prefix
// (such as "savannah:token-version:").
func NewRedisVersionCache(rdb redis.UniversalClient, prefix string) *RedisVersionCache {
	return &RedisVersionCache{rdb: rdb, prefix: prefix, ttl: VersionTTL}
}

// Get implements VersionCache.
func (r *RedisVersionCache) Get(ctx context.Context, id int) (int, bool, error) {
	s, err := r.rdb.Get(ctx, r.prefix+strconv.Itoa(id)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("token version cache: %w", err)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, nil
	}
	return v, true, nil
}

// Set implements VersionCache.
func (r *RedisVersionCache) Set(ctx context.Context, id, version int) error {
	if err := r.rdb.Set(ctx, r.prefix+strconv.Itoa(id), version, r.ttl).Err(); err != nil {
		return fmt.Errorf("token version cache: %w", err)
	}
	return nil
}

// Bumped implements VersionCache: every replica reads Redis, so setting
// the new version is enough.
func (r *RedisVersionCache) Bumped(ctx context.Context, id, version int) error {
	return r.Set(ctx, id, version)
}
