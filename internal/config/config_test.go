package config_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
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
	require.Zero(t, c.ShutdownDrainDelay)
	require.Equal(t, config.RoleAll, c.Role)
	require.Equal(t, "Savannah", c.StoreName)
	require.Equal(t, 200*time.Millisecond, c.JobsPollInterval)
	require.Equal(t, 12, c.NotifyMaxAttempts)
	require.Equal(t, time.Second, c.NotifyRetryBase)
	require.Equal(t, time.Hour, c.NotifyRetryMax)
	require.Equal(t, "Africa/Nairobi", c.StoreTimezone.String())
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
		"DATABASE_URL":          {"DATABASE_URL": "mysql://x"},
		"REDIS_URL":             {"REDIS_URL": "http://x"},
		"STORE_CURRENCY":        {"STORE_CURRENCY": "XYZ"},
		"AUTO_MIGRATE":          {"AUTO_MIGRATE": "maybe"},
		"SHUTDOWN_TIMEOUT":      {"SHUTDOWN_TIMEOUT": "-1s"},
		"WS_INIT_TIMEOUT":       {"WS_INIT_TIMEOUT": "soon"},
		"WS_PING_INTERVAL":      {"WS_PING_INTERVAL": "0s"},
		"WS_SEND_QUEUE":         {"WS_SEND_QUEUE": "0"},
		"WS_SEND_QUEUE 2":       {"WS_SEND_QUEUE": "lots"},
		"WS_WRITE_TIMEOUT":      {"WS_WRITE_TIMEOUT": "-1s"},
		"WS_MAX_SOCKETS":        {"WS_MAX_SOCKETS": "-5"},
		"WS_READY_FRACTION":     {"WS_READY_FRACTION": "1.5"},
		"WS_READY_FRACTION 2":   {"WS_READY_FRACTION": "0"},
		"LOG_LEVEL":             {"LOG_LEVEL": "loud"},
		"APP_ENV":               {"APP_ENV": "staging"},
		"SMTP_URL":              {"SMTP_URL": "http://mail.example.com", "SMTP_FROM": "shop@example.com"},
		"SMTP_FROM":             {"SMTP_URL": "smtp://mail.example.com"},
		"SMTP_FROM format":      {"SMTP_FROM": "not an address"},
		"CDN_PURGE_URL":         {"CDN_PURGE_URL": "cdn.example.com/purge"},
		"NOTIFY_ADMIN_EMAILS":   {"NOTIFY_ADMIN_EMAILS": "ops@example.com, nope"},
		"AT_API_KEY":            {"AT_USERNAME": "savannah"},
		"AT_USERNAME":           {"AT_API_KEY": "k"},
		"AT_BASE_URL":           {"AT_BASE_URL": "ftp://x"},
		"JWT_PRIVATE_KEY":       {"APP_ENV": "production"},
		"GOOGLE_CLIENT_SECRET":  {"GOOGLE_CLIENT_ID": "id"},
		"OIDC_CLIENT_SECRET":    {"OIDC_ISSUER_URL": "https://id.example.com", "OIDC_CLIENT_ID": "x"},
		"OIDC_ISSUER_URL":       {"OIDC_ISSUER_URL": "id.example.com", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y"},
		"OIDC_PROVIDER_NAME":    {"OIDC_PROVIDER_NAME": "Bad Name"},
		"AUTH_REDIRECT_URL":     {"AUTH_REDIRECT_URL": "javascript:alert(1)"},
		"TRUSTED_PROXIES":       {"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"},
		"MPESA_PASSKEY":         {"MPESA_CONSUMER_KEY": "k"},
		"MPESA_CALLBACK_SECRET": mpesaEnv(map[string]string{"MPESA_CALLBACK_SECRET": "short"}),
		"MPESA_TIMEOUT":         mpesaEnv(map[string]string{"MPESA_TIMEOUT": "soon"}),
		"ORDER_PAYMENT_TIMEOUT": {"ORDER_PAYMENT_TIMEOUT": "0s"},
		"GUEST_CART_TTL":        {"GUEST_CART_TTL": "forever"},
		"JOBS_POLL_INTERVAL":    {"JOBS_POLL_INTERVAL": "often"},
		"NOTIFY_MAX_ATTEMPTS":   {"NOTIFY_MAX_ATTEMPTS": "0"},
		"NOTIFY_MAX_ATTEMPTS 2": {"NOTIFY_MAX_ATTEMPTS": "many"},
		"NOTIFY_RETRY_BASE":     {"NOTIFY_RETRY_BASE": "-1s"},
		"NOTIFY_RETRY_MAX":      {"NOTIFY_RETRY_BASE": "1m", "NOTIFY_RETRY_MAX": "1s"},
		"SERVER_ROLE":           {"SERVER_ROLE": "scheduler"},
		"SHUTDOWN_DRAIN_DELAY":  {"SHUTDOWN_DRAIN_DELAY": "-1s"},
		"STORE_TIMEZONE":        {"STORE_TIMEZONE": "Africa/Atlantis"},
	}
	for name, vars := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(vars))
			require.ErrorContains(t, err, strings.Fields(name)[0])
		})
	}
}

