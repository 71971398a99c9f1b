// Package config reads the server's configuration from the environment,
// once, with defaults and validation that names the offending variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
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
	// Currency is the store's ISO 4217 currency (STORE_CURRENCY).
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
	// ReadTimeout, WriteTimeout and IdleTimeout are the HTTP server's
	// timeouts (HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Protection holds the API's defences (query limits, rate limits,
	// persisted queries, CORS); see protection.go.
	Protection Protection
}

// Production reports whether the server runs in production mode.
func (c Config) Production() bool { return c.Environment == "production" }

var currencies = map[string]bool{"KES": true, "TZS": true, "USD": true, "EUR": true, "GBP": true, "ZAR": true, "NGN": true, "GHS": true}

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
		HTTPAddr:        str("HTTP_ADDR", ":8080"),
		DatabaseURL:     str("DATABASE_URL", "sqlite://savannah.db"),
		RedisURL:        str("REDIS_URL", ""),
		Currency:        strings.ToUpper(str("STORE_CURRENCY", "KES")),
		Environment:     str("APP_ENV", "development"),
		LogFormat:       str("LOG_FORMAT", "json"),
		ShutdownTimeout: duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		ReadTimeout:     duration("HTTP_READ_TIMEOUT", 15*time.Second),
		WriteTimeout:    duration("HTTP_WRITE_TIMEOUT", 30*time.Second),
		IdleTimeout:     duration("HTTP_IDLE_TIMEOUT", 120*time.Second),
	}
	if c.Environment != "development" && c.Environment != "production" {
		errs = append(errs, fmt.Errorf("APP_ENV: %q is not development or production", c.Environment))
	}
	c.AutoMigrate = boolean("AUTO_MIGRATE", true)
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
	if !currencies[c.Currency] {
		errs = append(errs, fmt.Errorf("STORE_CURRENCY: %q is not a supported currency", c.Currency))
	}
	if err := c.LogLevel.UnmarshalText([]byte(str("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", getenv("LOG_LEVEL")))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is not json or text", c.LogFormat))
	}
	var perrs []error
	c.Protection, perrs = loadProtection(getenv)
	errs = append(errs, perrs...)

	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, nil
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
