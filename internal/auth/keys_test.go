package auth_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/auth"
)

func TestDevSigningKeyIsKeptAndReused(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	k1, err := auth.DevSigningKey(dir, log)
	require.NoError(t, err)
	require.Contains(t, logs.String(), "generated a development JWT signing key")
	info, err := os.Stat(filepath.Join(dir, "jwt-signing-key.pem"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "readable by the owner only")

	k2, err := auth.DevSigningKey(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.Equal(t, k1.ID, k2.ID, "a restart keeps the key, so tokens stay valid")

	// A token from before the restart verifies after it.
	tok, _, err := auth.NewTokens("i", "a", k1).Issue(7, customer.RoleCUSTOMER, 0)
	require.NoError(t, err)
	v, err := auth.NewTokens("i", "a", k2).Verify(tok)
	require.NoError(t, err)
	require.Equal(t, 7, v.CustomerID)
}

func TestSigningKeyPEMRoundTrip(t *testing.T) {
	t.Parallel()
	k, err := auth.GenerateSigningKey()
	require.NoError(t, err)
	pemText, err := auth.MarshalSigningKey(k)
	require.NoError(t, err)
	back, err := auth.ParseSigningKey(pemText)
	require.NoError(t, err)
	require.Equal(t, k.ID, back.ID)
	_, err = auth.ParseSigningKey([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	require.Error(t, err)

	// A previous key, given as its public half, keeps verifying what it
	// signed; the JWKS lists both, under the same kid as before.
	next, err := auth.GenerateSigningKey()
	require.NoError(t, err)
	old, _, err := auth.NewTokens("i", "a", k).Issue(1, customer.RoleSTAFF, 0)
	require.NoError(t, err)
	pubPEM, err := auth.MarshalPublicKey(k)
	require.NoError(t, err)
	previous, err := auth.ParsePublicKeys(pubPEM)
	require.NoError(t, err)
	rotated := auth.NewTokens("i", "a", next, previous...)
	v, err := rotated.Verify(old)
	require.NoError(t, err)
	require.Equal(t, "STAFF", string(v.Role))
	var kids []string
	for _, j := range rotated.JWKS().Keys {
		kids = append(kids, j.Kid)
	}
	require.ElementsMatch(t, []string{k.ID, next.ID}, kids)
	_, err = auth.NewTokens("i", "a", next).Verify(old)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "once previous keys are dropped, their tokens die")

	// A list that is not all Ed25519 public keys is refused whole.
	_, err = auth.ParsePublicKeys(append(pubPEM, pemText...))
	require.ErrorContains(t, err, "key 2")
}
