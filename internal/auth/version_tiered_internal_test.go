package auth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// TestTieredVersionCacheClearsOnLostSubscription: the in-process layer
// answers while the subscription is live (a change written to Redis
// behind its back is not seen), and once the subscription's connection is
// killed and re-established, the layer is empty: the change is seen,
// though the entry's TTL (an hour) is far from over.
func TestTieredVersionCacheClearsOnLostSubscription(t *testing.T) {
	base := dbtest.Redis(t)
	opt := *base.Options()
	opt.ClientName = fmt.Sprintf("tiered-test-%d", time.Now().UnixNano())
	rdb := redis.NewClient(&opt)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	prefix := opt.ClientName + ":version:"
	c := NewTieredVersionCache(ctx, rdb, prefix, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.True(t, c.live.Load(), "subscribed before the constructor returns")
	require.EqualValues(t, 1, c.subscribed.Load())

	require.NoError(t, c.Set(ctx, 7, 3))
	v, ok, err := c.Get(ctx, 7) // from Redis, now kept in process
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 3, v)
	require.NoError(t, base.Set(ctx, prefix+"7", 4, time.Hour).Err()) // no announcement
	v, _, err = c.Get(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, 3, v, "the in-process layer answers")

	// Kill this client's subscription connection (and only it).
	list, err := base.ClientList(ctx).Result()
	require.NoError(t, err)
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+opt.ClientName+" ") && strings.Contains(line, " sub=1 ") {
			id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
			require.NoError(t, base.Do(ctx, "CLIENT", "KILL", "ID", id).Err())
			killed++
		}
	}
	require.Equal(t, 1, killed)
	require.Eventually(t, func() bool { return c.subscribed.Load() == 2 && c.live.Load() }, 10*time.Second, 10*time.Millisecond, "subscribed again")
	v, ok, err = c.Get(ctx, 7)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 4, v, "the layer was cleared when the subscription came back")
}

// TestTieredVersionCacheAnnouncesBumps: a bump through one cache drops
// the other's in-process copy at once; another customer's stays.
func TestTieredVersionCacheAnnouncesBumps(t *testing.T) {
	rdb := dbtest.Redis(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	prefix := fmt.Sprintf("test:%s:%d:version:", t.Name(), time.Now().UnixNano())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := NewTieredVersionCache(ctx, rdb, prefix, time.Hour, log)
	b := NewTieredVersionCache(ctx, rdb, prefix, time.Hour, log)
	for id := range 2 {
		require.NoError(t, a.Set(ctx, id, 1))
		v, _, err := b.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, 1, v)
	}
	require.Equal(t, 2, b.local.Len())
	require.NoError(t, a.Bumped(ctx, 0, 2))
	require.Eventually(t, func() bool {
		v, _, err := b.Get(ctx, 0)
		return err == nil && v == 2
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, rdb.Set(ctx, prefix+"1", 9, time.Hour).Err()) // behind the cache's back
	v, _, err := b.Get(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, v, "customer 1's copy was not dropped")
}

// TestTieredVersionCacheWithoutRedis: with Redis unreachable the cache is
// built all the same, keeps nothing in process and reports errors, so
// VerifyAccess reads the database.
func TestTieredVersionCacheWithoutRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := NewTieredVersionCache(ctx, rdb, "test:down:", time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.False(t, c.live.Load())
	_, ok, err := c.Get(ctx, 1)
	require.Error(t, err)
	require.False(t, ok)
	require.Error(t, c.Bumped(ctx, 1, 2))
	require.Zero(t, c.local.Len())
}