func TestLoadNotify(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	require.NoError(t, err)
	require.Empty(t, c.SMTPURL, "no SMTP: emails go to the log")
	require.Empty(t, c.SMSUsername, "no SMS provider: messages go to the log")
	require.Equal(t, "https://api.africastalking.com", c.SMSBaseURL)

	c, err = config.Load(env(map[string]string{
		"SMTP_URL":            "smtps://mailer:s3cret@mail.example.com",
		"SMTP_FROM":           "Savannah <orders@example.com>",
		"NOTIFY_ADMIN_EMAILS": "ops@example.com, Store Owner <owner@example.com>",
		"AT_USERNAME":         "sandbox",
		"AT_API_KEY":          "atsk_secret",
		"AT_SENDER_ID":        "SAVANNAH",
	}))
	require.NoError(t, err)
	require.Equal(t, []string{"<ops@example.com>", `"Store Owner" <owner@example.com>`}, c.AdminEmails)
	require.Equal(t, "https://api.sandbox.africastalking.com", c.SMSBaseURL, "the sandbox username selects the sandbox")
	require.Equal(t, "SAVANNAH", c.SMSSenderID)

	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", slog.Any("config", c))
	require.NotContains(t, buf.String(), "s3cret")
	require.NotContains(t, buf.String(), "atsk_secret")
	require.Contains(t, buf.String(), "smtps://mailer:xxxxx@mail.example.com")

	c, err = config.Load(env(map[string]string{"AT_USERNAME": "savannah", "AT_API_KEY": "k", "AT_BASE_URL": "http://127.0.0.1:9999"}))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9999", c.SMSBaseURL)
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

// mpesaEnv is a complete M-Pesa configuration with overrides.
func mpesaEnv(over map[string]string) map[string]string {
	m := map[string]string{
		"MPESA_BASE_URL":        "https://sandbox.safaricom.co.ke",
		"MPESA_CONSUMER_KEY":    "key",
		"MPESA_CONSUMER_SECRET": "secret",
		"MPESA_SHORTCODE":       "174379",
		"MPESA_PASSKEY":         "passkey",
		"MPESA_CALLBACK_URL":    "https://shop.example.com/webhooks/mpesa",
		"MPESA_CALLBACK_SECRET": "0123456789abcdefghijklmnop",
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

func TestLoadMpesa(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	require.NoError(t, err)
	require.Nil(t, c.Mpesa, "no MPESA_* variable: M-Pesa is off")
	require.Equal(t, 30*time.Minute, c.PaymentTimeout)
	require.Equal(t, 30*24*time.Hour, c.CartTTL)

	c, err = config.Load(env(mpesaEnv(map[string]string{"MPESA_TIMEOUT": "5s", "ORDER_PAYMENT_TIMEOUT": "45m"})))
	require.NoError(t, err)
	require.NotNil(t, c.Mpesa)
	require.Equal(t, "174379", c.Mpesa.ShortCode)
	require.Equal(t, 5*time.Second, c.Mpesa.Timeout)
	require.Equal(t, 45*time.Minute, c.PaymentTimeout)
	require.True(t, c.Mpesa.CallbackSecretMatches("0123456789abcdefghijklmnop"))
	require.NotContains(t, slog.AnyValue(c).Resolve().String(), "passkey", "secrets stay out of the log")
}

// TestStoreCurrency: STORE_CURRENCY is any currency internal/money
// supports, whatever its decimals; anything else names the variable.
func TestStoreCurrency(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"KES": "KES", "ugx": "UGX", "USD": "USD"} {
		c, err := config.Load(env(map[string]string{"STORE_CURRENCY": in}))
		require.NoError(t, err, in)
		require.Equal(t, want, c.Currency)
	}
	for _, in := range []string{"XYZ", "KWD", "KSH"} {
		_, err := config.Load(env(map[string]string{"STORE_CURRENCY": in}))
		require.ErrorContains(t, err, `STORE_CURRENCY: "`+in+`" is not a supported currency`)
	}
}

// TestLoadPasswordResetURL: the reset page defaults to the public URL's
// /reset-password, and a front end's own page replaces it.
func TestLoadPasswordResetURL(t *testing.T) {
	c, err := config.Load(env(map[string]string{"PUBLIC_URL": "https://shop.example/"}))
	require.NoError(t, err)
	require.Equal(t, "https://shop.example/reset-password", c.PasswordResetURL)
	c, err = config.Load(env(map[string]string{"PASSWORD_RESET_URL": "https://app.example/account/reset"}))
	require.NoError(t, err)
	require.Equal(t, "https://app.example/account/reset", c.PasswordResetURL)
	_, err = config.Load(env(map[string]string{"PASSWORD_RESET_URL": "/reset"}))
	require.ErrorContains(t, err, "PASSWORD_RESET_URL")
}

// TestLoadWebsocketLimits: the WS_* limits are read as given; unset they
// stay zero, which graph.WebsocketConfig fills with its defaults.
func TestLoadWebsocketLimits(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{
		"WS_SEND_QUEUE": "16", "WS_WRITE_TIMEOUT": "3s", "WS_MAX_SOCKETS": "50000",
		"WS_MAX_SOCKETS_PER_ADDR": "50", "WS_READY_FRACTION": "0.8",
	}))
	require.NoError(t, err)
	require.Equal(t, 16, c.WebsocketSendQueue)
	require.Equal(t, 3*time.Second, c.WebsocketWriteTimeout)
	require.Equal(t, 50000, c.WebsocketMaxSockets)
	require.Equal(t, 50, c.WebsocketMaxSocketsPerAddr)
	require.InDelta(t, 0.8, c.WebsocketReadyFraction, 1e-9)

	_, err = config.Load(env(map[string]string{"WS_MAX_SOCKETS": "100", "WS_MAX_SOCKETS_PER_ADDR": "200"}))
	require.ErrorContains(t, err, "WS_MAX_SOCKETS_PER_ADDR")
	_, err = config.Load(env(map[string]string{"WS_MAX_SOCKETS_PER_ADDR": "-1"}))
	require.ErrorContains(t, err, "WS_MAX_SOCKETS_PER_ADDR")

	d, err := config.Load(env(nil))
	require.NoError(t, err)
	require.Zero(t, d.WebsocketMaxSockets)
	require.Zero(t, d.WebsocketReadyFraction)
}
