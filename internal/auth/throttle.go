package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counter counts events per key in fixed windows: sign-in failures per
// account and per client address. Implementations: MemoryCounter (one
// process) and RedisCounter (shared by every replica).
type Counter interface {
	// Incr adds one to key, starting a window of length window when the
	// key has none, and returns the new count and when the window ends.
	Incr(ctx context.Context, key string, window time.Duration) (int64, time.Time, error)
	// Get returns key's count and when its window ends (zero when none).
	Get(ctx context.Context, key string) (int64, time.Time, error)
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}

// MemoryCounter is an in-process Counter.
type MemoryCounter struct {
	mu  sync.Mutex
	m   map[string]memoryCount
	now func() time.Time
}

type memoryCount struct {
	n     int64
	until time.Time
}

// NewMemoryCounter returns an empty in-process counter.
func NewMemoryCounter() *MemoryCounter {
	return &MemoryCounter{m: map[string]memoryCount{}, now: time.Now}
}

// maxMemoryKeys bounds the map: past it, expired entries are swept, so a
// flood of distinct addresses cannot grow memory without limit.
const maxMemoryKeys = 100_000

// Incr implements Counter.
func (c *MemoryCounter) Incr(_ context.Context, key string, window time.Duration) (int64, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	e := c.m[key]
	if !now.Before(e.until) {
		e = memoryCount{until: now.Add(window)}
	}
	e.n++
	if len(c.m) >= maxMemoryKeys {
		for k, v := range c.m {
			if !now.Before(v.until) {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = e
	return e.n, e.until, nil
}

// Get implements Counter.
func (c *MemoryCounter) Get(_ context.Context, key string) (int64, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !c.now().Before(e.until) {
		return 0, time.Time{}, nil
	}
	return e.n, e.until, nil
}

// Reset implements Counter.
func (c *MemoryCounter) Reset(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	return nil
}

// RedisCounter is a Counter in Redis, shared by every replica.
type RedisCounter struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisCounter returns a counter with keys under prefix.
func NewRedisCounter(rdb redis.UniversalClient, prefix string) *RedisCounter {
	return &RedisCounter{rdb: rdb, prefix: prefix}
}

// incrScript increments and starts the window in one step, so a crash
// between the two can never leave a counter without expiry.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`)

// Incr implements Counter.
func (c *RedisCounter) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Time, error) {
	res, err := incrScript.Run(ctx, c.rdb, []string{c.prefix + key}, window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count: %w", err)
	}
	return res[0], time.Now().Add(time.Duration(res[1]) * time.Millisecond), nil
}

// Get implements Counter.
func (c *RedisCounter) Get(ctx context.Context, key string) (int64, time.Time, error) {
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, c.prefix+key)
		ttl = p.PTTL(ctx, c.prefix+key)
		return nil
	})
	if err != nil && err != redis.Nil {
		return 0, time.Time{}, fmt.Errorf("count: %w", err)
	}
	n, err := get.Int64()
	if err == redis.Nil {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count: %w", err)
	}
	return n, time.Now().Add(ttl.Val()), nil
}

// Reset implements Counter.
func (c *RedisCounter) Reset(ctx context.Context, key string) error {
	if err := c.rdb.Del(ctx, c.prefix+key).Err(); err != nil {
		return fmt.Errorf("reset count: %w", err)
	}
	return nil
}
