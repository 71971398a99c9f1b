package viewer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

func TestPermissions(t *testing.T) {
	staff := viewer.Viewer{CustomerID: 1, Role: viewer.Staff}
	require.True(t, staff.Can(viewer.OrdersRead))
	require.False(t, staff.Can(viewer.SettingsManage), "settings are an admin's")
	require.True(t, viewer.Viewer{Role: viewer.Admin}.Can(viewer.SettingsManage))
	require.False(t, viewer.Viewer{CustomerID: 2, Role: viewer.Customer}.Can(viewer.CatalogRead))

	narrowed := viewer.Viewer{CustomerID: 3, Role: viewer.Staff, Permissions: []viewer.Permission{viewer.CatalogWrite}}
	require.True(t, narrowed.Can(viewer.CatalogWrite))
	require.False(t, narrowed.Can(viewer.CustomersRead), "a narrowed set replaces the role's")

	client := viewer.Viewer{Client: "erp", Permissions: []viewer.Permission{viewer.OrdersRead}}
	require.True(t, client.Can(viewer.OrdersRead))
	require.False(t, client.Can(viewer.OrdersWrite))
	require.False(t, viewer.Viewer{Client: "none", Permissions: []viewer.Permission{}}.Can(viewer.OrdersRead), "an empty set grants nothing")

	for _, p := range viewer.AllPermissions() {
		require.True(t, p.Valid())
	}
	require.False(t, viewer.Permission("orders:delete").Valid())
}

func TestPermissionsImplied(t *testing.T) {
	writer := viewer.Viewer{CustomerID: 4, Role: viewer.Staff, Permissions: []viewer.Permission{viewer.CatalogWrite}}
	require.True(t, writer.Can(viewer.CatalogRead), "a write reads what it writes")
	require.Equal(t, []viewer.Permission{viewer.CatalogRead, viewer.CatalogWrite}, writer.Effective())
	reader := viewer.Viewer{Client: "erp", Permissions: []viewer.Permission{viewer.OrdersRead}}
	require.False(t, reader.Can(viewer.OrdersWrite), "a read implies no write")
	require.Equal(t, viewer.Role(viewer.Staff).Permissions(), viewer.Viewer{Role: viewer.Staff}.Effective())
}
