// Package config reads the server's configuration from the environment,
// once, with defaults and validation that names the offending variable.
package config

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
)

// Config is the effective configuration of the server.
type Config struct {
	// HTTPAddr is the listen address (HTTP_ADDR).
	HTTPAddr string
	// DatabaseURL is sqlite://path or postgres://… (DATABASE_URL).
	DatabaseURL string
	// RedisURL enables shared sessions, cache and rate limits (REDIS_URL).
	RedisURL string
	// AutoMigrate applies migrations on start (AUTO_MIGRATE); production
	// turns it off and runs `server migrate` before rolling out.
	AutoMigrate bool
	// SeedDemo loads the demo catalogue into an empty database on start
	// (SEED_DEMO).
	SeedDemo bool
	// Currency is the store's ISO 4217 currency (STORE_CURRENCY), one of
	// money.Supported(); its decimals come from internal/money.
	Currency string
	// Environment is "development" or "production" (APP_ENV).
	Environment string
	// Introspection enables schema introspection and the playground
	// (GRAPHQL_INTROSPECTION); on by default in development.
	Introspection bool
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel slog.Level
	// LogFormat is json or text (LOG_FORMAT).
	LogFormat string
	// ShutdownTimeout bounds graceful shutdown (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// ShutdownDrainDelay is how long a stopping server keeps serving with
	// readiness failing, before it stops accepting connections
	// (SHUTDOWN_DRAIN_DELAY, default 0): time for load balancers to notice.
	// Kubernetes gets the same from the pod's preStop sleep instead.
	ShutdownDrainDelay time.Duration
	// Role is what `serve` runs (SERVER_ROLE, or serve --role): "api"
	// serves HTTP and only enqueues jobs, "worker" runs the jobs and the
	// periodic tasks and serves only probes and metrics, "all" (the
	// default) does both in one process.
	Role string
	// ReadTimeout, WriteTimeout and IdleTimeout are the HTTP server's
	// timeouts (HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// WebsocketInitTimeout is how long a GraphQL WebSocket may wait
	// before connection_init (WS_INIT_TIMEOUT), WebsocketPingInterval how
	// often the server pings it (WS_PING_INTERVAL; keep it below every
	// proxy's idle timeout). Zero takes graph.DefaultWebsocketConfig's
	// (3s and 15s).
	WebsocketInitTimeout, WebsocketPingInterval time.Duration

	// CDNPurgeURL is the CDN's purge-by-tag endpoint (CDN_PURGE_URL),
	// e.g. Cloudflare's …/zones/{zone}/purge_cache; empty turns purging
	// off. CDNPurgeToken is its Bearer token (CDN_PURGE_TOKEN).
	CDNPurgeURL, CDNPurgeToken string

	// SMTPURL is where notification emails go (SMTP_URL):
	// smtp://user:pass@host:port with STARTTLS (?starttls=optional for a
	// local test server) or smtps:// for implicit TLS. Empty writes each
	// email to the log instead, the development default.
	SMTPURL string
	// SMTPFrom is the notification emails' sender (SMTP_FROM), required
	// with SMTP_URL.
	SMTPFrom string
	// AdminEmails receive the store's copy of new orders
	// (NOTIFY_ADMIN_EMAILS, a comma-separated address list).
	AdminEmails []string
	// SMSUsername and SMSAPIKey are the Africa's Talking application's
	// username and API key (AT_USERNAME, AT_API_KEY). Without them each
	// SMS is written to the log instead, the development default.
	SMSUsername, SMSAPIKey string
	// SMSSenderID is the registered sender ID or short code
	// (AT_SENDER_ID); empty uses the provider's default.
	SMSSenderID string
	// SMSBaseURL is the Africa's Talking API (AT_BASE_URL): the sandbox
	// when the username is "sandbox", the live API otherwise.
	SMSBaseURL string
	// Mpesa is the M-Pesa (Daraja) configuration, from the MPESA_*
	// variables; nil when none is set, and then M-Pesa payments are
	// refused with a clear message. Set one and all required ones must be.
	Mpesa *mpesa.Config
	// PaymentTimeout is how long an M-Pesa order may stay unpaid before it
	// is cancelled and its stock released (ORDER_PAYMENT_TIMEOUT).
	PaymentTimeout time.Duration
	// CartTTL is how long an idle guest cart lives (GUEST_CART_TTL).
	CartTTL time.Duration
	// StoreName signs every notification (STORE_NAME).
	StoreName string
	// JobsPollInterval is how often the job runner looks for new jobs
	// (JOBS_POLL_INTERVAL); PostgreSQL over lib/pq only polls.
	JobsPollInterval time.Duration
	// NotifyMaxAttempts is each notification's budget of delivery attempts
	// (NOTIFY_MAX_ATTEMPTS).
	NotifyMaxAttempts int
	// NotifyRetryBase and NotifyRetryMax bound the exponential backoff
	// between attempts (NOTIFY_RETRY_BASE, NOTIFY_RETRY_MAX).
	NotifyRetryBase, NotifyRetryMax time.Duration
	// JWTPrivateKey is the Ed25519 key (PKCS#8 PEM) that signs access
	// tokens (JWT_PRIVATE_KEY); required in production. A literal "\n" in
	// the variable stands for a newline, for one-line secret stores.
	JWTPrivateKey string
	// JWTPreviousPublicKeys are the public halves (PKIX PEM blocks, one
	// after another) of signing keys rotated out (JWT_PREVIOUS_PUBLIC_KEYS):
	// tokens they signed keep verifying, and the JWKS publishes them.
	// Keep a key here for at least an access-token lifetime (15 minutes)
	// after rotating it out. A literal "\n" stands for a newline.
	JWTPreviousPublicKeys string
	// JWTIssuer and JWTAudience are the iss and aud of access tokens
	// (JWT_ISSUER, JWT_AUDIENCE).
	JWTIssuer, JWTAudience string
	// DataDir keeps files the server makes for itself in development,
	// such as the generated signing key (DATA_DIR).
	DataDir string
	// PublicURL is where browsers reach this server (PUBLIC_URL), for the
	// social sign-in callback URLs: <PublicURL>/auth/{provider}/callback.
	PublicURL string
	// AuthRedirectURL is the front-end page that receives the tokens of a
	// social sign-in in its URL fragment (AUTH_REDIRECT_URL); empty means
	// the callback answers JSON.
	AuthRedirectURL string
	// GoogleClientID and GoogleClientSecret enable "Sign in with Google"
	// at /auth/google (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET).
	GoogleClientID, GoogleClientSecret string
	// OIDCIssuerURL, OIDCClientID and OIDCClientSecret enable any OpenID
	// Connect provider at /auth/{OIDCName} (OIDC_ISSUER_URL,
	// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME, default oidc).
	OIDCIssuerURL, OIDCClientID, OIDCClientSecret, OIDCName string
	// Protection holds the API's defences (query limits, rate limits,
	// persisted queries, CORS); see protection.go.
	Protection Protection
}

