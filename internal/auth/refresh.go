package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// RefreshTokenTTL is how long an unused refresh token stays valid; each
// rotation issues a new one with a fresh lifetime.
const RefreshTokenTTL = 30 * 24 * time.Hour

var (
	// ErrRefreshInvalid is returned for a refresh token that is unknown,
	// expired or revoked.
	ErrRefreshInvalid = errors.New("invalid or expired refresh token")
	// ErrRefreshReused is returned for a refresh token presented a second
	// time: someone else may hold a copy, so its whole family is revoked.
	ErrRefreshReused = errors.New("refresh token already used; its sign-in has been revoked")
)

// RefreshStore keeps refresh-token families. Only SHA-256 hashes of the
// tokens are stored. Implementations: the database (DBRefreshStore) and
// Redis (RedisRefreshStore).
type RefreshStore interface {
	// Create stores the first token of a new family.
	Create(ctx context.Context, customerID int, tokenHash string, ttl time.Duration) error
	// Rotate marks oldHash used and stores newHash in the same family, as
	// one atomic step: of two concurrent rotations of one token, one
	// fails. Presenting an already-used token revokes the family and
	// returns ErrRefreshReused; an unknown, expired or revoked token
	// returns ErrRefreshInvalid.
	Rotate(ctx context.Context, oldHash, newHash string, ttl time.Duration) (customerID int, err error)
	// RevokeFamily revokes the family of the token; an unknown token is
	// not an error (logging out twice is fine).
	RevokeFamily(ctx context.Context, tokenHash string) error
	// RevokeCustomer revokes every family of the customer.
	RevokeCustomer(ctx context.Context, customerID int) error
}

// newRefreshToken returns a new opaque 256-bit token and its hash.
func newRefreshToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashRefreshToken(token), nil
}

// hashRefreshToken is SHA-256: the token is 256 random bits, so a slow
// password hash would add nothing but latency.
func hashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newFamily returns a random family ID.
func newFamily() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("refresh family: %w", err)
	}
	return hex.EncodeToString(b), nil
}
