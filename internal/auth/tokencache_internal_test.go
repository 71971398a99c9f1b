package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
)

// A verified token is memoised until it expires: the same answer without a
// second signature check, refused once past its expiry and leeway, and a
// token that fails verification is never memoised.
func TestVerifiedTokenMemo(t *testing.T) {
	key, err := GenerateSigningKey()
	require.NoError(t, err)
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tokens := NewTokens("i", "a", key)
	tokens.now = func() time.Time { return clock }

	raw, exp, err := tokens.Issue(7, customer.RoleSTAFF, 3)
	require.NoError(t, err)
	v, ver, err := tokens.parse(raw)
	require.NoError(t, err)
	require.Equal(t, 7, v.CustomerID)
	require.Equal(t, 3, ver)
	require.Equal(t, 1, tokens.verified.len())

	// A hit answers alike.
	v2, ver2, err := tokens.parse(raw)
	require.NoError(t, err)
	require.Equal(t, v, v2)
	require.Equal(t, ver, ver2)
	require.Equal(t, 1, tokens.verified.len())

	// A forged signature on the same claims is refused, and not memoised.
	forged := raw[:len(raw)-4] + "AAAA"
	if forged == raw {
		forged = raw[:len(raw)-4] + "BBBB"
	}
	_, _, err = tokens.parse(forged)
	require.ErrorIs(t, err, ErrInvalidToken)
	require.Equal(t, 1, tokens.verified.len())

	// Within the leeway after expiry it still passes, as the parser allows;
	// past it, the memo refuses it as the parser would.
	clock = exp.Add(tokenLeeway - time.Second)
	_, _, err = tokens.parse(raw)
	require.NoError(t, err)
	clock = exp.Add(tokenLeeway + time.Second)
	_, _, err = tokens.parse(raw)
	require.ErrorIs(t, err, ErrInvalidToken)
	require.Equal(t, 0, tokens.verified.len())
}

// The memo stays bounded: past its cap it sheds entries, expired first.
func TestVerifiedTokenMemoBounded(t *testing.T) {
	var c verifiedTokens
	now := time.Now()
	for i := range verifiedCap + 10 {
		c.put("token-"+strconv.Itoa(i), verifiedToken{until: now.Add(time.Hour)}, now)
	}
	require.LessOrEqual(t, c.len(), verifiedCap)
	require.Greater(t, c.len(), verifiedCap/2)
}

// IsClientToken tells API client tokens from customers' by the header
// alone, and takes nothing else for one.
func TestIsClientToken(t *testing.T) {
	key, err := GenerateSigningKey()
	require.NoError(t, err)
	tokens := NewTokens("i", "a", key)
	client, err := tokens.SignClient(ClientClaims{ClientID: "erp"})
	require.NoError(t, err)
	require.True(t, IsClientToken(client))

	customerToken, _, err := tokens.Issue(7, customer.RoleCUSTOMER, 0)
	require.NoError(t, err)
	// The type's text elsewhere in the header is not its type.
	elsewhere := base64.RawURLEncoding.EncodeToString([]byte(`{"kid":"at+jwt","typ":"JWT"}`)) + ".x.y"
	for _, raw := range []string{customerToken, "", "abc", "!!!.x.y", "eyJ0eXAiOiJhdCtqd3Qi", "e30.x.y", elsewhere} {
		require.False(t, IsClientToken(raw), raw)
	}
}

// Checking a memoised token allocates nothing: an open WebSocket checks
// its token every few seconds and on every event, thousands of sockets
// at once, and the garbage that made would be collected during fan-outs.
func TestMemoisedCheckAllocatesNothing(t *testing.T) {
	key, err := GenerateSigningKey()
	require.NoError(t, err)
	tokens := NewTokens("i", "a", key)
	raw, _, err := tokens.Issue(7, customer.RoleCUSTOMER, 1)
	require.NoError(t, err)
	_, _, err = tokens.parse(raw) // memoised from here on
	require.NoError(t, err)

	require.False(t, IsClientToken(raw))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = IsClientToken(raw) }), "IsClientToken")
	require.Zero(t, testing.AllocsPerRun(100, func() { _, _, _ = tokens.parse(raw) }), "parse of a memoised token")
	// The same key with or without the stack copy.
	long := raw + "." + string(make([]byte, 2048))
	require.Equal(t, sha256Of(long), tokenKey(long))
	require.Equal(t, sha256Of(raw), tokenKey(raw))
}

func sha256Of(s string) [32]byte { return sha256.Sum256([]byte(s)) }