// The roles of `serve`.
const (
	RoleAPI    = "api"
	RoleWorker = "worker"
	RoleAll    = "all"
)

// ValidRole reports whether role is one of RoleAPI, RoleWorker, RoleAll.
func ValidRole(role string) bool { return role == RoleAPI || role == RoleWorker || role == RoleAll }

// Production reports whether the server runs in production mode.
func (c Config) Production() bool { return c.Environment == "production" }

// Load reads the configuration through getenv. Every problem is reported,
// each naming its variable.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	str := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	boolean := func(key string, def bool) bool {
		v := str(key, "")
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", key, v))
		}
		return b
	}
	duration := func(key string, def time.Duration) time.Duration {
		v := str(key, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30s", key, v))
		}
		return d
	}

	c := Config{
		HTTPAddr:           str("HTTP_ADDR", ":8080"),
		DatabaseURL:        str("DATABASE_URL", "sqlite://savannah.db"),
		RedisURL:           str("REDIS_URL", ""),
		Currency:           strings.ToUpper(str("STORE_CURRENCY", "KES")),
		Environment:        str("APP_ENV", "development"),
		LogFormat:          str("LOG_FORMAT", "json"),
		ShutdownTimeout:    duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		ReadTimeout:        duration("HTTP_READ_TIMEOUT", 15*time.Second),
		WriteTimeout:       duration("HTTP_WRITE_TIMEOUT", 30*time.Second),
		IdleTimeout:        duration("HTTP_IDLE_TIMEOUT", 120*time.Second),
		JWTPrivateKey:      strings.ReplaceAll(str("JWT_PRIVATE_KEY", ""), `\n`, "\n"),
		JWTIssuer:          str("JWT_ISSUER", "savannah"),
		JWTAudience:        str("JWT_AUDIENCE", "savannah"),
		DataDir:            str("DATA_DIR", "./data"),
		PublicURL:          strings.TrimSuffix(str("PUBLIC_URL", "http://localhost:8080"), "/"),
		AuthRedirectURL:    str("AUTH_REDIRECT_URL", ""),
		GoogleClientID:     str("GOOGLE_CLIENT_ID", ""),
		GoogleClientSecret: str("GOOGLE_CLIENT_SECRET", ""),
		OIDCIssuerURL:      str("OIDC_ISSUER_URL", ""),
		OIDCClientID:       str("OIDC_CLIENT_ID", ""),
		OIDCClientSecret:   str("OIDC_CLIENT_SECRET", ""),
		OIDCName:           str("OIDC_PROVIDER_NAME", "oidc"),
		StoreName:          str("STORE_NAME", "Savannah"),
		JobsPollInterval:   duration("JOBS_POLL_INTERVAL", 200*time.Millisecond),
		NotifyRetryBase:    duration("NOTIFY_RETRY_BASE", time.Second),
		NotifyRetryMax:     duration("NOTIFY_RETRY_MAX", time.Hour),
	}
	c.Role = strings.ToLower(str("SERVER_ROLE", RoleAll))
	if !ValidRole(c.Role) {
		errs = append(errs, fmt.Errorf("SERVER_ROLE: %q is not api, worker or all", c.Role))
	}
	if v := str("SHUTDOWN_DRAIN_DELAY", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 5*time.Minute {
			errs = append(errs, fmt.Errorf("SHUTDOWN_DRAIN_DELAY: %q is not a duration from 0s to 5m", v))
		}
		c.ShutdownDrainDelay = d
	}
	c.NotifyMaxAttempts = 12
	if v := str("NOTIFY_MAX_ATTEMPTS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, fmt.Errorf("NOTIFY_MAX_ATTEMPTS: %q is not a number from 1 to 100", v))
		}
		c.NotifyMaxAttempts = n
	}
	if c.NotifyRetryMax < c.NotifyRetryBase {
		errs = append(errs, errors.New("NOTIFY_RETRY_MAX: must not be shorter than NOTIFY_RETRY_BASE"))
	}
	if c.Environment != "development" && c.Environment != "production" {
		errs = append(errs, fmt.Errorf("APP_ENV: %q is not development or production", c.Environment))
	}
	c.AutoMigrate = boolean("AUTO_MIGRATE", true)
	c.JWTPreviousPublicKeys = strings.ReplaceAll(str("JWT_PREVIOUS_PUBLIC_KEYS", ""), `\n`, "\n")
	c.SeedDemo = boolean("SEED_DEMO", !c.Production())
	c.Introspection = boolean("GRAPHQL_INTROSPECTION", !c.Production())

	if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("DATABASE_URL: want sqlite://path or postgres://…"))
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, errors.New("REDIS_URL: want redis://… or rediss://…"))
		}
	}
	switch {
	case c.JWTPrivateKey != "":
		if err := checkEd25519PEM(c.JWTPrivateKey); err != nil {
			errs = append(errs, fmt.Errorf("JWT_PRIVATE_KEY: %w", err))
		}
	case c.Production():
		errs = append(errs, errors.New("JWT_PRIVATE_KEY: required in production (an Ed25519 private key, PKCS#8 PEM)"))
	}
	for key, v := range map[string]string{"PUBLIC_URL": c.PublicURL, "AUTH_REDIRECT_URL": c.AuthRedirectURL, "OIDC_ISSUER_URL": c.OIDCIssuerURL} {
		if v == "" && key != "PUBLIC_URL" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", key, v))
		}
	}
	if (c.GoogleClientID == "") != (c.GoogleClientSecret == "") {
		errs = append(errs, errors.New("GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET: set both or neither"))
	}
	if n := countSet(c.OIDCIssuerURL, c.OIDCClientID, c.OIDCClientSecret); n != 0 && n != 3 {
		errs = append(errs, errors.New("OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three or none"))
	}
	if !slugLike(c.OIDCName) || c.OIDCName == "google" {
		errs = append(errs, fmt.Errorf("OIDC_PROVIDER_NAME: %q must be lower-case letters, digits and dashes, and not google", c.OIDCName))
	}
	if _, err := money.StoreCurrency(c.Currency); err != nil {
		errs = append(errs, fmt.Errorf("STORE_CURRENCY: %q is not a supported currency", c.Currency))
	}
	if err := c.LogLevel.UnmarshalText([]byte(str("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", getenv("LOG_LEVEL")))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is not json or text", c.LogFormat))
	}
	errs = append(errs, c.loadNotify(str)...)
	var perrs []error
	c.Protection, perrs = loadProtection(getenv)
	errs = append(errs, perrs...)

	c.WebsocketInitTimeout = duration("WS_INIT_TIMEOUT", 0)
	c.WebsocketPingInterval = duration("WS_PING_INTERVAL", 0)
	c.PaymentTimeout = duration("ORDER_PAYMENT_TIMEOUT", 30*time.Minute)
	c.CartTTL = duration("GUEST_CART_TTL", 30*24*time.Hour)
	mpesaErrs := c.loadMpesa(str, duration) // duration appends to errs itself
	errs = append(errs, mpesaErrs...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, nil
}

