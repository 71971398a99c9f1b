package auth

import (
	"testing"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/require"
)

// TestDummyPasswordHash: the dummy hash parses as an argon2id hash of
// today's parameters, so a comparison against it runs argon2id in full,
// and no password matches it.
func TestDummyPasswordHash(t *testing.T) {
	h, err := dummyPasswordHash()
	require.NoError(t, err)
	params, _, _, err := argon2id.DecodeHash(h)
	require.NoError(t, err)
	require.Equal(t, *passwordParams, *params)
	ok, err := CheckPassword("not a real password: timing equaliser", h)
	require.NoError(t, err)
	require.False(t, ok)
	other, err := dummyPasswordHash()
	require.NoError(t, err)
	require.NotEqual(t, h, other, "a random key")
}
