package config_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, ":8080", c.HTTPAddr)
	require.Equal(t, "sqlite://savannah.db", c.DatabaseURL)
	require.Equal(t, "KES", c.Currency)
	require.True(t, c.AutoMigrate)
	require.True(t, c.SeedDemo)
	require.True(t, c.Introspection)
	require.Equal(t, 20*time.Second, c.ShutdownTimeout)
}

func TestLoadProductionDefaults(t *testing.T) {
	t.Parallel()
	key := ed25519PEM(t)
	// Secret stores often keep a PEM on one line with literal \n.
	c, err := config.Load(env(map[string]string{"APP_ENV": "production", "DATABASE_URL": "postgres://u:secret@db/shop", "JWT_PRIVATE_KEY": strings.ReplaceAll(key, "\n", `\n`)}))
	require.NoError(t, err)
	require.Equal(t, key, c.JWTPrivateKey)
	require.False(t, c.SeedDemo)
	require.False(t, c.Introspection)
	require.Equal(t, "postgres://u:xxxxx@db/shop", config.MaskURL(c.DatabaseURL))
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"DATABASE_URL":         {"DATABASE_URL": "mysql://x"},
		"REDIS_URL":            {"REDIS_URL": "http://x"},
		"STORE_CURRENCY":       {"STORE_CURRENCY": "XYZ"},
		"AUTO_MIGRATE":         {"AUTO_MIGRATE": "maybe"},
		"SHUTDOWN_TIMEOUT":     {"SHUTDOWN_TIMEOUT": "-1s"},
		"LOG_LEVEL":            {"LOG_LEVEL": "loud"},
		"APP_ENV":              {"APP_ENV": "staging"},
		"JWT_PRIVATE_KEY":      {"APP_ENV": "production"},
		"GOOGLE_CLIENT_SECRET": {"GOOGLE_CLIENT_ID": "id"},
		"OIDC_CLIENT_SECRET":   {"OIDC_ISSUER_URL": "https://id.example.com", "OIDC_CLIENT_ID": "x"},
		"OIDC_ISSUER_URL":      {"OIDC_ISSUER_URL": "id.example.com", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y"},
		"OIDC_PROVIDER_NAME":   {"OIDC_PROVIDER_NAME": "Bad Name"},
		"AUTH_REDIRECT_URL":    {"AUTH_REDIRECT_URL": "javascript:alert(1)"},
		"TRUSTED_PROXIES":      {"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"},
	}
	for name, vars := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(vars))
			require.ErrorContains(t, err, name)
		})
	}
}

func TestLoadRejectsNonEd25519Keys(t *testing.T) {
	t.Parallel()
	for name, key := range map[string]string{
		"not PEM":    "hello",
		"wrong type": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}})),
		"garbage":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{"JWT_PRIVATE_KEY": key}))
			require.ErrorContains(t, err, "JWT_PRIVATE_KEY")
		})
	}
}

func ed25519PEM(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