// loadNotify reads the notification channels' settings. Each channel is
// all or nothing: half a configuration is an error rather than a silent
// fallback to the log.
func (c *Config) loadNotify(str func(key, def string) string) []error {
	var errs []error
	c.CDNPurgeURL, c.CDNPurgeToken = str("CDN_PURGE_URL", ""), str("CDN_PURGE_TOKEN", "")
	if c.CDNPurgeURL != "" {
		if u, err := url.Parse(c.CDNPurgeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("CDN_PURGE_URL: want http://… or https://…"))
		}
	}
	c.SMTPURL, c.SMTPFrom = str("SMTP_URL", ""), str("SMTP_FROM", "")
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			errs = append(errs, errors.New("SMTP_URL: want smtp://[user:pass@]host[:port] or smtps://…"))
		}
		if c.SMTPFrom == "" {
			errs = append(errs, errors.New("SMTP_FROM: required with SMTP_URL"))
		}
	}
	if c.SMTPFrom != "" {
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			errs = append(errs, fmt.Errorf("SMTP_FROM: %q is not an email address", c.SMTPFrom))
		}
	}
	if v := str("NOTIFY_ADMIN_EMAILS", ""); v != "" {
		list, err := mail.ParseAddressList(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("NOTIFY_ADMIN_EMAILS: %q is not a comma-separated list of email addresses", v))
		}
		for _, a := range list {
			c.AdminEmails = append(c.AdminEmails, a.String())
		}
	}

	c.SMSUsername, c.SMSAPIKey, c.SMSSenderID = str("AT_USERNAME", ""), str("AT_API_KEY", ""), str("AT_SENDER_ID", "")
	if (c.SMSUsername == "") != (c.SMSAPIKey == "") {
		errs = append(errs, errors.New("AT_USERNAME, AT_API_KEY: set both or neither"))
	}
	def := sms.LiveBaseURL
	if c.SMSUsername == "sandbox" {
		def = sms.SandboxBaseURL
	}
	c.SMSBaseURL = str("AT_BASE_URL", def)
	if u, err := url.Parse(c.SMSBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("AT_BASE_URL: %q is not an http(s) URL", c.SMSBaseURL))
	}
	return errs
}

