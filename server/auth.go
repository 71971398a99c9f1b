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
	"github.com/savannah-commerce/savannah/internal/ratelimit"
)

// googleIssuer is Google's OpenID Connect issuer: "Sign in with Google"
// is plain OpenID Connect, so it runs through the same provider code.
const googleIssuer = "https://accounts.google.com"

// newSocial configures the social sign-in providers; nil when none is.
// Discovery runs now, so a misconfigured provider stops the start.
func newSocial(ctx context.Context, cfg config.Config, svc *auth.Service, key auth.SigningKey) (*auth.Social, error) {
	var providers []*auth.SocialProvider
	add := func(name, issuer, id, secret string) error {
		p, err := auth.NewSocialProvider(ctx, auth.SocialConfig{
			Name: name, IssuerURL: issuer, ClientID: id, ClientSecret: secret,
			CallbackURL: cfg.PublicURL + "/auth/" + name + "/callback",
		})
		if err != nil {
			return fmt.Errorf("social sign-in: %w", err)
		}
		providers = append(providers, p)
		return nil
	}
	if cfg.GoogleClientID != "" {
		if err := add("google", googleIssuer, cfg.GoogleClientID, cfg.GoogleClientSecret); err != nil {
			return nil, err
		}
	}
	if cfg.OIDCIssuerURL != "" {
		if err := add(cfg.OIDCName, cfg.OIDCIssuerURL, cfg.OIDCClientID, cfg.OIDCClientSecret); err != nil {
			return nil, err
		}
	}
	if len(providers) == 0 {
		return nil, nil
	}
	return auth.NewSocial(svc, auth.StateKeyFrom(key), providers...), nil
}

// newAuth builds the account service: the signing key from
// JWT_PRIVATE_KEY (or, in development, one kept in DATA_DIR), and refresh
// tokens and sign-in failure counts in Redis when REDIS_URL is set,
// otherwise in the database and in process. rdb is the server's Redis
// client, nil when REDIS_URL is unset.
func newAuth(ctx context.Context, cfg config.Config, db *database.DB, client *ent.Client, rdb *redis.Client, log *slog.Logger) (*auth.Service, *auth.Social, error) {
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
	previous, err := auth.ParsePublicKeys([]byte(cfg.JWTPreviousPublicKeys))
	if err != nil {
		return nil, nil, fmt.Errorf("JWT_PREVIOUS_PUBLIC_KEYS: %w", err)
	}
	sc := auth.ServiceConfig{
		Client:  client,
		Dialect: db.Dialect,
		Tokens:  auth.NewTokens(cfg.JWTIssuer, cfg.JWTAudience, key, previous...),
		Log:     log,
	}
	if rdb != nil {
		// Redis is shared by every replica; while it is down, new sign-ins
		// are kept in the database and failures counted in process, so
		// signing in keeps working (see README, "When Redis is down").
		sc.Refresh = auth.FallbackRefreshStore{Primary: auth.NewRedisRefreshStore(rdb, "savannah:refresh:"), Fallback: auth.NewDBRefreshStore(client), Log: log}
		sc.Failures = ratelimit.Fallback{Primary: ratelimit.NewRedis(rdb, "savannah:signin-failures:"), Secondary: ratelimit.NewMemory(time.Now), Log: log}
		sc.Versions = auth.NewRedisVersionCache(rdb, "savannah:token-version:")
	} else {
		sc.Refresh = auth.NewDBRefreshStore(client)
		sc.Failures = ratelimit.NewMemory(time.Now)
	}
	svc, err := auth.NewService(sc)
	if err != nil {
		return nil, nil, err
	}
	social, err := newSocial(ctx, cfg, svc, key)
	if err != nil {
		return nil, nil, err
	}
	return svc, social, nil
}
