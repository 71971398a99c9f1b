package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/catalog"
)

func TestPaths(t *testing.T) {
	t.Parallel()
	root := catalog.Path("", 12)
	require.Equal(t, "/12/", root)
	child := catalog.Path(root, 7)
	require.Equal(t, "/12/7/", child)

	tests := []struct {
		path string
		want []int
		err  bool
	}{
		{path: "/12/", want: []int{}},
		{path: "/12/7/", want: []int{12}},
		{path: "/12/7/42/", want: []int{12, 7}},
		{path: "", err: true},
		{path: "/a/7/", err: true},
	}
	for _, tt := range tests {
		got, err := catalog.AncestorIDs(tt.path)
		if tt.err {
			require.Error(t, err, tt.path)
			continue
		}
		require.NoError(t, err, tt.path)
		require.Equal(t, tt.want, got, tt.path)
	}
}
