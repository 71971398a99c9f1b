package auth_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/auth"
)

// TestPasswordHashing: new hashes use the current parameters, hashes made
// with the earlier ones still verify, a wrong password or a short one
// fails, and concurrent hashing (bounded internally) gives correct results.
func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("kilimanjaro-sunrise-42")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	ok, err := auth.CheckPassword("kilimanjaro-sunrise-42", h)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = auth.CheckPassword("kilimanjaro-sunrise-43", h)
	require.NoError(t, err)
	require.False(t, ok)
	_, err = auth.HashPassword("short")
	require.ErrorIs(t, err, auth.ErrPasswordTooShort)

	old, err := argon2id.CreateHash("an older account's password", &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	ok, err = auth.CheckPassword("an older account's password", old)
	require.NoError(t, err)
	require.True(t, ok, "hashes made with the earlier parameters still verify")

	var wg sync.WaitGroup
	results := make([]bool, 8)
	for i := range results {
		wg.Go(func() {
			ok, err := auth.CheckPassword("kilimanjaro-sunrise-42", h)
			results[i] = err == nil && ok
		})
	}
	wg.Wait()
	for i, ok := range results {
		require.True(t, ok, "check %d", i)
	}
}
