package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// firstCount digs the first totalCount out of a response.
func firstCount(t *testing.T, resp gqlResponse) int {
	t.Helper()
	require.Empty(t, resp.Errors)
	var walk func(v any) (int, bool)
	walk = func(v any) (int, bool) {
		switch v := v.(type) {
		case map[string]any:
			if n, ok := v["totalCount"].(float64); ok {
				return int(n), true
			}
			for _, x := range v {
				if n, ok := walk(x); ok {
					return n, true
				}
			}
		}
		return 0, false
	}
	var data any
	require.NoError(t, json.Unmarshal(resp.Data, &data))
	n, ok := walk(data)
	require.True(t, ok, "no totalCount in %s", resp.Data)
	return n
}

// TestFiltersSeeOnlyWhatReadsSee counts products by name prefix through
// every `where` path that reaches products: directly, through a category's
// products, through a subcategory, from a product to its category's other
// products, and from a variant back to its product. A DRAFT or ARCHIVED
// product counts for staff only; an ACTIVE one for everyone.
func TestFiltersSeeOnlyWhatReadsSee(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		staff := s.asStaff()
		cust, _ := s.asCustomer(t, "shopper")

		var cat struct {
			CreateCategory struct {
				Category struct{ ID string }
			} `json:"createCategory"`
		}
		staff.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Oracle Parent", "slug": "oracle-parent"}}, &cat)
		parent := cat.CreateCategory.Category.ID
		staff.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Oracle Child", "slug": "oracle-child", "parentID": parent}}, &cat)
		child := cat.CreateCategory.Category.ID
		for i, p := range []struct{ name, status string }{{"Zqdraft Widget", "DRAFT"}, {"Zqlive Gadget", "ACTIVE"}, {"Zqold Thing", "ARCHIVED"}} {
			var out map[string]any
			staff.op("CreateProduct", map[string]any{"input": map[string]any{
				"name": p.name, "status": p.status, "categoryID": child,
				"variants": []map[string]any{{"sku": fmt.Sprint("ZQ-", i), "name": "One", "price": "10", "stockOnHand": 3}},
			}}, &out)
		}

		paths := map[string]string{
			"products":                               `query($p: String!) { products(first: 5, where: {nameHasPrefix: $p}) { totalCount } }`,
			"categories→products":                    `query($p: String!) { categories(first: 5, where: {hasProductsWith: [{nameHasPrefix: $p}]}) { totalCount } }`,
			"categories→children→products":           `query($p: String!) { categories(first: 5, where: {hasChildrenWith: [{hasProductsWith: [{nameHasPrefix: $p}]}]}) { totalCount } }`,
			"category.products":                      `query($p: String!) { category(slug: "oracle-child") { products(first: 5, where: {nameHasPrefix: $p}) { totalCount } } }`,
			"products→variants→product":              `query($p: String!) { products(first: 5, where: {hasVariantsWith: [{hasProductWith: [{nameHasPrefix: $p}]}]}) { totalCount } }`,
			"parent.products(sub)→category→products": `query($p: String!) { category(slug: "oracle-parent") { products(first: 5, includeSubcategories: true, where: {hasCategoryWith: [{hasProductsWith: [{nameHasPrefix: $p}]}]}) { totalCount } } }`,
		}
		// What each path counts for a prefix, for staff and for others.
		// From a product to its category's products, the root still lists
		// only what the viewer may read: one ACTIVE product for shoppers.
		want := func(path, prefix string, isStaff bool) int {
			active := prefix == "Zqlive"
			switch {
			case path == "parent.products(sub)→category→products" && isStaff:
				return 3
			case isStaff, active:
				return 1
			}
			return 0
		}
		for _, v := range []struct {
			name    string
			s       *store
			isStaff bool
		}{{"anonymous", s, false}, {"customer", cust, false}, {"staff", staff, true}} {
			for path, doc := range paths {
				for _, prefix := range []string{"Zqdraft", "Zqold", "Zqlive"} {
					got := firstCount(t, v.s.post(doc, "", map[string]any{"p": prefix}))
					require.Equal(t, want(path, prefix, v.isStaff), got, "%s counting %s through %s", v.name, prefix, path)
				}
			}
		}

		// Ordering shows only readable rows too.
		resp := s.post(`{ products(first: 10, orderBy: {field: NAME, direction: ASC}, where: {nameHasPrefix: "Zq"}) { edges { node { name } } } }`, "", nil)
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), "Zqlive Gadget")
		require.NotContains(t, string(resp.Data), "Zqdraft")
		resp = staff.post(`{ products(first: 10, orderBy: {field: NAME, direction: ASC}, where: {nameHasPrefix: "Zq"}) { edges { node { name } } } }`, "", nil)
		require.Contains(t, string(resp.Data), "Zqdraft Widget")
	})
}

