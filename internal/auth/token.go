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
	// Ver is the customer's token version when the token was issued; see
	// Service.VerifyAccess.
	Ver int `json:"ver,omitempty"`
	// Perms is a staff member's narrowed permission set, absent when
	// the role's applies (a pointer, so an empty set is not absent).
	Perms *[]viewer.Permission `json:"perms,omitempty"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies access tokens. It signs with one key and
// verifies with that key and any previous one it is given, so rotating the
// signing key refuses no token the old key signed.
type Tokens struct {
	issuer   string
	audience string
	signing  SigningKey
	verify   map[string]ed25519.PublicKey
	now      func() time.Time
	verified verifiedTokens // tokens parse has accepted (tokencache.go)
}

// NewTokens returns the token issuer for iss and aud, signing with key and
// also accepting tokens signed by the previous keys (the public halves of
// keys rotated out, JWT_PREVIOUS_PUBLIC_KEYS), which the JWKS publishes
// too.
func NewTokens(issuer, audience string, key SigningKey, previous ...ed25519.PublicKey) *Tokens {
	t := &Tokens{issuer: issuer, audience: audience, signing: key, verify: map[string]ed25519.PublicKey{}, now: time.Now}
	t.verify[key.ID] = key.Public()
	for _, pub := range previous {
		t.verify[PublicKeyID(pub)] = pub
	}
	return t
}

// Issue signs an access token for a customer at their token version,
// returning it and when it expires.
func (t *Tokens) Issue(customerID int, role customer.Role, version int) (string, time.Time, error) {
	return t.IssueWith(customerID, role, nil, version)
}

// IssueWith is Issue for an account with a narrowed permission set
// (perms; nil is the role's set).
func (t *Tokens) IssueWith(customerID int, role customer.Role, perms []viewer.Permission, version int) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(AccessTokenTTL)
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("token id: %w", err)
	}
	var narrowed *[]viewer.Permission
	if perms != nil {
		narrowed = &perms
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, Claims{
		Role:  string(role),
		Ver:   version,
		Perms: narrowed,
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

// Verify checks an access token's signature and claims and returns its
// viewer. It does not know whether the account's rights changed since the
// token was issued: requests are authenticated with Service.VerifyAccess,
// which does.
func (t *Tokens) Verify(raw string) (Viewer, error) {
	v, _, err := t.parse(raw)
	return v, err
}

// tokenLeeway is the clock skew parseSigned allows on exp and iat.
const tokenLeeway = 30 * time.Second

// parseSigned checks raw's signature and registered claims into claims:
// only EdDSA, the key chosen by kid, the header typ when typ is not empty,
// iss (issuer), aud, exp and iat required and checked.
func (t *Tokens) parseSigned(raw string, claims jwt.Claims, issuer, typ string) error {
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if got, _ := tok.Header["typ"].(string); typ != "" && got != typ {
			return nil, fmt.Errorf("not an %s token", typ)
		}
		kid, _ := tok.Header["kid"].(string)
		k, ok := t.verify[kid]
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(tokenLeeway),
	)
	return err
}

// parse checks an access token and returns its viewer and token version.
// Only EdDSA is accepted (never "none", never an HMAC keyed with a public
// key); the key is chosen by kid; iss, aud, sub, exp and iat are required
// and checked.
func (t *Tokens) parse(raw string) (Viewer, int, error) {
	now := t.now()
	if e, ok := t.verified.get(raw, now); ok {
		return e.v, e.ver, nil
	}
	v, ver, exp, err := t.parseClaims(raw)
	if err != nil {
		return Viewer{}, 0, err
	}
	t.verified.put(raw, verifiedToken{v: v, ver: ver, until: exp.Add(tokenLeeway)}, now)
	return v, ver, nil
}

// parseClaims is parse without the memo; it also returns the expiry.
func (t *Tokens) parseClaims(raw string) (Viewer, int, time.Time, error) {
	var c Claims
	err := t.parseSigned(raw, &c, t.issuer, "")
	if err != nil {
		return Viewer{}, 0, time.Time{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := strconv.Atoi(c.Subject)
	if err != nil || id <= 0 || c.ID == "" || c.IssuedAt == nil || c.Ver < 0 {
		return Viewer{}, 0, time.Time{}, fmt.Errorf("%w: missing or malformed sub, jti, iat or ver", ErrInvalidToken)
	}
	role := viewer.Role(c.Role)
	if !role.Valid() {
		return Viewer{}, 0, time.Time{}, fmt.Errorf("%w: unknown role", ErrInvalidToken)
	}
	v := Viewer{CustomerID: id, Role: role}
	if c.Perms != nil {
		v.Permissions = *c.Perms
		if v.Permissions == nil {
			v.Permissions = []viewer.Permission{}
		}
		for _, p := range v.Permissions {
			if !p.Valid() {
				return Viewer{}, 0, time.Time{}, fmt.Errorf("%w: unknown permission", ErrInvalidToken)
			}
		}
	}
	return v, c.Ver, c.ExpiresAt.Time, nil
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
