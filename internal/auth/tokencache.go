package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedCap bounds the verified-token memo: past it, expired entries go
// first, then arbitrary ones (a dropped entry costs one more signature
// check, nothing else).
const verifiedCap = 1 << 16

// verifiedTokens memoises access tokens whose signature and claims parse
// has already checked, keyed by the token's SHA-256, until the token
// expires (with the same leeway parse allows). A token's signature is a
// function of its bytes and the verification keys, which are fixed for
// the life of a Tokens, so a memoised result stays right; what can change
// (the account's token version, a revocation) is checked by the callers
// on every use, as before. It spares the Ed25519 verification (about
// 50 µs) that an open WebSocket would otherwise pay for its token on
// every event and re-check.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[[32]byte]verifiedToken
}

type verifiedToken struct {
	v     Viewer
	ver   int
	until time.Time // expiry plus leeway: parse refuses the token after it
}

// tokenKey is the memo's key for raw, its SHA-256. A token of up to
// 1 KiB (all of ours) is hashed from a copy on the stack: converting it
// to a slice would allocate on every check, and an open WebSocket checks
// its token every few seconds.
func tokenKey(raw string) [32]byte {
	if len(raw) <= 1024 {
		var buf [1024]byte
		return sha256.Sum256(append(buf[:0], raw...))
	}
	return sha256.Sum256([]byte(raw))
}

func (c *verifiedTokens) get(raw string, now time.Time) (verifiedToken, bool) {
	k := tokenKey(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return verifiedToken{}, false
	}
	if !now.Before(e.until) {
		delete(c.m, k)
		return verifiedToken{}, false
	}
	return e, true
}

func (c *verifiedTokens) put(raw string, e verifiedToken, now time.Time) {
	k := tokenKey(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[32]byte]verifiedToken{}
	}
	if len(c.m) >= verifiedCap {
		for key, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < verifiedCap*7/8 {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = e
}

func (c *verifiedTokens) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
