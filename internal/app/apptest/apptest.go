// Package apptest builds the store for tests the way production does,
// through the composition root (internal/app): the same client hooks
// and services, over a test database.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/oauth"
)

// Config is the configuration tests build the store from: every
// production hook over db (River's tables are migrated, since the outbox
// enqueues in them), an in-process event bus, a fresh signing key, the
// store's currency KES, and a quiet logger. Tests change what they need
// (a counting Driver, a Tracer, checkout's clock) before building.
func Config(t testing.TB, db *database.DB) app.Config {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, jobs.Migrate(context.Background(), db))
	enqueue, err := jobs.New(db, jobs.Config{Logger: log})
	require.NoError(t, err)
	key, err := auth.GenerateSigningKey()
	require.NoError(t, err)
	return app.Config{
		DB:       db,
		Log:      log,
		Currency: "KES",
		Jobs:     enqueue,
		Events:   events.NewLocal(),
		OAuth:    oauth.Config{Issuer: "https://savannah.test"},
		Auth: auth.ServiceConfig{
			Tokens: auth.NewTokens("savannah-test", "savannah-test", key),
			// The auth service updates the cache itself on every change it
			// makes, so a long TTL changes no answer; it keeps statement
			// counts at their steady state (no version read per request).
			Versions: auth.NewMemoryVersionCache(time.Hour),
		},
	}
}

// New builds the client and every service from cfg.
func New(t testing.TB, cfg app.Config) *app.Services {
	t.Helper()
	client, err := app.NewClient(cfg)
	require.NoError(t, err)
	svc, err := app.NewServices(client, cfg)
	require.NoError(t, err)
	return svc
}