// TestStoreNotificationsAreStaffOnly: a customer reads the notifications
// sent to them about their order, never the store's copies (which name
// the staff's addresses), by ID or through a filter; staff read both.
func TestStoreNotificationsAreStaffOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		sys := viewer.System(context.Background(), "test: set up")
		owner, ownerID := s.asCustomer(t, "owner")
		staff := s.asStaff()
		o := placed(t, s.client, func(c *ent.Client) *ent.OrderCreate {
			return c.Order.Create().SetCustomerID(ownerID).SetNumber("SV-NOTE").SetCurrency("KES").
				SetSubtotalMinor(1000).SetTotalMinor(1000).SetIdempotencyKey("note").
				SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"})
		})
		mine := s.client.Notification.Create().SetOrderID(o.ID).SetChannel(notification.ChannelEMAIL).
			SetRecipient("owner@example.com").SetTemplate("order_placed").SaveX(sys)
		storeCopy := s.client.Notification.Create().SetOrderID(o.ID).SetChannel(notification.ChannelEMAIL).
			SetRecipient("ops@store.example").SetTemplate("admin_order_placed").SetAudience(notification.AudienceSTORE).SaveX(sys)

		node := `query($id: ID!) { node(id: $id) { id } }`
		byRecipient := `query($p: String!) { me { orders(first: 5, where: {hasNotificationsWith: [{recipientHasPrefix: $p}]}) { totalCount } } }`
		staffByRecipient := `query($p: String!) { orders(first: 5, where: {hasNotificationsWith: [{recipientHasPrefix: $p}]}) { totalCount } }`
		for _, c := range []struct {
			name      string
			s         *store
			storeCopy bool
			orders    string
		}{{"owner", owner, false, byRecipient}, {"staff", staff, true, staffByRecipient}} {
			resp := c.s.post(node, "", map[string]any{"id": scalar.EncodeID(mine.ID)})
			require.Contains(t, string(resp.Data), scalar.EncodeID(mine.ID), c.name)
			resp = c.s.post(node, "", map[string]any{"id": scalar.EncodeID(storeCopy.ID)})
			require.Empty(t, resp.Errors)
			require.Equal(t, c.storeCopy, string(resp.Data) != `{"node":null}`, c.name)
			require.Equal(t, 1, firstCount(t, c.s.post(c.orders, "", map[string]any{"p": "owner@"})), c.name)
			want := 0
			if c.storeCopy {
				want = 1
			}
			require.Equal(t, want, firstCount(t, c.s.post(c.orders, "", map[string]any{"p": "ops@"})), c.name)
		}
	})
}

// TestStockFiguresAreStaffOnly: shoppers see quantityAvailable; the stock
// on hand and the reserved units are staff's, and no filter probes them.
func TestStockFiguresAreStaffOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		cust, _ := s.asCustomer(t, "shopper")
		available := `{ products(first: 1) { edges { node { variants { quantityAvailable } } } } }`
		figures := `{ products(first: 1) { edges { node { variants { stockOnHand reserved } } } } }`
		for _, v := range []struct {
			name string
			s    *store
			code string
		}{{"anonymous", s, "UNAUTHENTICATED"}, {"customer", cust, "FORBIDDEN"}} {
			resp := v.s.post(available, "", nil)
			require.Empty(t, resp.Errors, v.name)
			require.Contains(t, string(resp.Data), "quantityAvailable")
			resp = v.s.post(figures, "", nil)
			require.NotEmpty(t, resp.Errors, v.name)
			require.Equal(t, v.code, resp.codes()[0], v.name)
			require.NotContains(t, string(resp.Data), "stockOnHand", v.name)
		}
		resp := staff.post(figures, "", nil)
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), `"stockOnHand":`)

		// No where input filters on them, for anyone.
		for _, v := range []*store{s, staff} {
			resp := v.post(`{ products(first: 1, where: {hasVariantsWith: [{stockOnHandGT: 0}]}) { totalCount } }`, "", nil)
			require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, resp.codes())
		}
	})
}

// TestCartHidesProductsNoLongerForSale: a cart line whose product was
// archived drops out of the shopper's view (the cart itself still reads),
// and comes back when the product is ACTIVE again.
func TestCartHidesProductsNoLongerForSale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		p := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}})
		sys := viewer.System(context.Background(), "test: set up")
		lines := func() int {
			resp := s.post(s.ops["Cart"], "Cart", map[string]any{"id": p.Cart.ID})
			require.Empty(t, resp.Errors)
			var out struct {
				Cart *struct {
					TotalQuantity int
					Lines         []struct{ ID string }
				}
			}
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			require.NotNil(t, out.Cart)
			return len(out.Cart.Lines)
		}
		require.Equal(t, 1, lines())
		s.client.Product.UpdateOneID(v.ProductID).SetStatus(product.StatusARCHIVED).ExecX(sys)
		require.Equal(t, 0, lines())
		s.client.Product.UpdateOneID(v.ProductID).SetStatus(product.StatusACTIVE).ExecX(sys)
		require.Equal(t, 1, lines())
	})
}
