package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// AccessTokenTTL is how long an access token is valid.
const AccessTokenTTL = 15 * time.Minute

// ErrInvalidToken is returned for an access token that is malformed,
// forged, expired, or meant for someone else.
var ErrInvalidToken = errors.New("invalid or expired access token")

// Claims are an access token's claims.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies access tokens. It signs with one key and
// verifies with any key it knows, so a retired key keeps verifying the
// tokens it signed until they expire.
type Tokens struct {
	issuer   string
	audience string
	signing  SigningKey
	verify   map[string]ed25519.PublicKey
	now      func() time.Time
}

// NewTokens returns the token issuer for iss and aud, signing with key and
// also accepting tokens signed by the retired keys.
func NewTokens(issuer, audience string, key SigningKey, retired ...SigningKey) *Tokens {
	t := &Tokens{issuer: issuer, audience: audience, signing: key, verify: map[string]ed25519.PublicKey{}, now: time.Now}
	for _, k := range append([]SigningKey{key}, retired...) {
		t.verify[k.ID] = k.Public()
	}
	return t
}

// Issue signs an access token for a customer, returning it and when it
// expires.
func (t *Tokens) Issue(customerID int, role customer.Role) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(AccessTokenTTL)
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("token id: %w", err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, Claims{
		Role: string(role),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			Subject:   strconv.Itoa(customerID),
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
	})
	tok.Header["kid"] = t.signing.ID
	s, err := tok.SignedString(t.signing.Private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return s, exp, nil
}

// Verify checks an access token and returns its viewer. Only EdDSA is
// accepted (never "none", never an HMAC keyed with a public key); the key
// is chosen by kid; iss, aud, sub, exp and iat are required and checked.
func (t *Tokens) Verify(raw string) (Viewer, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := t.verify[kid]
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return Viewer{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := strconv.Atoi(c.Subject)
	if err != nil || id <= 0 || c.ID == "" || c.IssuedAt == nil {
		return Viewer{}, fmt.Errorf("%w: missing or malformed sub, jti or iat", ErrInvalidToken)
	}
	role := viewer.Role(c.Role)
	if !role.Valid() {
		return Viewer{}, fmt.Errorf("%w: unknown role", ErrInvalidToken)
	}
	return Viewer{CustomerID: id, Role: role}, nil
}

// JWKS returns the public keys that verify access tokens.
func (t *Tokens) JWKS() JWKS {
	out := JWKS{Keys: []JWK{}}
	for kid, pub := range t.verify {
		out.Keys = append(out.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid, Alg: "EdDSA", Use: "sig"})
	}
	// A stable order, so the document (and any cache of it) does not
	// change between requests.
	slices.SortFunc(out.Keys, func(a, b JWK) int { return strings.Compare(a.Kid, b.Kid) })
	return out
}
