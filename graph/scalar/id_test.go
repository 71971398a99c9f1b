package scalar_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/scalar"
)

// TestMarshalIntID: the written ID is EncodeID's, quoted, and decodes
// back to the ent ID.
func TestMarshalIntID(t *testing.T) {
	t.Parallel()
	for _, id := range []int{1, 42, 1 << 32, 1<<62 - 1} {
		var buf bytes.Buffer
		scalar.MarshalIntID(id).MarshalGQL(&buf)
		require.Equal(t, strconv.Quote(scalar.EncodeID(id)), buf.String())
		s, err := strconv.Unquote(buf.String())
		require.NoError(t, err)
		back, err := scalar.DecodeID(s)
		require.NoError(t, err)
		require.Equal(t, id, back)
	}
}
