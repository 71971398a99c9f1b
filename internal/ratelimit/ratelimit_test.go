package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
)

// uniqueKey keeps parallel tests and runs against one Redis apart.
func uniqueKey(t testing.TB) string {
	return fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
}

func TestMemoryBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	store := ratelimit.NewMemory(clock)
	p := ratelimit.Policy{Name: "graphql", Capacity: 100, RefillPerSecond: 10}
	ctx := context.Background()

	steps := []struct {
		name      string
		advance   time.Duration
		key       string
		cost      float64
		allowed   bool
		available float64
		retry     time.Duration
	}{
		{"a new bucket is full", 0, "a", 0, true, 100, 0},
		{"cost is taken", 0, "a", 60, true, 40, 0},
		{"too much is refused without draining", 0, "a", 50, false, 40, time.Second},
		{"other clients have their own bucket", 0, "b", 100, true, 0, 0},
		{"refill at the rate", 500 * time.Millisecond, "a", 45, true, 0, 0},
		{"refill never exceeds capacity", time.Hour, "a", 0, true, 100, 0},
		{"refunds are capped at capacity", 0, "a", -50, true, 100, 0},
		{"more than capacity never fits", 0, "a", 101, false, 100, 100 * time.Millisecond},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		res, err := store.Take(ctx, p, s.key, s.cost)
		require.NoError(t, err, s.name)
		require.Equal(t, s.allowed, res.Allowed, s.name)
		require.InDelta(t, s.available, res.Available, 1e-9, s.name)
		require.Equal(t, s.retry, res.RetryAfter, s.name)
	}

	// Policies never share buckets.
	strict := ratelimit.New(store, ratelimit.Policy{Name: "sign-in", Capacity: 1, RefillPerSecond: 0.1})
	res, err := strict.Take(ctx, "b", 1)
	require.NoError(t, err)
	require.True(t, res.Allowed, "the graphql bucket of b is empty, its sign-in bucket is not")
	res, err = strict.Take(ctx, "b", 1)
	require.NoError(t, err)
	require.False(t, res.Allowed)
	require.Equal(t, 10*time.Second, res.RetryAfter)
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	for _, p := range []ratelimit.Policy{{}, {Name: "x"}, {Name: "x", Capacity: 1}, {Name: "x", RefillPerSecond: 1}} {
		require.Error(t, p.Validate(), "%+v", p)
	}
	require.NoError(t, ratelimit.Policy{Name: "x", Capacity: 1, RefillPerSecond: 1}.Validate())
}

func TestRedisBucket(t *testing.T) {
	t.Parallel()
	c := dbtest.Redis(t)
	ctx := context.Background()
	p := ratelimit.Policy{Name: "graphql", Capacity: 100, RefillPerSecond: 0.001}
	key := uniqueKey(t)
	// Two stores over one Redis are two replicas.
	a := ratelimit.NewRedis(c, "savannah:test:rl:")
	b := ratelimit.NewRedis(c, "savannah:test:rl:")

	res, err := a.Take(ctx, p, key, 70)
	require.NoError(t, err)
	require.True(t, res.Allowed)
	require.InDelta(t, 30, res.Available, 0.01)

	res, err = b.Take(ctx, p, key, 40)
	require.NoError(t, err)
	require.False(t, res.Allowed, "the second replica sees what the first took")
	require.InDelta(t, 30, res.Available, 0.01)
	require.Greater(t, res.RetryAfter, time.Hour, "at 0.001 points a second, 10 points take hours")

	res, err = b.Take(ctx, p, key, 30)
	require.NoError(t, err)
	require.True(t, res.Allowed)
	require.InDelta(t, 0, res.Available, 0.01)

	res, err = a.Take(ctx, p, key, -500)
	require.NoError(t, err)
	require.InDelta(t, 100, res.Available, 0.01, "refunds are capped at capacity")

	ttl, err := c.PTTL(ctx, "savannah:test:rl:graphql:"+key).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0), "buckets expire")
}

