package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/auth"
)

func TestCounter(t *testing.T) {
	ctx := context.Background()
	counters := map[string]auth.Counter{"memory": auth.NewMemoryCounter()}
	if rdb := redisClient(t); rdb != nil {
		counters["redis"] = auth.NewRedisCounter(rdb, "test:counter:"+time.Now().Format(time.RFC3339Nano)+":")
	}
	for name, c := range counters {
		t.Run(name, func(t *testing.T) {
			n, _, err := c.Get(ctx, "k")
			require.NoError(t, err)
			require.Zero(t, n)
			for want := int64(1); want <= 3; want++ {
				n, until, err := c.Incr(ctx, "k", time.Hour)
				require.NoError(t, err)
				require.Equal(t, want, n)
				require.WithinDuration(t, time.Now().Add(time.Hour), until, 2*time.Second)
			}
			n, until, err := c.Get(ctx, "k")
			require.NoError(t, err)
			require.Equal(t, int64(3), n)
			require.WithinDuration(t, time.Now().Add(time.Hour), until, 2*time.Second)
			n, _, err = c.Get(ctx, "other")
			require.NoError(t, err)
			require.Zero(t, n)

			require.NoError(t, c.Reset(ctx, "k"))
			n, _, err = c.Get(ctx, "k")
			require.NoError(t, err)
			require.Zero(t, n)

			// A window already over counts from scratch.
			_, _, err = c.Incr(ctx, "brief", time.Millisecond)
			require.NoError(t, err)
			deadline := time.Now().Add(5 * time.Second)
			for {
				n, _, err = c.Get(ctx, "brief")
				require.NoError(t, err)
				if n == 0 {
					break
				}
				require.True(t, time.Now().Before(deadline), "window never ended")
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// newFailures is the in-process sign-in failure counter.
func newFailures() auth.Counter { return auth.NewMemoryCounter() }
