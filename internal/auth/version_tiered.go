package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
)

// tieredLocalCap bounds the in-process layer of a TieredVersionCache: past
// it the least recently used customer goes (one more Redis read later).
const tieredLocalCap = 100_000

// tieredPing is how long the invalidation subscription may stay silent
// before it is pinged; a ping left unanswered that long again counts as a
// lost connection.
const tieredPing = 15 * time.Second

// TieredVersionCache is the VersionCache of replicas sharing Redis: an
// in-process LRU in front of Redis, so an open WebSocket re-checking its
// token on every event costs no round trip. When the auth service bumps a
// version (Bumped), the new one is written to Redis and announced on a
// Redis pub/sub channel, and every replica drops its copy at once. What
// pub/sub cannot promise is covered thus:
//   - while the subscription is down the in-process layer is not used,
//     and it is emptied whenever the subscription is (re)established,
//     since announcements sent meanwhile are lost;
//   - an in-process entry never outlives the Redis entry it was read from
//     (at most the TTL), the bound for a change made any other way (a
//     database edit).
type TieredVersionCache struct {
	shared *RedisVersionCache
	ttl    time.Duration
	rdb    redis.UniversalClient
	chann  string
	log    *slog.Logger
	local  *expirable.LRU[int, tieredEntry]
	// live is set while the invalidation subscription is established.
	live atomic.Bool
	// gen counts the drops and clears of the in-process layer: a Redis
	// read that saw a drop happen meanwhile is not kept.
	gen atomic.Uint64
	// subscribed counts the subscriptions established (tests wait on it).
	subscribed atomic.Uint64
}

type tieredEntry struct {
	version int
	until   time.Time
}

// NewTieredVersionCache returns the cache over rdb, its keys under prefix
// (such as "savannah:token-version:") kept for ttl (VersionTTL in
// production), its announcements on the channel prefix+"bumped". The
// subscription lasts until ctx is done; NewTieredVersionCache returns once
// Redis has confirmed it, or has failed to within 5 seconds (the
// in-process layer then waits for the subscription, and every read goes
// to Redis).
func NewTieredVersionCache(ctx context.Context, rdb redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger) *TieredVersionCache {
	c := &TieredVersionCache{
		shared: &RedisVersionCache{rdb: rdb, prefix: prefix, ttl: ttl},
		ttl:    ttl,
		rdb:    rdb,
		chann:  prefix + "bumped",
		log:    log,
		local:  expirable.NewLRU[int, tieredEntry](tieredLocalCap, nil, ttl),
	}
	ps := rdb.Subscribe(ctx, c.chann)
	first, err := ps.ReceiveTimeout(ctx, 5*time.Second)
	if err == nil {
		c.handle(first)
	} else {
		log.Warn("token versions: redis does not answer; subscribing when it does", slog.String("error", err.Error()))
	}
	go c.listen(ctx, ps)
	return c
}

// Get implements VersionCache: the in-process copy while the subscription
// is live, else Redis (one round trip for the value and its remaining
// TTL).
func (c *TieredVersionCache) Get(ctx context.Context, id int) (int, bool, error) {
	now := time.Now()
	if c.live.Load() {
		if e, ok := c.local.Get(id); ok && now.Before(e.until) {
			return e.version, true, nil
		}
	}
	gen := c.gen.Load()
	key := c.shared.prefix + strconv.Itoa(id)
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, key)
		ttl = p.PTTL(ctx, key)
		return nil
	})
	if errors.Is(get.Err(), redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("token version cache: %w", err)
	}
	v, err := strconv.Atoi(get.Val())
	if err != nil {
		return 0, false, nil
	}
	left := ttl.Val()
	if left <= 0 || left > c.ttl {
		left = c.ttl
	}
	if c.live.Load() && c.gen.Load() == gen {
		c.local.Add(id, tieredEntry{version: v, until: now.Add(left)})
	}
	return v, true, nil
}

// Set implements VersionCache: the version read from the database goes
// to Redis; the in-process layer takes it from there on the next Get.
func (c *TieredVersionCache) Set(ctx context.Context, id, version int) error {
	return c.shared.Set(ctx, id, version)
}

// Bumped implements VersionCache: the new version goes to Redis, then
// every replica (this one included) is told to drop its copy.
func (c *TieredVersionCache) Bumped(ctx context.Context, id, version int) error {
	c.drop(id)
	if err := c.shared.Set(ctx, id, version); err != nil {
		return err
	}
	if err := c.rdb.Publish(ctx, c.chann, strconv.Itoa(id)).Err(); err != nil {
		return fmt.Errorf("token version cache: announce: %w", err)
	}
	return nil
}

func (c *TieredVersionCache) drop(id int) {
	c.gen.Add(1)
	c.local.Remove(id)
}

// clear empties the in-process layer.
func (c *TieredVersionCache) clear() {
	c.gen.Add(1)
	c.local.Purge()
}

// handle applies one message of the subscription.
func (c *TieredVersionCache) handle(msg any) {
	switch m := msg.(type) {
	case *redis.Subscription:
		if m.Kind == "subscribe" {
			// (Re)established: what was announced before is lost.
			c.clear()
			c.live.Store(true)
			c.subscribed.Add(1)
		}
	case *redis.Message:
		id, err := strconv.Atoi(m.Payload)
		if err != nil {
			c.log.Warn("token versions: malformed announcement ignored", slog.String("channel", m.Channel))
			return
		}
		c.drop(id)
	}
}

// lost stops using the in-process layer until the subscription is back.
func (c *TieredVersionCache) lost(err error) {
	if c.live.Swap(false) {
		c.log.Warn("token versions: subscription lost; reading redis until it is back", slog.String("error", err.Error()))
	}
	c.clear()
}

// listen applies the subscription's messages until ctx is done. go-redis
// reconnects and subscribes again after a read error; a connection that
// stays silent through a ping is replaced.
func (c *TieredVersionCache) listen(ctx context.Context, ps *redis.PubSub) {
	watch := func(ps *redis.PubSub) func() bool { return context.AfterFunc(ctx, func() { _ = ps.Close() }) }
	stop := watch(ps)
	defer func() {
		stop()
		_ = ps.Close()
	}()
	pinged := false
	backoff := time.Duration(0)
	for {
		msg, err := ps.ReceiveTimeout(ctx, tieredPing)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			pinged, backoff = false, 0
			c.handle(msg)
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && !pinged {
			pinged = true
			if ps.Ping(ctx) == nil {
				continue
			}
		}
		c.lost(err)
		if pinged {
			// Silent through a ping: a new connection.
			stop()
			_ = ps.Close()
			ps = c.rdb.Subscribe(ctx, c.chann)
			stop = watch(ps)
			pinged = false
		}
		backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}
