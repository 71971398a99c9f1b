package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestPermissionsNarrowStaff: an ADMIN narrows a staff member to
// CATALOG_WRITE, whose old token then stops; with a current token they edit
// a draft product but read no customer and no order through any path (root
// field, node(id:), an order's customer edge), while a full staff member
// does; customers still read only their own rows; setting permissions is
// refused to STAFF.
func TestPermissionsNarrowStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		sys := viewer.System(context.Background(), "test: set up")
		a := seedOwned(t, s.client, "a@example.com", 1)
		b := seedOwned(t, s.client, "b@example.com", 2)
		adminC := s.client.Customer.Create().SetEmail("admin@example.com").SetName("D").SetRole(customer.RoleADMIN).SaveX(sys)
		staffC := s.client.Customer.Create().SetEmail("narrow@example.com").SetName("N").SetRole(customer.RoleSTAFF).SaveX(sys)
		readerC := s.client.Customer.Create().SetEmail("reader@example.com").SetName("R").SetRole(customer.RoleSTAFF).SaveX(sys)
		cat := s.client.Category.Create().SetName("Kettles").SetSlug("kettles").SaveX(sys)
		draft := s.client.Product.Create().SetName("Draft Kettle").SetSlug("draft-kettle").SetCategoryID(cat.ID).
			SetMinPriceMinor(100).SetMaxPriceMinor(100).SaveX(sys)
		token := func(id int) *store {
			c := s.client.Customer.GetX(sys, id)
			tok, _, err := s.tokens.IssueWith(c.ID, c.Role, c.Permissions, c.TokenVersion)
			require.NoError(t, err)
			return s.as(tok)
		}
		admin, full := token(adminC.ID), token(readerC.ID)
		before := token(staffC.ID)

		set := `mutation S($id: ID!, $p: [Permission!]) { setStaffPermissions(id: $id, permissions: $p) {
			customer { permissions narrowedPermissions } userErrors { field code } } }`
		// STAFF may not narrow anyone (settings:manage is an ADMIN's).
		resp := full.post(set, "", map[string]any{"id": scalar.EncodeID(staffC.ID), "p": []string{"CATALOG_WRITE"}})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
		// Nor widen STAFF's set, nor narrow a customer.
		resp = admin.post(set, "", map[string]any{"id": scalar.EncodeID(staffC.ID), "p": []string{"SETTINGS_MANAGE"}})
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), `"field":["permissions"]`)
		resp = admin.post(set, "", map[string]any{"id": scalar.EncodeID(a.customer), "p": []string{"CATALOG_WRITE"}})
		require.Contains(t, string(resp.Data), `"field":["id"]`)
		// The ADMIN narrows.
		resp = admin.post(set, "", map[string]any{"id": scalar.EncodeID(staffC.ID), "p": []string{"CATALOG_WRITE"}})
		require.Empty(t, resp.Errors)
		require.JSONEq(t, `{"setStaffPermissions":{"customer":{"permissions":["CATALOG_READ","CATALOG_WRITE"],"narrowedPermissions":["CATALOG_WRITE"]},"userErrors":[]}}`, string(resp.Data))
		resp = admin.post(set, "", map[string]any{"id": scalar.EncodeID(readerC.ID), "p": []string{"ORDERS_READ"}})
		require.Empty(t, resp.Errors)
		reader := token(readerC.ID)
		fullC := s.client.Customer.Create().SetEmail("full@example.com").SetName("F").SetRole(customer.RoleSTAFF).SaveX(sys)
		full = token(fullC.ID)

		// The token issued before the change stops at once; a current one
		// carries the narrowed set.
		me := `{ me { permissions } viewerPermissions }`
		require.Equal(t, []string{"UNAUTHENTICATED"}, before.post(me, "", nil).codes())
		narrow := token(staffC.ID)
		resp = narrow.post(me, "", nil)
		require.Empty(t, resp.Errors)
		require.JSONEq(t, `{"me":{"permissions":["CATALOG_READ","CATALOG_WRITE"]},"viewerPermissions":["CATALOG_READ","CATALOG_WRITE"]}`, string(resp.Data))

		// Catalogue writes work for both.
		edit := `mutation E($id: ID!, $n: String!) { updateProduct(id: $id, input: {name: $n}) { product { name } userErrors { code } } }`
		for name, st := range map[string]*store{"narrow": narrow, "full": full} {
			resp = st.post(edit, "", map[string]any{"id": scalar.EncodeID(draft.ID), "n": "Kettle " + name})
			require.Empty(t, resp.Errors, name)
			require.JSONEq(t, `{"updateProduct":{"product":{"name":"Kettle `+name+`"},"userErrors":[]}}`, string(resp.Data), name)
		}

		// Customers and orders: the full member reads them; the narrowed
		// one is refused the root fields and sees nothing by node(id:).
		list := `{ customers(first: 50) { edges { node { email } } } }`
		resp = full.post(list, "", nil)
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), "a@example.com")
		require.Equal(t, []string{"FORBIDDEN"}, narrow.post(list, "", nil).codes())
		require.Equal(t, []string{"FORBIDDEN"}, narrow.post(`{ orders(first: 5) { totalCount } }`, "", nil).codes())
		require.Equal(t, []string{"FORBIDDEN"}, reader.post(list, "", nil).codes())
		node := `query N($id: ID!) { node(id: $id) { id ... on Order { customer { email } } } }`
		for typ, id := range a.byType() {
			resp = full.post(node, "", map[string]any{"id": scalar.EncodeID(id)})
			require.Empty(t, resp.Errors, typ)
			require.NotContains(t, string(resp.Data), `"node":null`, "full staff reads %s", typ)
			resp = narrow.post(node, "", map[string]any{"id": scalar.EncodeID(id)})
			require.Empty(t, resp.Errors, typ)
			require.Contains(t, string(resp.Data), `"node":null`, "catalog:write alone reads no %s", typ)
		}
		// An order's customer edge: orders:read without customers:read
		// reads the order, not its customer.
		resp = full.post(node, "", map[string]any{"id": scalar.EncodeID(a.order)})
		require.Contains(t, string(resp.Data), "a@example.com")
		resp = reader.post(node, "", map[string]any{"id": scalar.EncodeID(a.order)})
		require.Empty(t, resp.Errors)
		require.JSONEq(t, `{"node":{"id":"`+scalar.EncodeID(a.order)+`","customer":null}}`, string(resp.Data))

		// Customers keep their own rows, and only theirs.
		custA := token(a.customer)
		resp = custA.post(node, "", map[string]any{"id": scalar.EncodeID(a.order)})
		require.Contains(t, string(resp.Data), "a@example.com")
		resp = custA.post(node, "", map[string]any{"id": scalar.EncodeID(b.order)})
		require.Contains(t, string(resp.Data), `"node":null`)
		resp = custA.post(me, "", nil)
		require.JSONEq(t, `{"me":{"permissions":[]},"viewerPermissions":[]}`, string(resp.Data))

		// An API client (no account, no role) passes the same rules by
		// its permissions alone.
		client := func(ps ...viewer.Permission) context.Context {
			return viewer.With(context.Background(), viewer.Viewer{Client: "erp", Permissions: ps})
		}
		erp, shop := client(viewer.OrdersRead), client(viewer.CatalogWrite)
		require.Equal(t, 2, s.client.Order.Query().CountX(erp))
		require.Zero(t, s.client.Order.Query().CountX(shop))
		require.Zero(t, s.client.Customer.Query().CountX(erp), "orders:read reads no customer")
		require.Zero(t, s.client.Address.Query().CountX(erp))
		require.Error(t, s.client.Order.UpdateOneID(a.order).SetNote("x").Exec(erp), "orders:read writes nothing")
		require.NoError(t, s.client.Order.UpdateOneID(a.order).SetNote("x").Exec(client(viewer.OrdersWrite)))

		// null gives back the role's set.
		resp = admin.post(set, "", map[string]any{"id": scalar.EncodeID(staffC.ID), "p": nil})
		require.Empty(t, resp.Errors)
		var out struct {
			SetStaffPermissions struct {
				Customer struct{ NarrowedPermissions []string }
			}
		}
		require.NoError(t, json.Unmarshal(resp.Data, &out))
		require.Nil(t, out.SetStaffPermissions.Customer.NarrowedPermissions)
		resp = token(staffC.ID).post(list, "", nil)
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), "a@example.com")
	})
}
