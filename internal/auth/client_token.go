package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// ClientTokenType is the JWT typ header of an API client's access token
// (RFC 9068 §2.1); customer tokens carry "JWT".
const ClientTokenType = "at+jwt"

// ClientClaims are an API client's access token claims in the RFC 9068
// profile: iss, sub (the client_id), aud, client_id, scope, jti, iat
// and exp.
type ClientClaims struct {
	ClientID string `json:"client_id"`
	// Scope is the granted scopes, space-separated.
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

// ClientVerifier verifies an API client's access token against the
// client's current state (disabled, revoked): internal/oauth.
type ClientVerifier interface {
	VerifyClientToken(ctx context.Context, raw string) (Viewer, error)
}

// IsClientToken reports whether raw is shaped as an API client's access
// token (its typ header is at+jwt). It verifies nothing, and reads only
// the header: every authenticated request and every open WebSocket's
// re-check asks it.
func IsClientToken(raw string) bool {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || len(head) > 1024 {
		return false
	}
	// Decoded from and into buffers on the stack: no allocation for the
	// question every check of an open WebSocket asks.
	var src [1024]byte
	var dst [768]byte
	n, err := base64.RawURLEncoding.Decode(dst[:], append(src[:0], head...))
	if err != nil {
		return false
	}
	b := dst[:n]
	// A header without the type's text is no client token's: most are
	// customers' tokens, decided here without decoding JSON (a tenth of a
	// fan-out's CPU per socket and event). SignClient writes the type
	// unescaped.
	if !bytes.Contains(b, []byte(ClientTokenType)) {
		return false
	}
	var h struct {
		Typ string `json:"typ"`
	}
	// A copy, so that dst stays on the stack for the common case above.
	return json.Unmarshal(bytes.Clone(b), &h) == nil && h.Typ == ClientTokenType
}

// Audience is the aud of access tokens, customers' and API clients'.
func (t *Tokens) Audience() string { return t.audience }

// SignClient signs an API client's access token with the key that signs
// customers' tokens, so the same JWKS verifies both.
func (t *Tokens) SignClient(c ClientClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = t.signing.ID
	tok.Header["typ"] = ClientTokenType
	s, err := tok.SignedString(t.signing.Private)
	if err != nil {
		return "", fmt.Errorf("sign client access token: %w", err)
	}
	return s, nil
}

// ParseClient checks an API client's access token: EdDSA by a known kid,
// typ at+jwt, iss, aud, exp and iat, and a jti and client_id (equal to
// sub). It does not know whether the client was disabled or the token
// revoked: internal/oauth does.
func (t *Tokens) ParseClient(raw, issuer string) (ClientClaims, error) {
	var c ClientClaims
	err := t.parseSigned(raw, &c, issuer, ClientTokenType)
	if err != nil {
		return ClientClaims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.ClientID == "" || c.Subject != c.ClientID || c.ID == "" || c.IssuedAt == nil {
		return ClientClaims{}, fmt.Errorf("%w: missing or malformed client_id, sub, jti or iat", ErrInvalidToken)
	}
	return c, nil
}