// loadMpesa reads the MPESA_* variables: all unset is "M-Pesa off"; any
// set asks for a complete, valid configuration.
func (c *Config) loadMpesa(str func(key, def string) string, duration func(string, time.Duration) time.Duration) []error {
	m := mpesa.Config{
		BaseURL:         str("MPESA_BASE_URL", ""),
		ConsumerKey:     str("MPESA_CONSUMER_KEY", ""),
		ConsumerSecret:  str("MPESA_CONSUMER_SECRET", ""),
		ShortCode:       str("MPESA_SHORTCODE", ""),
		PassKey:         str("MPESA_PASSKEY", ""),
		TransactionType: mpesa.TransactionType(str("MPESA_TRANSACTION_TYPE", "")),
		TillNumber:      str("MPESA_TILL_NUMBER", ""),
		CallbackURL:     str("MPESA_CALLBACK_URL", ""),
		CallbackSecret:  str("MPESA_CALLBACK_SECRET", ""),
	}
	if countSet(m.BaseURL, m.ConsumerKey, m.ConsumerSecret, m.ShortCode, m.PassKey, string(m.TransactionType), m.TillNumber, m.CallbackURL, m.CallbackSecret, str("MPESA_TIMEOUT", "")) == 0 {
		return nil
	}
	m.Timeout = duration("MPESA_TIMEOUT", mpesa.DefaultTimeout)
	if err := m.Validate(); err != nil {
		return []error{err}
	}
	c.Mpesa = &m
	return nil
}

