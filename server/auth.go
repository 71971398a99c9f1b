package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/config"
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

// newTokens is the access-token issuer: the signing key from
// JWT_PRIVATE_KEY (or, in development, one kept in DATA_DIR) and the
// previous public keys, still accepted while their tokens live.
func newTokens(cfg config.Config, log *slog.Logger) (auth.SigningKey, *auth.Tokens, error) {
	var key auth.SigningKey
	var err error
	if cfg.JWTPrivateKey != "" {
		key, err = auth.ParseSigningKey([]byte(cfg.JWTPrivateKey))
	} else {
		key, err = auth.DevSigningKey(cfg.DataDir, log)
	}
	if err != nil {
		return auth.SigningKey{}, nil, fmt.Errorf("JWT signing key: %w", err)
	}
	previous, err := auth.ParsePublicKeys([]byte(cfg.JWTPreviousPublicKeys))
	if err != nil {
		return auth.SigningKey{}, nil, fmt.Errorf("JWT_PREVIOUS_PUBLIC_KEYS: %w", err)
	}
	return key, auth.NewTokens(cfg.JWTIssuer, cfg.JWTAudience, key, previous...), nil
}
