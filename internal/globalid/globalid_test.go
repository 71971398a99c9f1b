package globalid_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/globalid"
)

func TestRoundTrip(t *testing.T) {
	for _, id := range []int{1, 7, 1 << 32, 1 << 62} {
		s := globalid.Encode(id)
		require.Len(t, s, globalid.Len)
		got, err := globalid.Decode(s)
		require.NoError(t, err)
		require.Equal(t, id, got)
	}
	for _, bad := range []string{"", "AAAAAAAAAAA", "AAAAAAAAAAB", "abc", "AAAAAAAAAAE="} {
		_, err := globalid.Decode(bad)
		require.ErrorIs(t, err, globalid.ErrInvalid, bad)
	}
}
