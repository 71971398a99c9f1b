// Package config reads the server's configuration from the environment,
// once, with defaults and validation that names the offending variable.
//
// Each setting's variable and default are the `env` and `envDefault` tags
// of its field, read by github.com/caarlos0/env; Load adds what the tags
// cannot say: defaults that depend on another variable, ranges, formats and
// the checks across variables.
package config

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
)

// Config is the effective configuration of the server.
type Config struct {
	// HTTPAddr is the listen address (HTTP_ADDR).
	HTTPAddr string `env:"HTTP_ADDR" envDefault:":8080"`
	// DatabaseURL is sqlite://path or postgres://… (DATABASE_URL).
	DatabaseURL string `env:"DATABASE_URL" envDefault:"sqlite://savannah.db"`
	// RedisURL enables shared sessions, cache and rate limits (REDIS_URL).
	RedisURL string `env:"REDIS_URL"`
	// AutoMigrate applies migrations on start (AUTO_MIGRATE); production
	// turns it off and runs `server migrate` before rolling out.
	AutoMigrate bool `env:"AUTO_MIGRATE" envDefault:"true"`
	// SeedDemo loads the demo catalogue into an empty database on start
	// (SEED_DEMO).
	SeedDemo bool `env:"SEED_DEMO"`
	// Currency is the store's ISO 4217 currency (STORE_CURRENCY), one of
	// money.Supported(); its decimals come from internal/money.
	Currency string `env:"STORE_CURRENCY" envDefault:"KES"`
	// Environment is "development" or "production" (APP_ENV).
	Environment string `env:"APP_ENV" envDefault:"development"`
	// Introspection enables schema introspection and the playground
	// (GRAPHQL_INTROSPECTION); on by default in development.
	Introspection bool `env:"GRAPHQL_INTROSPECTION"`
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel slog.Level `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat is json or text (LOG_FORMAT).
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`
	// ShutdownTimeout bounds graceful shutdown (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// ShutdownDrainDelay is how long a stopping server keeps serving with
	// readiness failing, before it stops accepting connections
	// (SHUTDOWN_DRAIN_DELAY, default 0): time for load balancers to notice.
	// Kubernetes gets the same from the pod's preStop sleep instead.
	ShutdownDrainDelay time.Duration `env:"SHUTDOWN_DRAIN_DELAY" envDefault:"0s"`
	// Role is what `serve` runs (SERVER_ROLE, or serve --role): "api"
	// serves HTTP and only enqueues jobs, "worker" runs the jobs and the
	// periodic tasks and serves only probes and metrics, "all" (the
	// default) does both in one process.
	Role string `env:"SERVER_ROLE" envDefault:"all"`
	// ReadTimeout, WriteTimeout and IdleTimeout are the HTTP server's
	// timeouts (HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT).
	ReadTimeout  time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"15s"`
	WriteTimeout time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s"`
	IdleTimeout  time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"120s"`
	// WebsocketInitTimeout is how long a GraphQL WebSocket may wait
	// before connection_init (WS_INIT_TIMEOUT), WebsocketPingInterval how
	// often the server pings it (WS_PING_INTERVAL; keep it below every
	// proxy's idle timeout). Zero takes graph.DefaultWebsocketConfig's
	// (3s and 15s).
	WebsocketInitTimeout  time.Duration `env:"WS_INIT_TIMEOUT"`
	WebsocketPingInterval time.Duration `env:"WS_PING_INTERVAL"`
	// WebSocket limits (README, "WebSocket limits"); unset takes
	// graph.DefaultWebsocketConfig's. WS_SEND_QUEUE: messages queued for
	// one socket before its client counts as too slow and is closed
	// (1013); WS_WRITE_TIMEOUT: how long one write may wait on it.
	// WS_MAX_SOCKETS: sockets on this process, beyond which upgrades get
	// 503; WS_MAX_SOCKETS_PER_ADDR: sockets from one client address,
	// beyond which 429; WS_READY_FRACTION: the share of WS_MAX_SOCKETS at
	// which /readyz starts failing (0 to 1).
	WebsocketSendQueue         int           `env:"WS_SEND_QUEUE"`
	WebsocketWriteTimeout      time.Duration `env:"WS_WRITE_TIMEOUT"`
	WebsocketMaxSockets        int           `env:"WS_MAX_SOCKETS"`
	WebsocketMaxSocketsPerAddr int           `env:"WS_MAX_SOCKETS_PER_ADDR"`
	WebsocketReadyFraction     float64       `env:"WS_READY_FRACTION"`

	// CDNPurgeURL is the CDN's purge-by-tag endpoint (CDN_PURGE_URL),
	// e.g. Cloudflare's …/zones/{zone}/purge_cache; empty turns purging
	// off. CDNPurgeToken is its Bearer token (CDN_PURGE_TOKEN).
	CDNPurgeURL   string `env:"CDN_PURGE_URL"`
	CDNPurgeToken string `env:"CDN_PURGE_TOKEN"`

	// SMTPURL is where notification emails go (SMTP_URL):
	// smtp://user:pass@host:port with STARTTLS (?starttls=optional for a
	// local test server) or smtps:// for implicit TLS. Empty writes each
	// email to the log instead, the development default.
	SMTPURL string `env:"SMTP_URL"`
	// SMTPFrom is the notification emails' sender (SMTP_FROM), required
	// with SMTP_URL.
	SMTPFrom string `env:"SMTP_FROM"`
	// AdminEmails receive the store's copy of new orders
	// (NOTIFY_ADMIN_EMAILS, a comma-separated address list).
	AdminEmails []string `env:"NOTIFY_ADMIN_EMAILS"`
	// SMSUsername and SMSAPIKey are the Africa's Talking application's
	// username and API key (AT_USERNAME, AT_API_KEY). Without them each
	// SMS is written to the log instead, the development default.
	SMSUsername string `env:"AT_USERNAME"`
	SMSAPIKey   string `env:"AT_API_KEY"`
	// SMSSenderID is the registered sender ID or short code
	// (AT_SENDER_ID); empty uses the provider's default.
	SMSSenderID string `env:"AT_SENDER_ID"`
	// SMSBaseURL is the Africa's Talking API (AT_BASE_URL): the sandbox
	// when the username is "sandbox", the live API otherwise.
	SMSBaseURL string `env:"AT_BASE_URL"`
	// Mpesa is the M-Pesa (Daraja) configuration, from the MPESA_*
	// variables (mpesaVars); nil when none is set, and then M-Pesa payments
	// are refused with a clear message. Set one and all required ones must be.
	Mpesa *mpesa.Config `env:"-"`
	// PaymentTimeout is how long an M-Pesa order may stay unpaid before it
	// is cancelled and its stock released (ORDER_PAYMENT_TIMEOUT).
	PaymentTimeout time.Duration `env:"ORDER_PAYMENT_TIMEOUT" envDefault:"30m"`
	// CartTTL is how long an idle guest cart lives (GUEST_CART_TTL).
	CartTTL time.Duration `env:"GUEST_CART_TTL" envDefault:"720h"`
	// ShippingDefaultWeightGrams is the shipping weight of a variant that
	// has none (SHIPPING_DEFAULT_WEIGHT_GRAMS), for weight-banded rates.
	ShippingDefaultWeightGrams int `env:"SHIPPING_DEFAULT_WEIGHT_GRAMS" envDefault:"500"`
	// StoreTimezone is the store's timezone (STORE_TIMEZONE, an IANA
	// name): delivery estimates and same-day cutoff hours are in it.
	StoreTimezone time.Location `env:"STORE_TIMEZONE" envDefault:"Africa/Nairobi"`
	// StoreName signs every notification (STORE_NAME).
	StoreName string `env:"STORE_NAME" envDefault:"Savannah"`
	// PricesIncludeTax: catalogue (and shipping) prices include tax, as
	// retail prices do in Kenya; false adds tax on top at checkout.
	PricesIncludeTax bool `env:"PRICES_INCLUDE_TAX" envDefault:"true"`
	// TaxDefaultClass is the code of the tax class of variants without
	// one, and of shipping unless TaxShippingClass names another.
	TaxDefaultClass string `env:"TAX_DEFAULT_CLASS" envDefault:"standard"`
	// TaxShippingClass is the code of shipping's tax class
	// (TAX_SHIPPING_CLASS); empty: TaxDefaultClass.
	TaxShippingClass string `env:"TAX_SHIPPING_CLASS"`
	// JobsPollInterval is how often the job runner looks for new jobs
	// (JOBS_POLL_INTERVAL); PostgreSQL over lib/pq only polls.
	JobsPollInterval time.Duration `env:"JOBS_POLL_INTERVAL" envDefault:"200ms"`
	// NotifyMaxAttempts is each notification's budget of delivery attempts
	// (NOTIFY_MAX_ATTEMPTS).
	NotifyMaxAttempts int `env:"NOTIFY_MAX_ATTEMPTS" envDefault:"12"`
	// NotifyRetryBase and NotifyRetryMax bound the exponential backoff
	// between attempts (NOTIFY_RETRY_BASE, NOTIFY_RETRY_MAX).
	NotifyRetryBase time.Duration `env:"NOTIFY_RETRY_BASE" envDefault:"1s"`
	NotifyRetryMax  time.Duration `env:"NOTIFY_RETRY_MAX" envDefault:"1h"`
	// Webhook deliveries (internal/webhook): each one's budget of
	// attempts, the backoff between them, the request timeout, and the
	// circuit: a subscription is disabled after WEBHOOK_CIRCUIT_FAILURES
	// consecutive failures spanning at least WEBHOOK_CIRCUIT_WINDOW.
	// WEBHOOK_ALLOW_LOOPBACK lets subscriptions and requests reach
	// loopback addresses (tests, development); private and link-local
	// ones are always refused.
	WebhookMaxAttempts     int           `env:"WEBHOOK_MAX_ATTEMPTS" envDefault:"15"`
	WebhookRetryBase       time.Duration `env:"WEBHOOK_RETRY_BASE" envDefault:"5s"`
	WebhookRetryMax        time.Duration `env:"WEBHOOK_RETRY_MAX" envDefault:"2h"`
	WebhookTimeout         time.Duration `env:"WEBHOOK_TIMEOUT" envDefault:"10s"`
	WebhookCircuitFailures int           `env:"WEBHOOK_CIRCUIT_FAILURES" envDefault:"10"`
	WebhookCircuitWindow   time.Duration `env:"WEBHOOK_CIRCUIT_WINDOW" envDefault:"6h"`
	WebhookAllowLoopback   bool          `env:"WEBHOOK_ALLOW_LOOPBACK"`
	// JWTPrivateKey is the Ed25519 key (PKCS#8 PEM) that signs access
	// tokens (JWT_PRIVATE_KEY); required in production. A literal "\n" in
	// the variable stands for a newline, for one-line secret stores.
	JWTPrivateKey string `env:"JWT_PRIVATE_KEY"`
	// JWTPreviousPublicKeys are the public halves (PKIX PEM blocks, one
	// after another) of signing keys rotated out (JWT_PREVIOUS_PUBLIC_KEYS):
	// tokens they signed keep verifying, and the JWKS publishes them.
	// Keep a key here for at least an access-token lifetime (15 minutes)
	// after rotating it out. A literal "\n" stands for a newline.
	JWTPreviousPublicKeys string `env:"JWT_PREVIOUS_PUBLIC_KEYS"`
	// JWTIssuer and JWTAudience are the iss and aud of access tokens
	// (JWT_ISSUER, JWT_AUDIENCE).
	JWTIssuer   string `env:"JWT_ISSUER" envDefault:"savannah"`
	JWTAudience string `env:"JWT_AUDIENCE" envDefault:"savannah"`
	// DataDir keeps files the server makes for itself in development,
	// such as the generated signing key (DATA_DIR).
	DataDir string `env:"DATA_DIR" envDefault:"./data"`
	// PublicURL is where browsers reach this server (PUBLIC_URL), for the
	// social sign-in callback URLs: <PublicURL>/auth/{provider}/callback.
	PublicURL string `env:"PUBLIC_URL" envDefault:"http://localhost:8080"`
	// OAuthTokenTTL is how long an API client's access token is valid
	// (OAUTH_TOKEN_TTL); the issuer is PublicURL.
	OAuthTokenTTL time.Duration `env:"OAUTH_TOKEN_TTL" envDefault:"1h"`
	// PasswordResetURL is the front-end page a password-reset email links
	// to, with email and token added to its query (PASSWORD_RESET_URL);
	// empty means <PublicURL>/reset-password.
	PasswordResetURL string `env:"PASSWORD_RESET_URL"`
	// GuestOrderURL is the front-end page a guest's order message links
	// to, with the order-access token added to its query
	// (GUEST_ORDER_URL); empty means <PublicURL>/order.
	GuestOrderURL string `env:"GUEST_ORDER_URL"`
	// GuestOrderTokenTTL is how long a guest's order-access token works
	// (GUEST_ORDER_TOKEN_TTL).
	GuestOrderTokenTTL time.Duration `env:"GUEST_ORDER_TOKEN_TTL" envDefault:"720h"`
	// AuthRedirectURL is the front-end page that receives the tokens of a
	// social sign-in in its URL fragment (AUTH_REDIRECT_URL); empty means
	// the callback answers JSON.
	AuthRedirectURL string `env:"AUTH_REDIRECT_URL"`
	// GoogleClientID and GoogleClientSecret enable "Sign in with Google"
	// at /auth/google (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET).
	GoogleClientID     string `env:"GOOGLE_CLIENT_ID"`
	GoogleClientSecret string `env:"GOOGLE_CLIENT_SECRET"`
	// OIDCIssuerURL, OIDCClientID and OIDCClientSecret enable any OpenID
	// Connect provider at /auth/{OIDCName} (OIDC_ISSUER_URL,
	// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME, default oidc).
	OIDCIssuerURL    string `env:"OIDC_ISSUER_URL"`
	OIDCClientID     string `env:"OIDC_CLIENT_ID"`
	OIDCClientSecret string `env:"OIDC_CLIENT_SECRET"`
	OIDCName         string `env:"OIDC_PROVIDER_NAME" envDefault:"oidc"`
	// Protection holds the API's defences (query limits, rate limits,
	// persisted queries, CORS); see protection.go.
	Protection Protection
	// Media: image storage and limits (MEDIA_*).
	Media Media
}

// mpesaVars are the MPESA_* variables, copied into an mpesa.Config when
// any is set.
type mpesaVars struct {
	BaseURL         string                `env:"MPESA_BASE_URL"`
	ConsumerKey     string                `env:"MPESA_CONSUMER_KEY"`
	ConsumerSecret  string                `env:"MPESA_CONSUMER_SECRET"`
	ShortCode       string                `env:"MPESA_SHORTCODE"`
	PassKey         string                `env:"MPESA_PASSKEY"`
	TransactionType mpesa.TransactionType `env:"MPESA_TRANSACTION_TYPE"`
	TillNumber      string                `env:"MPESA_TILL_NUMBER"`
	CallbackURL     string                `env:"MPESA_CALLBACK_URL"`
	CallbackSecret  string                `env:"MPESA_CALLBACK_SECRET"`
	Timeout         time.Duration         `env:"MPESA_TIMEOUT"`
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
	vars, err := environment(getenv)
	if err != nil {
		return Config{}, err
	}
	// Defaults that depend on another variable.
	production := vars["APP_ENV"] == "production"
	for key, def := range map[string]string{
		"SEED_DEMO":             strconv.FormatBool(!production),
		"GRAPHQL_INTROSPECTION": strconv.FormatBool(!production),
		"AT_BASE_URL":           sms.LiveBaseURL,
	} {
		if vars[key] == "" {
			vars[key] = def
		}
	}
	if vars["AT_USERNAME"] == "sandbox" && vars["AT_BASE_URL"] == sms.LiveBaseURL {
		vars["AT_BASE_URL"] = sms.SandboxBaseURL
	}

	var c Config
	errs := parse(&c, vars)
	c.Currency = strings.ToUpper(c.Currency)
	c.Role = strings.ToLower(c.Role)
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.PasswordResetURL == "" {
		c.PasswordResetURL = c.PublicURL + "/reset-password"
	}
	if c.GuestOrderURL == "" {
		c.GuestOrderURL = c.PublicURL + "/order"
	}
	if c.Media.Dir == "" {
		c.Media.Dir = filepath.Join(c.DataDir, "media")
	}
	c.JWTPrivateKey = strings.ReplaceAll(c.JWTPrivateKey, `\n`, "\n")
	c.JWTPreviousPublicKeys = strings.ReplaceAll(c.JWTPreviousPublicKeys, `\n`, "\n")

	if u, err := url.Parse(c.PasswordResetURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PASSWORD_RESET_URL: %q is not an http(s) URL", c.PasswordResetURL))
	}
	if u, err := url.Parse(c.GuestOrderURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("GUEST_ORDER_URL: %q is not an http(s) URL", c.GuestOrderURL))
	}
	if c.GuestOrderTokenTTL <= 0 && !hasParseError(errs, "GUEST_ORDER_TOKEN_TTL") {
		errs = append(errs, fmt.Errorf("GUEST_ORDER_TOKEN_TTL: %s must be positive", c.GuestOrderTokenTTL))
	}
	if !ValidRole(c.Role) {
		errs = append(errs, fmt.Errorf("SERVER_ROLE: %q is not api, worker or all", c.Role))
	}
	if (c.ShutdownDrainDelay < 0 || c.ShutdownDrainDelay > 5*time.Minute) && !hasParseError(errs, "SHUTDOWN_DRAIN_DELAY") {
		errs = append(errs, fmt.Errorf("SHUTDOWN_DRAIN_DELAY: %q is not a duration from 0s to 5m", vars["SHUTDOWN_DRAIN_DELAY"]))
	}
	if c.WebsocketReadyFraction > 1 {
		errs = append(errs, fmt.Errorf("WS_READY_FRACTION: %q is not a share from 0 to 1, such as 0.9", vars["WS_READY_FRACTION"]))
	}
	if c.WebsocketMaxSockets > 0 && c.WebsocketMaxSocketsPerAddr > c.WebsocketMaxSockets {
		errs = append(errs, errors.New("WS_MAX_SOCKETS_PER_ADDR: must not be more than WS_MAX_SOCKETS"))
	}
	if c.NotifyMaxAttempts > 100 {
		errs = append(errs, fmt.Errorf("NOTIFY_MAX_ATTEMPTS: %q is not a number from 1 to 100", vars["NOTIFY_MAX_ATTEMPTS"]))
	}
	if c.ShippingDefaultWeightGrams < 0 || c.ShippingDefaultWeightGrams > 1_000_000 {
		errs = append(errs, fmt.Errorf("SHIPPING_DEFAULT_WEIGHT_GRAMS: %q is not a number of grams from 0 to 1000000", vars["SHIPPING_DEFAULT_WEIGHT_GRAMS"]))
	}
	if c.WebhookMaxAttempts < 1 || c.WebhookMaxAttempts > 100 {
		errs = append(errs, fmt.Errorf("WEBHOOK_MAX_ATTEMPTS: %q is not a number from 1 to 100", vars["WEBHOOK_MAX_ATTEMPTS"]))
	}
	if c.WebhookRetryMax < c.WebhookRetryBase {
		errs = append(errs, errors.New("WEBHOOK_RETRY_MAX: must not be shorter than WEBHOOK_RETRY_BASE"))
	}
	if c.NotifyRetryMax < c.NotifyRetryBase {
		errs = append(errs, errors.New("NOTIFY_RETRY_MAX: must not be shorter than NOTIFY_RETRY_BASE"))
	}
	if c.Environment != "development" && c.Environment != "production" {
		errs = append(errs, fmt.Errorf("APP_ENV: %q is not development or production", c.Environment))
	}
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
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is not json or text", c.LogFormat))
	}
	errs = append(errs, c.checkNotify()...)
	errs = append(errs, c.Protection.check()...)
	errs = append(errs, c.Media.check()...)
	errs = append(errs, c.loadMpesa(vars)...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, nil
}

// environment reads every variable that Config and mpesaVars name through
// getenv, trimmed of spaces.
func environment(getenv func(string) string) (map[string]string, error) {
	vars := map[string]string{}
	for _, v := range []any{&Config{}, &mpesaVars{}} {
		params, err := env.GetFieldParams(v)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		for _, p := range params {
			if p.Key != "" {
				vars[p.Key] = strings.TrimSpace(getenv(p.Key))
			}
		}
	}
	return vars, nil
}

// parse fills dst from vars, turning each of the library's errors into one
// that names the variable and says what it wants. A number or duration that
// is set must be positive, except SHUTDOWN_DRAIN_DELAY, which may be zero
// and has a range check of its own in Load.
func parse(dst any, vars map[string]string) []error {
	keys := map[string]string{} // field name → variable
	fieldKeys(reflect.TypeOf(dst).Elem(), keys)
	var errs []error
	err := env.ParseWithOptions(dst, env.Options{Environment: vars, FuncMap: parsers()})
	var agg env.AggregateError
	if errors.As(err, &agg) {
		for _, e := range agg.Errors {
			var pe env.ParseError
			if !errors.As(e, &pe) {
				errs = append(errs, e)
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %q %s", keys[pe.Name], vars[keys[pe.Name]], wants(pe)))
		}
	} else if err != nil {
		errs = append(errs, err)
	}
	forFields(reflect.ValueOf(dst).Elem(), func(key string, f reflect.Value) {
		if vars[key] == "" || key == "SHUTDOWN_DRAIN_DELAY" {
			return
		}
		var bad bool
		switch x := f.Interface().(type) {
		case time.Duration:
			bad = x <= 0
		case int:
			bad = x <= 0
		case float64:
			bad = !(x > 0) || x > 1e12
		}
		if bad && !hasParseError(errs, key) {
			errs = append(errs, fmt.Errorf("%s: %q %s", key, vars[key], wants(env.ParseError{Type: f.Type()})))
		}
	})
	return errs
}

// parsers are the parsers of the types the library does not know, or
// reads differently: lists are comma-separated with spaces and empty items
// dropped, networks are CIDRs or single addresses.
func parsers() map[reflect.Type]env.ParserFunc {
	return map[reflect.Type]env.ParserFunc{
		reflect.TypeFor[[]string](): func(v string) (any, error) { return list(v), nil },
		reflect.TypeFor[[]netip.Prefix](): func(v string) (any, error) {
			var out []netip.Prefix
			for _, s := range list(v) {
				p, err := netip.ParsePrefix(s)
				if err != nil {
					a, aerr := netip.ParseAddr(s)
					if aerr != nil {
						return nil, fmt.Errorf("has %q, which is not a CIDR such as 10.0.0.0/8 or an address", s)
					}
					p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
				}
				out = append(out, p.Masked())
			}
			return out, nil
		},
	}
}

// wants says what a variable of the parse error's type must be.
func wants(pe env.ParseError) string {
	switch pe.Type {
	case reflect.TypeFor[time.Duration]():
		return "is not a positive duration such as 30s"
	case reflect.TypeFor[bool]():
		return "is not true or false"
	case reflect.TypeFor[int]():
		return "is not a positive whole number"
	case reflect.TypeFor[float64]():
		return "is not a positive number"
	case reflect.TypeFor[slog.Level]():
		return "is not debug, info, warn or error"
	}
	return pe.Err.Error()
}

func hasParseError(errs []error, key string) bool {
	for _, e := range errs {
		if strings.HasPrefix(e.Error(), key+":") {
			return true
		}
	}
	return false
}

// fieldKeys maps the names of t's tagged fields, and of its nested
// structs' fields, to their variables. Field names are unique across
// Config and Protection.
func fieldKeys(t reflect.Type, keys map[string]string) {
	for _, f := range reflect.VisibleFields(t) {
		key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		switch {
		case key != "" && key != "-":
			keys[f.Name] = key
		case f.Type.Kind() == reflect.Struct:
			fieldKeys(f.Type, keys)
		}
	}
}

// forFields calls fn with each tagged field of v, nested structs included.
func forFields(v reflect.Value, fn func(key string, f reflect.Value)) {
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("env"), ",")
		switch {
		case key != "" && key != "-":
			fn(key, f)
		case sf.Type.Kind() == reflect.Struct && key == "":
			forFields(f, fn)
		}
	}
}

// checkNotify checks the notification channels' settings. Each channel is
// all or nothing: half a configuration is an error rather than a silent
// fallback to the log.
func (c *Config) checkNotify() []error {
	var errs []error
	if c.CDNPurgeURL != "" {
		if u, err := url.Parse(c.CDNPurgeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("CDN_PURGE_URL: want http://… or https://…"))
		}
	}
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
	for i, s := range c.AdminEmails {
		a, err := mail.ParseAddress(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("NOTIFY_ADMIN_EMAILS: %q is not an email address (want a comma-separated list)", s))
			continue
		}
		c.AdminEmails[i] = a.String()
	}
	if (c.SMSUsername == "") != (c.SMSAPIKey == "") {
		errs = append(errs, errors.New("AT_USERNAME, AT_API_KEY: set both or neither"))
	}
	if u, err := url.Parse(c.SMSBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("AT_BASE_URL: %q is not an http(s) URL", c.SMSBaseURL))
	}
	return errs
}

// loadMpesa reads the MPESA_* variables: all unset is "M-Pesa off"; any
// set asks for a complete, valid configuration.
func (c *Config) loadMpesa(vars map[string]string) []error {
	var v mpesaVars
	if errs := parse(&v, vars); len(errs) > 0 {
		return errs
	}
	if v == (mpesaVars{}) {
		return nil
	}
	if v.Timeout == 0 {
		v.Timeout = mpesa.DefaultTimeout
	}
	m := mpesa.Config{
		BaseURL: v.BaseURL, ConsumerKey: v.ConsumerKey, ConsumerSecret: v.ConsumerSecret,
		ShortCode: v.ShortCode, PassKey: v.PassKey, TransactionType: v.TransactionType,
		TillNumber: v.TillNumber, CallbackURL: v.CallbackURL, CallbackSecret: v.CallbackSecret,
		Timeout: v.Timeout,
	}
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
		slog.String("guest_order_url", c.GuestOrderURL),
		slog.Duration("guest_order_token_ttl", c.GuestOrderTokenTTL),
		slog.Int("shipping_default_weight_grams", c.ShippingDefaultWeightGrams),
		slog.String("store_timezone", c.StoreTimezone.String()),
		slog.Duration("notify_retry_base", c.NotifyRetryBase),
		slog.Duration("notify_retry_max", c.NotifyRetryMax),
		slog.Int("webhook_max_attempts", c.WebhookMaxAttempts),
		slog.Duration("webhook_circuit_window", c.WebhookCircuitWindow),
		slog.Int("webhook_circuit_failures", c.WebhookCircuitFailures),
		slog.Bool("webhook_allow_loopback", c.WebhookAllowLoopback),
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
		slog.Any("media", c.Media),
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
