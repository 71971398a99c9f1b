// Package oauth is the OAuth2 authorization server for API clients: the
// client-credentials grant (RFC 6749 §4.4) with access tokens in the JWT
// profile of RFC 9068, revocation (RFC 7009), introspection (RFC 7662)
// and metadata (RFC 8414). zitadel/oidc's op package parses the
// requests, authenticates clients by client_secret_basic or
// client_secret_post and writes the answers and errors; this package
// holds the clients (ent APIClient), issues and checks tokens, and keeps
// revocations (ent RevokedToken) where every replica sees them.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/apiclient"
	"github.com/savannah-commerce/savannah/ent/revokedtoken"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Paths of the endpoints.
const (
	TokenPath      = "/oauth/token"
	RevokePath     = "/oauth/revoke"
	IntrospectPath = "/oauth/introspect"
	MetadataPath   = "/.well-known/oauth-authorization-server"
	JWKSPath       = "/.well-known/jwks.json"
)

// DefaultTokenTTL is how long a client's access token is valid unless
// Config.TokenTTL says otherwise.
const DefaultTokenTTL = time.Hour

// LastUsedEvery is how stale last_used_at may get: a client's requests
// write it at most once per this interval.
const LastUsedEvery = time.Minute

// MaxOverlap bounds a rotation's overlap window.
const MaxOverlap = 30 * 24 * time.Hour

// ErrInvalidClient is a client that does not authenticate: unknown,
// disabled, or a wrong secret.
var ErrInvalidClient = errors.New("oauth: invalid client")

// Config is what the Service needs.
type Config struct {
	Client *ent.Client
	// Tokens signs and checks tokens with the customers' keys.
	Tokens *auth.Tokens
	// Issuer is the authorization server's issuer URL (PUBLIC_URL): the
	// iss of client tokens and the base of the metadata's endpoints.
	Issuer string
	// TokenTTL is an access token's lifetime; zero means DefaultTokenTTL.
	TokenTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Service is the authorization server and the store of API clients.
type Service struct {
	cfg Config
}

// NewService returns the authorization server.
func NewService(cfg Config) (*Service, error) {
	if cfg.Client == nil || cfg.Tokens == nil || cfg.Log == nil || cfg.Issuer == "" {
		return nil, errors.New("oauth: client, tokens, issuer and logger are required")
	}
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}, nil
}

// hashSecret is how a client secret is kept: SHA-256, enough for 256
// random bits (a password hash buys nothing against a secret no one can
// guess, and would cost every token request).
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("oauth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// authenticate finds the client and checks its secret: the current one,
// or the previous one until its overlap ends. A disabled client does not
// authenticate.
func (s *Service) authenticate(ctx context.Context, clientID, secret string) (*ent.APIClient, error) {
	if clientID == "" || secret == "" {
		return nil, ErrInvalidClient
	}
	c, err := s.db(ctx).APIClient.Query().
		Where(apiclient.ClientID(clientID)).
		Only(viewer.System(ctx, "oauth: authenticate an API client"))
	if ent.IsNotFound(err) {
		return nil, ErrInvalidClient
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: find client: %w", err)
	}
	if c.Disabled || !s.secretMatches(c, secret) {
		return nil, ErrInvalidClient
	}
	return c, nil
}

func (s *Service) secretMatches(c *ent.APIClient, secret string) bool {
	h := []byte(hashSecret(secret))
	if subtle.ConstantTimeCompare(h, []byte(c.SecretHash)) == 1 {
		return true
	}
	return c.PreviousSecretHash != nil && c.PreviousSecretExpiresAt != nil &&
		s.cfg.Now().Before(*c.PreviousSecretExpiresAt) &&
		subtle.ConstantTimeCompare(h, []byte(*c.PreviousSecretHash)) == 1
}

// issue signs an access token for c with scopes (already checked to be
// granted).
func (s *Service) issue(c *ent.APIClient, scopes []string) (string, time.Duration, error) {
	jti, err := randomString(16)
	if err != nil {
		return "", 0, err
	}
	now := s.cfg.Now()
	raw, err := s.cfg.Tokens.SignClient(auth.ClientClaims{
		ClientID: c.ClientID,
		Scope:    strings.Join(scopes, " "),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   c.ClientID,
			Audience:  jwt.ClaimStrings{s.cfg.Tokens.Audience()},
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.TokenTTL)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        jti,
		},
	})
	return raw, s.cfg.TokenTTL, err
}

