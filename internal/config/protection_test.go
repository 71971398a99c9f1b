package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/config"
)

func TestProtectionDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	require.NoError(t, err)
	p := c.Protection
	require.Equal(t, 1000, p.MaxCost)
	require.Equal(t, 15, p.MaxDepth)
	require.True(t, p.RateLimit)
	require.Equal(t, 2000.0, p.RateLimitCapacity)
	require.Equal(t, 100.0, p.RateLimitRestoreRate)
	require.Equal(t, config.FieldLimit{Burst: 10, Every: 30 * time.Second}, p.SignInLimit)
	require.Equal(t, config.FieldLimit{Burst: 5, Every: 5 * time.Minute}, p.RegisterLimit)
	require.False(t, p.PersistedQueriesOnly)
	require.Empty(t, p.CORSOrigins)
	require.Empty(t, p.TrustedProxies)
}

func TestProtectionSettings(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{
		"QUERY_MAX_COST":          "500",
		"RATE_LIMIT_CAPACITY":     "800.5",
		"RATE_LIMIT_RESTORE_RATE": "25",
		"RATE_LIMIT_EXEMPT":       "127.0.0.1, 10.0.0.0/8",
		"TRUSTED_PROXIES":         "192.168.1.7/24,fd00::/8",
		"PERSISTED_QUERIES_ONLY":  "true",
		"PERSISTED_QUERIES_PATH":  "/etc/savannah/queries",
		"CORS_ORIGINS":            "https://shop.example.com, http://localhost:5173",
		"RATE_LIMIT_SIGN_IN":      "20/1m",
		"RATE_LIMIT_REGISTER":     " 3 / 90s ",
	}))
	require.NoError(t, err)
	p := c.Protection
	require.Equal(t, 500, p.MaxCost)
	require.Equal(t, 800.5, p.RateLimitCapacity)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}, p.RateLimitExempt)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00::/8")}, p.TrustedProxies, "masked to the network")
	require.True(t, p.PersistedQueriesOnly)
	require.Equal(t, config.FieldLimit{Burst: 20, Every: time.Minute}, p.SignInLimit)
	require.Equal(t, config.FieldLimit{Burst: 3, Every: 90 * time.Second}, p.RegisterLimit)
	require.Equal(t, []string{"https://shop.example.com", "http://localhost:5173"}, p.CORSOrigins)
}

func TestProtectionErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"QUERY_MAX_COST":          {"QUERY_MAX_COST": "-1"},
		"QUERY_MAX_DEPTH":         {"QUERY_MAX_DEPTH": "deep"},
		"RATE_LIMIT_RESTORE_RATE": {"RATE_LIMIT_RESTORE_RATE": "0"},
		"RATE_LIMIT_CAPACITY":     {"RATE_LIMIT_CAPACITY": "999"},
		"RATE_LIMIT_ENABLED":      {"RATE_LIMIT_ENABLED": "maybe"},
		"RATE_LIMIT_EXEMPT":       {"RATE_LIMIT_EXEMPT": "10.0.0.0/33"},
		"TRUSTED_PROXIES":         {"TRUSTED_PROXIES": "proxy.internal"},
		"PERSISTED_QUERIES_PATH":  {"PERSISTED_QUERIES_ONLY": "true"},
		"CORS_ORIGINS":            {"CORS_ORIGINS": "https://shop.example.com/path"},
		"RATE_LIMIT_SIGN_IN":      {"RATE_LIMIT_SIGN_IN": "10"},
		"RATE_LIMIT_REGISTER":     {"RATE_LIMIT_REGISTER": "0/5m"},
	}
	for want, vars := range tests {
		_, err := config.Load(env(vars))
		require.ErrorContains(t, err, want, "%v", vars)
	}
	_, err := config.Load(env(map[string]string{"RATE_LIMIT_ENABLED": "false", "RATE_LIMIT_CAPACITY": "10"}))
	require.NoError(t, err, "capacity is not checked against the cost limit when the rate limit is off")
}
