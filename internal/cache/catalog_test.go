package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/cache"
)

// TestCatalogCacheBoundedInMemory: the in-process cache holds to its byte
// budget, forgetting the least recently used answers first.
func TestCatalogCacheBoundedInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	m := cache.NewMemory(4000, time.Minute, func() time.Time { return now })
	val := make([]byte, 900)
	for i := range 4 {
		m.Set(ctx, fmt.Sprint("k", i), val)
	}
	_, ok := m.Get(ctx, "k0") // k0 is now the most recent
	require.True(t, ok)
	m.Set(ctx, "k4", val) // over budget: k1 goes
	_, ok = m.Get(ctx, "k1")
	require.False(t, ok)
	for _, k := range []string{"k0", "k2", "k3", "k4"} {
		_, ok = m.Get(ctx, k)
		require.True(t, ok, k)
	}
	m.Set(ctx, "big", make([]byte, 2000))
	_, ok = m.Get(ctx, "big")
	require.False(t, ok, "an answer over a quarter of the budget is not kept")

	now = now.Add(2 * time.Minute)
	_, ok = m.Get(ctx, "k0")
	require.False(t, ok, "entries expire")

	v0, err := m.Version(ctx)
	require.NoError(t, err)
	m.Set(ctx, "k5", val)
	require.NoError(t, m.Bump(ctx))
	v1, err := m.Version(ctx)
	require.NoError(t, err)
	require.NotEqual(t, v0, v1)
	_, ok = m.Get(ctx, "k5")
	require.False(t, ok, "a bump frees the old entries")
}
