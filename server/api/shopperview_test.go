package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// orderOpCodes posts a contract mutation whose payload holds an order (or a
// payment) and userErrors, and returns the userErrors' codes.
func orderOpCodes(t *testing.T, s *store, name string, vars map[string]any) []string {
	t.Helper()
	resp := s.post(s.ops[name], name, vars)
	require.Empty(t, resp.Errors, "%s answered errors", name)
	var data map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	require.NoError(t, json.Unmarshal(resp.Data, &data))
	for _, p := range data {
		return codesOf(p.UserErrors)
	}
	t.Fatalf("%s: no payload", name)
	return nil
}

// TestStaffShopAsShoppers: staff read every product and order, but what
// checkout sells and whose orders a shopper's mutations touch are the
// privacy rules' answer for a shopper (viewer.AsShopper), so a staff
// member's own cart refuses a DRAFT product and their cancel or pay of
// another customer's order is NOT_FOUND, each beside the path that works.
func TestStaffShopAsShoppers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		sys := viewer.System(context.Background(), "test: set up")
		v := stocked(t, s, 10)
		draft, err := s.client.ProductVariant.Query().
			Where(productvariant.IDNEQ(v.ID), productvariant.ProductIDNEQ(v.ProductID)).
			Order(ent.Asc(productvariant.FieldID)).
			First(sys)
		require.NoError(t, err)
		require.NoError(t, draft.Update().SetStockOnHand(10).SetReserved(0).Exec(sys))
		require.NoError(t, s.client.Product.UpdateOneID(draft.ProductID).SetStatus(product.StatusDRAFT).Exec(sys))
		staff := s.asStaff()

		// Staff see the draft product...
		var got struct {
			Product *struct{ ID string } `json:"product"`
		}
		dp, err := s.client.Product.Get(sys, draft.ProductID)
		require.NoError(t, err)
		staff.op("ProductDetail", map[string]any{"slug": dp.Slug}, &got)
		require.NotNil(t, got.Product, "staff read a DRAFT product")
		// ...but cannot buy it; an ACTIVE one they can.
		p := staff.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(draft, 1)}})
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(p.UserErrors))
		require.Equal(t, []string{"lines", "0", "variantId"}, p.UserErrors[0].Field)
		require.Equal(t, "this product is not for sale", p.UserErrors[0].Message)
		p = staff.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		require.Empty(t, p.UserErrors)

		// A product hidden after it went into the cart is refused at
		// checkout with the contract's answer; shown again, it sells.
		require.NoError(t, s.client.Product.UpdateOneID(v.ProductID).SetStatus(product.StatusARCHIVED).Exec(sys))
		out := decodePlace(t, staff.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(out.PlaceOrder.UserErrors))
		require.Contains(t, out.PlaceOrder.UserErrors[0].Message, "no longer for sale")
		require.NoError(t, s.client.Product.UpdateOneID(v.ProductID).SetStatus(product.StatusACTIVE).Exec(sys))
		out = decodePlace(t, staff.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
		require.Empty(t, out.PlaceOrder.UserErrors)

		// A customer's order: staff read it, but paying or cancelling it
		// is the owner's; for anyone else it is not found.
		alice, _ := s.asCustomer(t, "alice")
		ap := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		require.Equal(t, []string{"NOT_FOUND"},
			codesOf(decodePlace(t, staff.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(ap.Cart.ID, "s"))).PlaceOrder.UserErrors),
			"another customer's cart does not exist for staff's checkout either")
		ao := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(ap.Cart.ID, "a"))).PlaceOrder.Order
		require.NotNil(t, ao)
		var read map[string]*orderData
		staff.op("Order", map[string]any{"id": ao.ID}, &read)
		require.Equal(t, ao.Number, read["order"].Number)

		pay := map[string]any{"orderId": ao.ID, "method": "CASH_ON_DELIVERY"}
		require.Equal(t, []string{"NOT_FOUND"}, orderOpCodes(t, staff, "PayOrder", pay))
		require.Empty(t, orderOpCodes(t, alice, "PayOrder", pay))
		cancel := map[string]any{"id": ao.ID}
		require.Equal(t, []string{"NOT_FOUND"}, orderOpCodes(t, staff, "CancelOrder", cancel))
		require.Empty(t, orderOpCodes(t, alice, "CancelOrder", cancel))
	})
}

// TestCheckoutMutationsNeedSignIn: placeOrder, payOrder, cancelOrder and
// cartMerge carry @auth, so a guest is UNAUTHENTICATED before any
// resolver runs, and a signed-in customer gets the operation's own
// answer.
func TestCheckoutMutationsNeedSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		alice, _ := s.asCustomer(t, "alice")
		guest := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		own := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		o := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(own.Cart.ID, "k"))).PlaceOrder.Order
		require.NotNil(t, o)
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"CartMerge", map[string]any{"guestCartId": guest.Cart.ID}},
			{"PayOrder", map[string]any{"orderId": o.ID, "method": "CASH_ON_DELIVERY"}},
			{"CancelOrder", map[string]any{"id": o.ID}},
			{"PlaceOrder", placeOrderVars(guest.Cart.ID, "g")},
		} {
			t.Run(tc.op, func(t *testing.T) {
				resp := s.post(s.ops[tc.op], tc.op, tc.vars)
				require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
				resp = alice.post(s.ops[tc.op], tc.op, tc.vars)
				require.Empty(t, resp.Errors)
			})
		}
	})
}
