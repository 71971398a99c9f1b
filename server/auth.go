package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
)

// newAuth builds the account service: the signing key from
// JWT_PRIVATE_KEY (or, in development, one kept in DATA_DIR), and refresh
// tokens and sign-in failure counts in Redis when REDIS_URL is set,
// otherwise in the database and in process. The returned close releases
// the Redis connection.
func newAuth(ctx context.Context, cfg config.Config, db *database.DB, client *ent.Client, log *slog.Logger) (*auth.Service, func(), error) {
	var key auth.SigningKey
	var err error
	if cfg.JWTPrivateKey != "" {
		key, err = auth.ParseSigningKey([]byte(cfg.JWTPrivateKey))
	} else {
		key, err = auth.DevSigningKey(cfg.DataDir, log)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("JWT signing key: %w", err)
	}
	sc := auth.ServiceConfig{
		Client:  client,
		Dialect: db.Dialect,
		Tokens:  auth.NewTokens(cfg.JWTIssuer, cfg.JWTAudience, key),
		Log:     log,
	}
	closeFn := func() {}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		rdb := redis.NewClient(opts)
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := rdb.Ping(pingCtx).Err(); err != nil {
			_ = rdb.Close()
			return nil, nil, fmt.Errorf("connect to redis: %w", err)
		}
		sc.Refresh = auth.NewRedisRefreshStore(rdb, "savannah:refresh:")
		sc.Failures = auth.NewRedisCounter(rdb, "savannah:signin-failures:")
		closeFn = func() { _ = rdb.Close() }
	} else {
		sc.Refresh = auth.NewDBRefreshStore(client)
		sc.Failures = auth.NewMemoryCounter()
	}
	svc, err := auth.NewService(sc)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return svc, closeFn, nil
}
