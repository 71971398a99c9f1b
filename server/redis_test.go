package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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

// TestServeWithRedisDown: with REDIS_URL pointing at nothing the server
// starts and serves; readiness reports Redis; rate limits fail open;
// sign-in and refresh work (new sign-ins are kept in the database), and a
// refresh token that only Redis could hold answers a retryable
// SERVICE_UNAVAILABLE within a second.
func TestServeWithRedisDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())
	b := dbtest.Backends(t)[0]
	srv := startServe(t, map[string]string{"DATABASE_URL": b.URL, "REDIS_URL": "redis://" + closed + "/0", "RATE_LIMIT_CAPACITY": "1234", "SEED_DEMO": "false"})

	resp, err := http.Get(srv.base + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Contains(t, string(body), `"redis":"unavailable"`)
	require.Contains(t, string(body), `"database":"ok"`)

	type answer struct {
		Data   map[string]json.RawMessage
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	gql := func(query string, vars map[string]any) (answer, time.Duration) {
		t.Helper()
		raw, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		require.NoError(t, err)
		start := time.Now()
		resp, err := http.Post(srv.base+"/graphql", "application/json", bytes.NewReader(raw))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out answer
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out, time.Since(start)
	}
	// Served unmetered: rate limits fail open.
	out, _ := gql(`{ categoryTree { id } }`, nil)
	require.Empty(t, out.Errors)

	const pw = "kilimanjaro-sunrise-42"
	tokenOf := func(out answer, field string) (access, refresh string) {
		t.Helper()
		require.Empty(t, out.Errors)
		var p struct {
			Token      *struct{ AccessToken, RefreshToken string }
			UserErrors []any
		}
		require.NoError(t, json.Unmarshal(out.Data[field], &p))
		require.Empty(t, p.UserErrors)
		require.NotNil(t, p.Token)
		return p.Token.AccessToken, p.Token.RefreshToken
	}
	out, _ = gql(`mutation($in: RegisterInput!) { register(input: $in) { token { accessToken refreshToken } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": "down@example.com", "password": pw, "name": "Down"}})
	tokenOf(out, "register")
	out, _ = gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { accessToken refreshToken } userErrors { code } } }`,
		map[string]any{"e": "down@example.com", "p": pw})
	_, refresh := tokenOf(out, "login")
	refreshDoc := `mutation($r: String!) { refreshToken(refreshToken: $r) { token { accessToken refreshToken } userErrors { code } } }`
	out, _ = gql(refreshDoc, map[string]any{"r": refresh})
	tokenOf(out, "refreshToken")

	// A token this process cannot find may be one Redis holds: retry.
	out, took := gql(refreshDoc, map[string]any{"r": "held-by-redis-perhaps"})
	require.Len(t, out.Errors, 1)
	require.Equal(t, "SERVICE_UNAVAILABLE", out.Errors[0].Extensions["code"])
	require.Equal(t, true, out.Errors[0].Extensions["retryable"])
	require.Less(t, took, time.Second)

	require.NoError(t, srv.shutdown(t))
}
