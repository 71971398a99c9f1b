// Package auth holds accounts, passwords and tokens.
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/alexedwards/argon2id"
	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// MinPasswordScore is the least zxcvbn score (0 to 4) a new password must
// reach: 3 is "safely unguessable", about 10^8 guesses or more, which is
// what the estimator's authors recommend for an online service whose
// hashes are slow (argon2id here).
const MinPasswordScore = 3

// strongEnough reports whether zxcvbn scores password at least
// MinPasswordScore, counting what an attacker knows of the account (its
// email, the email's local part and the name) as guessed first.
func strongEnough(password, email, name string) bool {
	known := strings.Fields(name)
	if email != "" {
		local, _, _ := strings.Cut(email, "@")
		known = append(known, email, local)
	}
	if name != "" {
		known = append(known, name)
	}
	return zxcvbn.PasswordStrength(password, known).Score >= MinPasswordScore
}

// ErrPasswordTooShort is returned for a password under MinPasswordLength.
var ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordLength)

// passwordParams are argon2id's parameters: OWASP's baseline (19 MiB, 2
// passes, 1 lane). Every hash records its own parameters, so hashes made
// with earlier ones (64 MiB, 1 pass, 2 lanes) still verify.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// hashSlots bounds how many argon2id computations run at once. Each holds
// its memory parameter (19 MiB) for its duration, so a burst of sign-ins
// would otherwise grow the process by that much per request and could push
// a pod over its memory limit; with two slots hashing costs at most about
// 40 MB, and further sign-ins wait their turn (they are rate limited
// anyway).
var hashSlots = make(chan struct{}, 2)

// withHashSlot runs fn holding one of the hashSlots.
func withHashSlot[T any](fn func() (T, error)) (T, error) {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return fn()
}

// HashPassword hashes a password with argon2id.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", ErrPasswordTooShort
	}
	h, err := withHashSlot(func() (string, error) { return argon2id.CreateHash(password, passwordParams) })
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// dummyPasswordHash returns a well-formed argon2id hash with today's
// parameters and a random salt and key, which no password matches:
// comparing against it costs what a real comparison costs. It is made, not
// computed: hashing at startup held 19 MiB (the memory parameter) for a
// moment, which the Go heap then kept as idle pages, in every process that
// built the account service.
func dummyPasswordHash() (string, error) {
	salt := make([]byte, passwordParams.SaltLength)
	key := make([]byte, passwordParams.KeyLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("dummy hash: %w", err)
	}
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("dummy hash: %w", err)
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, passwordParams.Memory, passwordParams.Iterations,
		passwordParams.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(password, hash string) (bool, error) {
	ok, err := withHashSlot(func() (bool, error) { return argon2id.ComparePasswordAndHash(password, hash) })
	if err != nil && !errors.Is(err, argon2id.ErrInvalidHash) {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, err
}
