package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// redisClient returns a client on TEST_REDIS_URL, flushing its database
// first, or nil when Redis is not configured. With
// SAVANNAH_REQUIRE_SERVICES=1 a missing URL fails the test, as dbtest
// does for PostgreSQL.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	if dbtest.RedisURL(t) == "" {
		return nil
	}
	return dbtest.Redis(t)
}

// refreshStores runs fn on the database store (each database backend)
// and on the Redis store when TEST_REDIS_URL is set. Each run gets a
// fresh key prefix, so runs never see each other's tokens.
func refreshStores(t *testing.T, fn func(t *testing.T, s auth.RefreshStore, customers [2]int)) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		client := db.Client()
		// The auth service calls the store as the system; so do these tests.
		fn(t, systemStore{auth.NewDBRefreshStore(client)}, twoCustomers(t, client))
	})
	if rdb := redisClient(t); rdb != nil {
		t.Run("redis", func(t *testing.T) {
			prefix := "test:" + t.Name() + ":" + time.Now().Format(time.RFC3339Nano) + ":"
			fn(t, auth.NewRedisRefreshStore(rdb, prefix), [2]int{1, 2})
		})
	}
}

func twoCustomers(t *testing.T, client *ent.Client) [2]int {
	t.Helper()
	var out [2]int
	for i, email := range []string{"a@example.com", "b@example.com"} {
		c, err := client.Customer.Create().SetEmail(email).SetName("x").Save(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)
		out[i] = c.ID
	}
	return out
}

func TestRefreshStore(t *testing.T) {
	ctx := context.Background()
	ttl := time.Hour
	refreshStores(t, func(t *testing.T, s auth.RefreshStore, cust [2]int) {
		require.NoError(t, s.Create(ctx, cust[0], "h1", ttl))

		id, err := s.Rotate(ctx, "h1", "h2", ttl)
		require.NoError(t, err)
		require.Equal(t, cust[0], id)

		_, err = s.Rotate(ctx, "unknown", "hx", ttl)
		require.ErrorIs(t, err, auth.ErrRefreshInvalid)

		// Reuse of h1 revokes the family, h2 included.
		_, err = s.Rotate(ctx, "h1", "h3", ttl)
		require.ErrorIs(t, err, auth.ErrRefreshReused)
		_, err = s.Rotate(ctx, "h2", "h4", ttl)
		require.ErrorIs(t, err, auth.ErrRefreshInvalid)

		// Logout revokes a family but not another of the same customer.
		require.NoError(t, s.Create(ctx, cust[0], "f1", ttl))
		require.NoError(t, s.Create(ctx, cust[0], "g1", ttl))
		require.NoError(t, s.RevokeFamily(ctx, "f1"))
		require.NoError(t, s.RevokeFamily(ctx, "never-issued"))
		_, err = s.Rotate(ctx, "f1", "f2", ttl)
		require.ErrorIs(t, err, auth.ErrRefreshInvalid)
		_, err = s.Rotate(ctx, "g1", "g2", ttl)
		require.NoError(t, err)

		// A password change revokes every family of that customer only.
		require.NoError(t, s.Create(ctx, cust[1], "k1", ttl))
		require.NoError(t, s.RevokeCustomer(ctx, cust[0]))
		_, err = s.Rotate(ctx, "g2", "g3", ttl)
		require.ErrorIs(t, err, auth.ErrRefreshInvalid)
		_, err = s.Rotate(ctx, "k1", "k2", ttl)
		require.NoError(t, err)
	})
}

func TestRefreshStoreExpiry(t *testing.T) {
	ctx := context.Background()
	refreshStores(t, func(t *testing.T, s auth.RefreshStore, cust [2]int) {
		// A lifetime already over: no clock to wait on.
		require.NoError(t, s.Create(ctx, cust[0], "old", -time.Second))
		_, err := s.Rotate(ctx, "old", "next", time.Hour)
		require.ErrorIs(t, err, auth.ErrRefreshInvalid)
	})
}

// TestRefreshStoreConcurrentRotation presents one token from many
// goroutines at once: exactly one rotation may succeed.
func TestRefreshStoreConcurrentRotation(t *testing.T) {
	ctx := context.Background()
	refreshStores(t, func(t *testing.T, s auth.RefreshStore, cust [2]int) {
		require.NoError(t, s.Create(ctx, cust[0], "race", time.Hour))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Rotate(ctx, "race", "race-"+string(rune('a'+i)), time.Hour)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			// A loser sees the token used (and revokes the family) or, after
			// that, the family revoked.
			require.True(t, errors.Is(err, auth.ErrRefreshReused) || errors.Is(err, auth.ErrRefreshInvalid), "%v", err)
		}
		require.Equal(t, 1, ok, "exactly one concurrent rotation succeeds: %v", errs)
	})
}

// systemStore calls a store with the system context, as the auth service
// does: refresh tokens are written by nobody else.
type systemStore struct{ s auth.RefreshStore }

func (w systemStore) Create(ctx context.Context, customerID int, hash string, ttl time.Duration) error {
	return w.s.Create(viewer.System(ctx, "test: set up"), customerID, hash, ttl)
}

func (w systemStore) Rotate(ctx context.Context, oldHash, newHash string, ttl time.Duration) (int, error) {
	return w.s.Rotate(viewer.System(ctx, "test: set up"), oldHash, newHash, ttl)
}

func (w systemStore) RevokeFamily(ctx context.Context, hash string) error {
	return w.s.RevokeFamily(viewer.System(ctx, "test: set up"), hash)
}

func (w systemStore) RevokeCustomer(ctx context.Context, customerID int) error {
	return w.s.RevokeCustomer(viewer.System(ctx, "test: set up"), customerID)
}
