package dbtest

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// RedisURL returns TEST_REDIS_URL, failing the test when services are
// required but the variable is missing, as PostgresURL does.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_REDIS_URL")
	if u == "" && os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1" {
		t.Fatal("SAVANNAH_REQUIRE_SERVICES=1 but TEST_REDIS_URL is not set")
	}
	return u
}

// Redis connects to TEST_REDIS_URL, closed when the test ends, or skips
// the test when it is unset (fails when services are required). Tests
// sharing the server keep apart by key prefix.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	u := RedisURL(t)
	if u == "" {
		t.Skip("TEST_REDIS_URL is not set")
	}
	opt, err := redis.ParseURL(u)
	require.NoError(t, err)
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Ping(context.Background()).Err())
	return c
}
