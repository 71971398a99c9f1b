package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/savannah-commerce/savannah/ent"
)

// server is the op.Server of the endpoints this store serves; every
// other endpoint answers as op.UnimplementedServer does (not found, or
// unsupported_grant_type).
type server struct {
	op.UnimplementedServer
	s *Service
}

// invalidClient is the RFC 6749 §5.2 answer to a client that does not
// authenticate: 401 with a challenge for the Basic scheme.
func invalidClient() error {
	return op.NewStatusError(oidc.ErrInvalidClient().WithDescription("client authentication failed"), http.StatusUnauthorized)
}

// VerifyClient authenticates the client of a token or revocation
// request (client_secret_basic or client_secret_post; op parsed them).
func (sv *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	return sv.verify(ctx, r.Data)
}

func (sv *server) verify(ctx context.Context, cc *op.ClientCredentials) (op.Client, error) {
	if cc == nil || cc.ClientAssertion != "" {
		return nil, invalidClient()
	}
	c, err := sv.s.authenticate(ctx, cc.ClientID, cc.ClientSecret)
	if errors.Is(err, ErrInvalidClient) {
		return nil, invalidClient()
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return client{c}, nil
}

// ClientCredentialsExchange issues an access token (RFC 6749 §4.4.3)
// for the requested scopes, each of which the client must hold.
func (sv *server) ClientCredentialsExchange(_ context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	c := r.Client.(client).c
	scopes, ok := grant(c, r.Data.Scope)
	if !ok {
		return nil, oidc.ErrInvalidScope().WithDescription("the client may not have every scope requested")
	}
	raw, ttl, err := sv.s.issue(c, scopes)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	resp := op.NewResponse(&oidc.AccessTokenResponse{
		AccessToken: raw,
		TokenType:   oidc.BearerToken,
		ExpiresIn:   uint64(ttl / time.Second),
		Scope:       scopes,
	})
	resp.Header.Set("Cache-Control", "no-store")
	return resp, nil
}

// Revocation revokes one of the calling client's access tokens (RFC
// 7009).
func (sv *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	err := sv.s.revoke(ctx, r.Client.GetID(), r.Data.Token)
	if errors.Is(err, errNotYours) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return op.NewResponse(nil), nil
}

// Introspect answers whether a token is active (RFC 7662) to any
// authenticated client, and its claims when it is.
func (sv *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	if _, err := sv.verify(ctx, r.Data.ClientCredentials); err != nil {
		return nil, err
	}
	out := &oidc.IntrospectionResponse{}
	claims, _, err := sv.s.active(ctx, r.Data.Token)
	if err == nil {
		out.Active = true
		out.Scope = oidc.SpaceDelimitedArray(strings.Fields(claims.Scope))
		out.ClientID = claims.ClientID
		out.TokenType = oidc.BearerToken
		out.Expiration = oidc.FromTime(claims.ExpiresAt.Time)
		out.IssuedAt = oidc.FromTime(claims.IssuedAt.Time)
		out.Subject = claims.Subject
		out.Audience = oidc.Audience(claims.Audience)
		out.Issuer = claims.Issuer
		out.JWTID = claims.ID
	}
	resp := op.NewResponse(out)
	resp.Header.Set("Cache-Control", "no-store")
	return resp, nil
}

// client is an API client as op sees one: confidential, client
// credentials only.
type client struct{ c *ent.APIClient }

func (c client) GetID() string                      { return c.c.ClientID }
func (client) RedirectURIs() []string               { return nil }
func (client) PostLogoutRedirectURIs() []string     { return nil }
func (client) ApplicationType() op.ApplicationType  { return op.ApplicationTypeWeb }
func (client) AuthMethod() oidc.AuthMethod          { return oidc.AuthMethodBasic }
func (client) ResponseTypes() []oidc.ResponseType   { return nil }
func (client) LoginURL(string) string               { return "" }
func (client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (client) IDTokenLifetime() time.Duration       { return 0 }
func (client) DevMode() bool                        { return false }
func (client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (client) ClockSkew() time.Duration             { return 0 }
func (client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeClientCredentials}
}
func (client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) IsScopeAllowed(scope string) bool {
	for _, p := range c.c.Scopes {
		if string(p) == scope {
			return true
		}
	}
	return false
}
