package graph

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestPermissionNames: the schema's Permission enum and the viewer
// package's permissions are the same list, in the same order.
func TestPermissionNames(t *testing.T) {
	t.Parallel()
	var got []viewer.Permission
	for _, p := range model.AllPermission {
		got = append(got, permission(p))
	}
	require.Equal(t, viewer.AllPermissions(), got)
}