// LogValue shows the configuration with secrets masked, so the effective
// configuration can be logged at start.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("database_url", MaskURL(c.DatabaseURL)),
		slog.String("redis_url", MaskURL(c.RedisURL)),
		slog.Bool("auto_migrate", c.AutoMigrate),
		slog.Bool("seed_demo", c.SeedDemo),
		slog.String("currency", c.Currency),
		slog.String("environment", c.Environment),
		slog.Bool("introspection", c.Introspection),
		slog.String("log_level", c.LogLevel.String()),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Duration("shutdown_drain_delay", c.ShutdownDrainDelay),
		slog.String("role", c.Role),
		slog.String("store_name", c.StoreName),
		slog.Duration("jobs_poll_interval", c.JobsPollInterval),
		slog.Int("notify_max_attempts", c.NotifyMaxAttempts),
		slog.Duration("notify_retry_base", c.NotifyRetryBase),
		slog.Duration("notify_retry_max", c.NotifyRetryMax),
		slog.String("cdn_purge_url", MaskURL(c.CDNPurgeURL)),
		slog.String("smtp_url", MaskURL(c.SMTPURL)),
		slog.String("smtp_from", c.SMTPFrom),
		slog.Int("notify_admin_emails", len(c.AdminEmails)),
		slog.String("sms_username", c.SMSUsername),
		slog.Bool("sms_api_key_set", c.SMSAPIKey != ""),
		slog.String("sms_base_url", c.SMSBaseURL),
		slog.Bool("mpesa", c.Mpesa != nil),
		slog.Duration("order_payment_timeout", c.PaymentTimeout),
		slog.Duration("guest_cart_ttl", c.CartTTL),
		slog.Bool("jwt_private_key_set", c.JWTPrivateKey != ""),
		slog.String("jwt_issuer", c.JWTIssuer),
		slog.String("jwt_audience", c.JWTAudience),
		slog.String("data_dir", c.DataDir),
		slog.String("public_url", c.PublicURL),
		slog.String("auth_redirect_url", c.AuthRedirectURL),
		slog.Bool("google_sign_in", c.GoogleClientID != ""),
		slog.String("oidc_issuer_url", c.OIDCIssuerURL),
		slog.String("oidc_provider_name", c.OIDCName),
		slog.Any("protection", c.Protection),
	)
}

// MaskURL hides the password in a URL.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// checkEd25519PEM checks the key's form without keeping it: the auth
// package parses it for use.
func checkEd25519PEM(s string) error {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PRIVATE KEY" {
		return errors.New("want a PEM block of type PRIVATE KEY (PKCS#8)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return errors.New("not a valid PKCS#8 private key")
	}
	if _, ok := k.(ed25519.PrivateKey); !ok {
		return errors.New("want an Ed25519 key")
	}
	return nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

func slugLike(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
