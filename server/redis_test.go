package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// TestServeWithRedis: with REDIS_URL the server checks Redis for
// readiness, meters clients through it, and closes it on shutdown.
func TestServeWithRedis(t *testing.T) {
	t.Parallel()
	redisURL := dbtest.RedisURL(t)
	if redisURL == "" {
		t.Skip("TEST_REDIS_URL is not set")
	}
	b := dbtest.Backends(t)[0]
	srv := startServe(t, map[string]string{"DATABASE_URL": b.URL, "REDIS_URL": redisURL, "RATE_LIMIT_CAPACITY": "1234"})
	base := srv.base

	resp, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `"redis":"ok"`)

	resp, err = http.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ categoryTree { id } }"}`))
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), `"maximumAvailable":1234`)

	require.NoError(t, srv.shutdown(t))
}

func TestServeRefusesUnreachableRedis(t *testing.T) {
	t.Parallel()
	b := dbtest.Backends(t)[0]
	env := envOf(map[string]string{"DATABASE_URL": b.URL, "HTTP_ADDR": "127.0.0.1:0", "REDIS_URL": "redis://127.0.0.1:1/0"})
	err := run(context.Background(), nil, env, io.Discard)
	require.ErrorContains(t, err, "redis")
}
