// Package auth holds accounts, passwords and tokens.
package auth

import (
	"errors"
	"fmt"

	"github.com/alexedwards/argon2id"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// ErrPasswordTooShort is returned for a password under MinPasswordLength.
var ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordLength)

// passwordParams are argon2id's parameters: RFC 9106's second recommended
// option scaled for a 2-core server (64 MiB, 1 pass, 2 lanes).
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword hashes a password with argon2id.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", ErrPasswordTooShort
	}
	h, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(password, hash string) (bool, error) {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil && !errors.Is(err, argon2id.ErrInvalidHash) {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, err
}