// grant decides the scopes of a token request: what was asked, each of
// which the client must hold; nothing asked means everything it holds.
func grant(c *ent.APIClient, requested []string) ([]string, bool) {
	held := make([]string, len(c.Scopes))
	for i, p := range c.Scopes {
		held[i] = string(p)
	}
	if len(requested) == 0 {
		return held, true
	}
	out := make([]string, 0, len(requested))
	for _, r := range requested {
		if !slices.Contains(held, r) {
			return nil, false
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, true
}

// active checks a client token against the client's current state: its
// claims, the client still enabled, the token not revoked. It answers
// the claims and the client.
func (s *Service) active(ctx context.Context, raw string) (auth.ClientClaims, *ent.APIClient, error) {
	claims, err := s.cfg.Tokens.ParseClient(raw, s.cfg.Issuer)
	if err != nil {
		return auth.ClientClaims{}, nil, err
	}
	sys := viewer.System(ctx, "oauth: check an API client's access token")
	c, err := s.db(ctx).APIClient.Query().Where(apiclient.ClientID(claims.ClientID)).Only(sys)
	if ent.IsNotFound(err) {
		return auth.ClientClaims{}, nil, fmt.Errorf("%w: no such client", auth.ErrInvalidToken)
	}
	if err != nil {
		return auth.ClientClaims{}, nil, fmt.Errorf("oauth: find client: %w", err)
	}
	if c.Disabled {
		return auth.ClientClaims{}, nil, fmt.Errorf("%w: the client is disabled", auth.ErrInvalidToken)
	}
	revoked, err := s.db(ctx).RevokedToken.Query().Where(revokedtoken.Jti(claims.ID)).Exist(sys)
	if err != nil {
		return auth.ClientClaims{}, nil, fmt.Errorf("oauth: read revocations: %w", err)
	}
	if revoked {
		return auth.ClientClaims{}, nil, fmt.Errorf("%w: the token was revoked", auth.ErrInvalidToken)
	}
	return claims, c, nil
}

// VerifyClientToken authenticates a request made with a client's access
// token (auth.ClientVerifier): the viewer is the client, holding the
// token's scopes that the client still holds. It records the client's
// use, at most once per LastUsedEvery.
func (s *Service) VerifyClientToken(ctx context.Context, raw string) (viewer.Viewer, error) {
	claims, c, err := s.active(ctx, raw)
	if err != nil {
		return viewer.Viewer{}, err
	}
	perms := []viewer.Permission{}
	for _, sc := range strings.Fields(claims.Scope) {
		if p := viewer.Permission(sc); slices.Contains(c.Scopes, p) {
			perms = append(perms, p)
		}
	}
	now := s.cfg.Now()
	if c.LastUsedAt == nil || now.Sub(*c.LastUsedAt) >= LastUsedEvery {
		// Conditional, so replicas racing to record the same minute
		// write once; a failure costs only freshness.
		_, err := s.db(ctx).APIClient.Update().
			Where(apiclient.ID(c.ID), apiclient.Or(apiclient.LastUsedAtIsNil(), apiclient.LastUsedAtLT(now.Add(-LastUsedEvery)))).
			SetLastUsedAt(now).
			Save(viewer.System(ctx, "oauth: record an API client's last use"))
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "API client's last use not recorded", slog.String("client_id", c.ClientID), slog.String("error", err.Error()))
		}
	}
	return viewer.Viewer{Client: c.ClientID, Permissions: perms}, nil
}

// revoke records a token's jti as revoked until the token expires, and
// drops revocations of tokens that expired. Only the client the token
// was issued to may revoke it; a token that does not verify is already
// useless, and RFC 7009 answers it with success.
func (s *Service) revoke(ctx context.Context, clientID, raw string) error {
	claims, err := s.cfg.Tokens.ParseClient(raw, s.cfg.Issuer)
	if err != nil {
		return nil
	}
	if claims.ClientID != clientID {
		return errNotYours
	}
	sys := viewer.System(ctx, "oauth: revoke an API client's access token")
	err = s.db(ctx).RevokedToken.Create().
		SetJti(claims.ID).
		SetClientID(claims.ClientID).
		SetExpiresAt(claims.ExpiresAt.Time).
		OnConflictColumns(revokedtoken.FieldJti).DoNothing().
		Exec(sys)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("oauth: revoke: %w", err)
	}
	if _, err := s.db(ctx).RevokedToken.Delete().Where(revokedtoken.ExpiresAtLT(s.cfg.Now().Add(-time.Minute))).Exec(sys); err != nil {
		s.cfg.Log.WarnContext(ctx, "expired revocations not dropped", slog.String("error", err.Error()))
	}
	return nil
}

var errNotYours = errors.New("oauth: the token was issued to another client")

// Handler serves the token, revocation and introspection endpoints
// (mount it at /oauth/).
func (s *Service) Handler() http.Handler {
	return op.RegisterServer(&server{s: s}, op.Endpoints{
		Token:         op.NewEndpoint(TokenPath),
		Introspection: op.NewEndpoint(IntrospectPath),
		Revocation:    op.NewEndpoint(RevokePath),
	}, op.WithServerCORSOptions(nil))
}

// Metadata is the authorization server's metadata (RFC 8414), served at
// MetadataPath.
func (s *Service) Metadata() *oidc.DiscoveryConfiguration {
	scopes := make([]string, 0, len(viewer.AllPermissions()))
	for _, p := range viewer.AllPermissions() {
		scopes = append(scopes, string(p))
	}
	methods := []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	return &oidc.DiscoveryConfiguration{
		Issuer:                                    s.cfg.Issuer,
		TokenEndpoint:                             s.cfg.Issuer + TokenPath,
		RevocationEndpoint:                        s.cfg.Issuer + RevokePath,
		IntrospectionEndpoint:                     s.cfg.Issuer + IntrospectPath,
		JwksURI:                                   s.cfg.Issuer + JWKSPath,
		ScopesSupported:                           scopes,
		ResponseTypesSupported:                    []string{},
		GrantTypesSupported:                       []oidc.GrantType{oidc.GrantTypeClientCredentials},
		TokenEndpointAuthMethodsSupported:         methods,
		RevocationEndpointAuthMethodsSupported:    methods,
		IntrospectionEndpointAuthMethodsSupported: methods,
	}
}