func TestRedisRefill(t *testing.T) {
	t.Parallel()
	c := dbtest.Redis(t)
	ctx := context.Background()
	p := ratelimit.Policy{Name: "graphql", Capacity: 10, RefillPerSecond: 1000}
	store := ratelimit.NewRedis(c, "savannah:test:rl:")
	key := uniqueKey(t)
	res, err := store.Take(ctx, p, key, 10)
	require.NoError(t, err)
	require.True(t, res.Allowed)
	// At 1000 points a second the bucket is full again within
	// milliseconds; wait on that with a deadline, never a sleep.
	require.Eventually(t, func() bool {
		res, err := store.Take(ctx, p, key, 0)
		return err == nil && res.Available >= 10
	}, 5*time.Second, time.Millisecond)
}

// TestConcurrentTakes holds the bucket's invariant under contention: no
// more is ever taken than the bucket held.
func TestConcurrentTakes(t *testing.T) {
	t.Parallel()
	stores := map[string]ratelimit.Store{"memory": ratelimit.NewMemory(time.Now)}
	if os.Getenv("TEST_REDIS_URL") != "" || os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1" {
		c := dbtest.Redis(t)
		stores["redis"] = ratelimit.NewRedis(c, "savannah:test:rl:")
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			p := ratelimit.Policy{Name: "graphql", Capacity: 50, RefillPerSecond: 0.0001}
			key := uniqueKey(t)
			var mu sync.Mutex
			allowed := 0
			var wg sync.WaitGroup
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 10 {
						res, err := store.Take(context.Background(), p, key, 1)
						if err == nil && res.Allowed {
							mu.Lock()
							allowed++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			require.Equal(t, 50, allowed)
		})
	}
}

func BenchmarkMemoryTake(b *testing.B) {
	store := ratelimit.NewMemory(time.Now)
	p := ratelimit.Policy{Name: "graphql", Capacity: 1e12, RefillPerSecond: 1e9}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = store.Take(ctx, p, "client", 1)
	}
}

func BenchmarkRedisTake(b *testing.B) {
	c := dbtest.Redis(b)
	store := ratelimit.NewRedis(c, "savannah:test:rl:")
	p := ratelimit.Policy{Name: "graphql", Capacity: 1e12, RefillPerSecond: 1e9}
	ctx := context.Background()
	key := uniqueKey(b)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = store.Take(ctx, p, key, 1)
	}
}

// flaky is a store that fails while down is set, like Redis out of reach.
type flaky struct {
	ratelimit.Store
	down *bool
}

func (f flaky) Take(ctx context.Context, p ratelimit.Policy, key string, cost float64) (ratelimit.Result, error) {
	if *f.down {
		return ratelimit.Result{}, errors.New("connection refused")
	}
	return f.Store.Take(ctx, p, key, cost)
}

// TestFallback: while the primary store fails, takes go to the secondary,
// so the limit still holds; once the primary is back, a read still sees
// what was taken meanwhile, and a refund restores both.
func TestFallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := true
	f := ratelimit.Fallback{
		Primary:   flaky{ratelimit.NewMemory(time.Now), &down},
		Secondary: ratelimit.NewMemory(time.Now),
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	p := ratelimit.Policy{Name: "signin", Capacity: 2, RefillPerSecond: 0.0001}
	for range 2 {
		res, err := f.Take(ctx, p, "k", 1)
		require.NoError(t, err)
		require.True(t, res.Allowed)
	}
	res, err := f.Take(ctx, p, "k", 1)
	require.NoError(t, err)
	require.False(t, res.Allowed, "the secondary holds the limit while the primary is down")

	down = false
	res, err = f.Take(ctx, p, "k", 0)
	require.NoError(t, err)
	require.Less(t, res.Available, 1.0, "what the secondary counted still counts")

	_, err = f.Take(ctx, p, "k", -p.Capacity)
	require.NoError(t, err)
	res, err = f.Take(ctx, p, "k", 0)
	require.NoError(t, err)
	require.InDelta(t, p.Capacity, res.Available, 0.01, "a refund restores both stores")
}
