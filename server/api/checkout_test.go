package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderline"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/stockmovement"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type cartData struct {
	ID            string `json:"id"`
	TotalQuantity int    `json:"totalQuantity"`
	Subtotal      money  `json:"subtotal"`
	Lines         []struct {
		ID        string `json:"id"`
		Quantity  int    `json:"quantity"`
		LineTotal money  `json:"lineTotal"`
		Variant   struct {
			ID  string `json:"id"`
			Sku string `json:"sku"`
		} `json:"variant"`
	} `json:"lines"`
}

type cartPayload struct {
	Cart       *cartData   `json:"cart"`
	UserErrors []userError `json:"userErrors"`
}

type orderData struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Status string `json:"status"`
	Total  money  `json:"total"`
	Lines  []struct {
		Sku      string `json:"sku"`
		Quantity int    `json:"quantity"`
	} `json:"lines"`
	Payments []struct {
		ID     string `json:"id"`
		Method string `json:"method"`
		Status string `json:"status"`
	} `json:"payments"`
}

// stocked returns a variant of the demo store, on sale, with exactly
// onHand units and nothing reserved.
func stocked(t *testing.T, s *store, onHand int) *ent.ProductVariant {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	v, err := s.client.ProductVariant.Query().
		Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
		Order(ent.Asc(productvariant.FieldID)).
		First(ctx)
	require.NoError(t, err)
	v, err = v.Update().SetStockOnHand(onHand).SetReserved(0).SetTrackInventory(true).Save(ctx)
	require.NoError(t, err)
	return v
}

// customerStore returns the store acting as a new customer, and its ID.
func (s *store) asCustomer(t *testing.T, name string) (*store, int) {
	t.Helper()
	c, err := s.client.Customer.Create().
		SetEmail(fmt.Sprintf("%s-%s@example.com", name, t.Name()[len(t.Name())-6:])).
		SetName(name).
		SetRole(customer.RoleCUSTOMER).
		Save(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	tok, _, err := s.tokens.Issue(c.ID, customer.RoleCUSTOMER, 0)
	require.NoError(t, err)
	return s.as(tok), c.ID
}

func (s *store) cartOp(t *testing.T, name string, vars map[string]any) cartPayload {
	t.Helper()
	resp := s.post(s.ops[name], name, vars)
	require.Empty(t, resp.Errors, "%s answered errors", name)
	var data map[string]cartPayload
	require.NoError(t, json.Unmarshal(resp.Data, &data))
	for _, p := range data {
		return p
	}
	t.Fatalf("%s: no payload", name)
	return cartPayload{}
}

func line(v *ent.ProductVariant, q int) map[string]any {
	return map[string]any{"variantId": scalar.EncodeID(v.ID), "quantity": q}
}

var kenya = map[string]any{"line1": "Moi Avenue 1", "city": "Nairobi", "countryCode": "ke", "phone": "+254712345678"}

func placeOrderVars(cartID, key string) map[string]any {
	return map[string]any{"input": map[string]any{
		"cartId": cartID, "shippingAddress": kenya, "paymentMethod": "CASH_ON_DELIVERY", "idempotencyKey": key,
	}}
}

type placePayload struct {
	PlaceOrder struct {
		Order      *orderData  `json:"order"`
		UserErrors []userError `json:"userErrors"`
	} `json:"placeOrder"`
}

func decodePlace(t require.TestingT, resp gqlResponse) placePayload {
	require.Empty(t, resp.Errors)
	var p placePayload
	require.NoError(t, json.Unmarshal(resp.Data, &p))
	return p
}

func TestCarts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 5)

		// A guest cart, prices from the catalogue.
		p := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}})
		require.Empty(t, p.UserErrors)
		require.Len(t, p.Cart.ID, 22)
		require.Equal(t, 2, p.Cart.TotalQuantity)
		require.Len(t, p.Cart.Lines, 1)
		want := fmt.Sprintf("%d.%02d", v.PriceMinor*2/100, v.PriceMinor*2%100)
		require.Equal(t, want, p.Cart.Subtotal.Amount)
		guest := p.Cart.ID

		// Adding the same variant adds up; beyond stock is refused and
		// changes nothing.
		p = s.cartOp(t, "CartLinesAdd", map[string]any{"cartId": guest, "lines": []any{line(v, 2)}})
		require.Empty(t, p.UserErrors)
		require.Equal(t, 4, p.Cart.Lines[0].Quantity)
		p = s.cartOp(t, "CartLinesAdd", map[string]any{"cartId": guest, "lines": []any{line(v, 2)}})
		require.Nil(t, p.Cart)
		require.Equal(t, []string{"INSUFFICIENT_STOCK"}, codesOf(p.UserErrors))
		require.Equal(t, []string{"lines", "0", "quantity"}, p.UserErrors[0].Field)

		// Bad input: unknown variant, quantity out of range, unknown cart.
		p = s.cartOp(t, "CartLinesAdd", map[string]any{"cartId": guest, "lines": []any{
			map[string]any{"variantId": scalar.EncodeID(1), "quantity": 1}, line(v, 0),
		}})
		require.Equal(t, []string{"INVALID"}, codesOf(p.UserErrors), "quantities are checked before anything is read")
		p = s.cartOp(t, "CartLinesAdd", map[string]any{"cartId": guest, "lines": []any{
			map[string]any{"variantId": scalar.EncodeID(v.ID + 1_000_000), "quantity": 1},
		}})
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(p.UserErrors))
		require.Equal(t, []string{"lines", "0", "variantId"}, p.UserErrors[0].Field)
		p = s.cartOp(t, "CartLinesAdd", map[string]any{"cartId": "nope", "lines": []any{line(v, 1)}})
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(p.UserErrors))

		// Update and remove.
		lineID := p2line(t, s, guest)
		p = s.cartOp(t, "CartLinesUpdate", map[string]any{"cartId": guest, "lines": []any{map[string]any{"lineId": lineID, "quantity": 1}}})
		require.Empty(t, p.UserErrors)
		require.Equal(t, 1, p.Cart.TotalQuantity)
		p = s.cartOp(t, "CartLinesUpdate", map[string]any{"cartId": guest, "lines": []any{map[string]any{"lineId": lineID, "quantity": 6}}})
		require.Equal(t, []string{"INSUFFICIENT_STOCK"}, codesOf(p.UserErrors))
		p = s.cartOp(t, "CartLinesRemove", map[string]any{"cartId": guest, "lineIds": []any{lineID}})
		require.Empty(t, p.UserErrors)
		require.Zero(t, p.Cart.TotalQuantity)
		p = s.cartOp(t, "CartLinesRemove", map[string]any{"cartId": guest, "lineIds": []any{lineID}})
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(p.UserErrors))
		require.Equal(t, []string{"lineIds", "0"}, p.UserErrors[0].Field)

		// Merge: quantities add up, capped by stock; the guest cart is gone.
		p = s.cartOp(t, "CartLinesAdd", map[string]any{"cartId": guest, "lines": []any{line(v, 3)}})
		require.Empty(t, p.UserErrors)
		alice, _ := s.asCustomer(t, "alice")
		own := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 4)}})
		require.Empty(t, own.UserErrors)
		m := alice.cartOp(t, "CartMerge", map[string]any{"guestCartId": guest})
		require.Empty(t, m.UserErrors)
		require.Equal(t, own.Cart.ID, m.Cart.ID)
		require.Equal(t, 5, m.Cart.TotalQuantity, "4 + 3 capped by the 5 in stock")
		var got map[string]*cartData
		alice.op("Cart", map[string]any{"id": guest}, &got)
		require.Nil(t, got["cart"], "the guest cart was consumed")
		m = alice.cartOp(t, "CartMerge", map[string]any{"guestCartId": guest})
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(m.UserErrors))

		// A customer's cart does not exist for anyone else.
		bob, _ := s.asCustomer(t, "bob")
		bob.op("Cart", map[string]any{"id": own.Cart.ID}, &got)
		require.Nil(t, got["cart"])
		s.op("Cart", map[string]any{"id": own.Cart.ID}, &got)
		require.Nil(t, got["cart"])
		alice.op("Cart", map[string]any{"id": own.Cart.ID}, &got)
		require.Equal(t, 5, got["cart"].TotalQuantity)

		// Merging needs a signed-in customer.
		resp := s.post(s.ops["CartMerge"], "CartMerge", map[string]any{"guestCartId": "x"})
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
	})
}

func p2line(t *testing.T, s *store, cartID string) string {
	t.Helper()
	var got map[string]*cartData
	s.op("Cart", map[string]any{"id": cartID}, &got)
	require.NotEmpty(t, got["cart"].Lines)
	return got["cart"].Lines[0].ID
}

// TestNoOversell races buyers for the last units through the real
// handler: exactly the stock is sold, the rest are told INSUFFICIENT_STOCK,
// and reservations equal the open orders' lines.
func TestNoOversell(t *testing.T) {
	const buyers, units = 30, 10
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, units)
		type buyer struct {
			s    *store
			cart string
		}
		bs := make([]buyer, buyers)
		for i := range bs {
			b, _ := s.asCustomer(t, fmt.Sprintf("buyer%d", i))
			p := b.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
			require.Empty(t, p.UserErrors)
			bs[i] = buyer{b, p.Cart.ID}
		}
		var (
			wg                   sync.WaitGroup
			mu                   sync.Mutex
			placed, insufficient int
			other                []string
		)
		for i, b := range bs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := b.s.postAsync(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(b.cart, fmt.Sprintf("key-%d", i)))
				mu.Lock()
				defer mu.Unlock()
				var p placePayload
				switch {
				case len(resp.Errors) > 0:
					other = append(other, fmt.Sprint(resp.Errors))
				case json.Unmarshal(resp.Data, &p) != nil:
					other = append(other, string(resp.Data))
				case p.PlaceOrder.Order != nil:
					placed++
				case len(p.PlaceOrder.UserErrors) == 1 && p.PlaceOrder.UserErrors[0].Code == "INSUFFICIENT_STOCK":
					insufficient++
				default:
					other = append(other, string(resp.Data))
				}
			}()
		}
		wg.Wait()
		require.Empty(t, other)
		require.Equal(t, units, placed)
		require.Equal(t, buyers-units, insufficient)

		ctx := viewer.System(context.Background(), "test: set up")
		got, err := s.client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Equal(t, units, got.StockOnHand)
		require.Equal(t, units, got.Reserved)
		n, err := s.client.Order.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, units, n)
		require.Equal(t, reservedByOpenOrders(t, s, v.ID), got.Reserved)
	})
}

// reservedByOpenOrders sums the variant's lines in orders still holding
// stock (PENDING and CONFIRMED).
func reservedByOpenOrders(t *testing.T, s *store, variantID int) int {
	t.Helper()
	lines, err := s.client.OrderLine.Query().
		Where(orderline.VariantID(variantID), orderline.HasOrderWith(order.StatusIn(order.StatusPENDING, order.StatusCONFIRMED))).
		All(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	sum := 0
	for _, l := range lines {
		sum += l.Quantity
	}
	return sum
}

// TestIdempotentPlaceOrder retries one checkout concurrently with one key:
// one order, reserved once; a new key afterwards finds the cart empty.
func TestIdempotentPlaceOrder(t *testing.T) {
	const retries = 8
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		alice, _ := s.asCustomer(t, "alice")
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 3)}})
		require.Empty(t, p.UserErrors)

		ids := make([]string, retries)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := alice.postAsync(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "same-key"))
				var out placePayload
				if len(resp.Errors) == 0 && json.Unmarshal(resp.Data, &out) == nil && out.PlaceOrder.Order != nil {
					ids[i] = out.PlaceOrder.Order.ID
				} else {
					ids[i] = fmt.Sprintf("failed: %v %s", resp.Errors, resp.Data)
				}
			}()
		}
		wg.Wait()
		for _, id := range ids {
			require.Equal(t, ids[0], id)
		}
		ctx := viewer.System(context.Background(), "test: set up")
		n, err := s.client.Order.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := s.client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Equal(t, 3, got.Reserved)

		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "other-key")))
		require.Nil(t, out.PlaceOrder.Order)
		require.Equal(t, []string{"CART_EMPTY"}, codesOf(out.PlaceOrder.UserErrors))

		// Another customer's same key is their own.
		bob, _ := s.asCustomer(t, "bob")
		bc := bob.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		out = decodePlace(t, bob.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(bc.Cart.ID, "same-key")))
		require.NotNil(t, out.PlaceOrder.Order)
		require.NotEqual(t, ids[0], out.PlaceOrder.Order.ID)
	})
}

func TestPlaceOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		alice, _ := s.asCustomer(t, "alice")
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}})

		// Guests cannot check out.
		resp := s.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k"))
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())

		// Bad input is reported field by field, and nothing is written.
		bad := placeOrderVars(p.Cart.ID, " ")
		bad["input"].(map[string]any)["shippingAddress"] = map[string]any{"line1": "", "city": "Nairobi", "countryCode": "KEN"}
		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", bad))
		require.ElementsMatch(t, []string{"REQUIRED", "REQUIRED", "INVALID"}, codesOf(out.PlaceOrder.UserErrors))
		bad = placeOrderVars(p.Cart.ID, "k")
		bad["input"].(map[string]any)["shippingAddress"] = nil
		out = decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", bad))
		require.Equal(t, []string{"REQUIRED"}, codesOf(out.PlaceOrder.UserErrors))
		bob, _ := s.asCustomer(t, "bob")
		out = decodePlace(t, bob.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(out.PlaceOrder.UserErrors), "another customer's cart does not exist")

		// Stock taken meanwhile: refused, nothing reserved, cart intact.
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, s.client.ProductVariant.UpdateOneID(v.ID).SetStockOnHand(1).Exec(ctx))
		out = decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
		require.Equal(t, []string{"INSUFFICIENT_STOCK"}, codesOf(out.PlaceOrder.UserErrors))
		require.NoError(t, s.client.ProductVariant.UpdateOneID(v.ID).SetStockOnHand(10).Exec(ctx))
		got, err := s.client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Zero(t, got.Reserved)

		out = decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
		require.Empty(t, out.PlaceOrder.UserErrors)
		o := out.PlaceOrder.Order
		require.Regexp(t, `^SV-1\d{5}$`, o.Number)
		require.Equal(t, "PENDING", o.Status)
		require.Equal(t, []string{v.Sku}, []string{o.Lines[0].Sku})
		require.Len(t, o.Payments, 1)
		require.Equal(t, "CASH_ON_DELIVERY", o.Payments[0].Method)
		require.Equal(t, "PENDING", o.Payments[0].Status)
		var cart map[string]*cartData
		alice.op("Cart", map[string]any{"id": p.Cart.ID}, &cart)
		require.Zero(t, cart["cart"].TotalQuantity, "the order emptied the cart")

		// The owner and staff read it; others do not.
		var read map[string]*orderData
		alice.op("Order", map[string]any{"id": o.ID}, &read)
		require.Equal(t, o.Number, read["order"].Number)
		bob.op("Order", map[string]any{"id": o.ID}, &read)
		require.Nil(t, read["order"])
		s.asStaff().op("Order", map[string]any{"id": o.ID}, &read)
		require.Equal(t, o.Number, read["order"].Number)

		// Numbers come from a sequence.
		p = alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		out = decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k2")))
		require.NotNil(t, out.PlaceOrder.Order)
		var a, b int
		_, _ = fmt.Sscanf(o.Number, "SV-%d", &a)
		_, _ = fmt.Sscanf(out.PlaceOrder.Order.Number, "SV-%d", &b)
		require.Equal(t, a+1, b)

		// Staff list orders with filters.
		var list struct {
			Orders struct {
				TotalCount int `json:"totalCount"`
			} `json:"orders"`
		}
		staff := s.asStaff()
		staff.op("AdminOrders", map[string]any{"where": map[string]any{"status": "PENDING"}, "orderBy": map[string]any{"field": "TOTAL", "direction": "DESC"}}, &list)
		require.Equal(t, 2, list.Orders.TotalCount)
		resp = alice.post(s.ops["AdminOrders"], "AdminOrders", nil)
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
	})
}

// TestOrderTransitions tries every move of the state machine from every
// status: legal ones change the status and append an event, illegal ones
// are INVALID_TRANSITION and change nothing. Stock follows: cancelling
// releases the reservation, shipping turns it into a ledger movement.
func TestOrderTransitions(t *testing.T) {
	statuses := []string{"PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"}
	legal := map[string][]string{
		"PENDING":   {"CONFIRMED", "CANCELLED"},
		"CONFIRMED": {"SHIPPED", "CANCELLED"},
		"SHIPPED":   {"DELIVERED"},
		"DELIVERED": {"REFUNDED"},
	}
	// A path of legal moves from PENDING to each status.
	path := map[string][]string{
		"PENDING":   nil,
		"CONFIRMED": {"CONFIRMED"},
		"SHIPPED":   {"CONFIRMED", "SHIPPED"},
		"DELIVERED": {"CONFIRMED", "SHIPPED", "DELIVERED"},
		"CANCELLED": {"CANCELLED"},
		"REFUNDED":  {"CONFIRMED", "SHIPPED", "DELIVERED", "REFUNDED"},
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 1000)
		alice, _ := s.asCustomer(t, "alice")
		staff := s.asStaff()
		ctx := viewer.System(context.Background(), "test: set up")
		n := 0
		place := func() string {
			n++
			p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}})
			out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, fmt.Sprint("k", n))))
			require.NotNil(t, out.PlaceOrder.Order)
			return out.PlaceOrder.Order.ID
		}
		move := func(id, to string) []userError {
			var out struct {
				UpdateOrderStatus struct {
					Order *struct {
						Status string `json:"status"`
						Events []struct {
							Type string `json:"type"`
						} `json:"events"`
					} `json:"order"`
					UserErrors []userError `json:"userErrors"`
				} `json:"updateOrderStatus"`
			}
			staff.op("UpdateOrderStatus", map[string]any{"id": id, "status": to, "note": "test"}, &out)
			if len(out.UpdateOrderStatus.UserErrors) == 0 {
				require.Equal(t, to, out.UpdateOrderStatus.Order.Status)
			}
			return out.UpdateOrderStatus.UserErrors
		}
		for _, from := range statuses {
			for _, to := range statuses {
				t.Run(from+"→"+to, func(t *testing.T) {
					id := place()
					for _, step := range path[from] {
						require.Empty(t, move(id, step))
					}
					oid, err := scalar.DecodeID(id)
					require.NoError(t, err)
					before, err := s.client.Order.Query().Where(order.ID(oid)).WithEvents().Only(ctx)
					require.NoError(t, err)
					ues := move(id, to)
					after, err := s.client.Order.Query().Where(order.ID(oid)).WithEvents().Only(ctx)
					require.NoError(t, err)
					if contains(legal[from], to) {
						require.Empty(t, ues)
						require.Equal(t, to, string(after.Status))
						require.Len(t, after.Edges.Events, len(before.Edges.Events)+1)
					} else {
						require.Equal(t, []string{"INVALID_TRANSITION"}, codesOf(ues))
						require.Equal(t, from, string(after.Status))
						require.Len(t, after.Edges.Events, len(before.Edges.Events))
					}
					got, err := s.client.ProductVariant.Get(ctx, v.ID)
					require.NoError(t, err)
					require.Equal(t, reservedByOpenOrders(t, s, v.ID), got.Reserved)
					moves, err := s.client.StockMovement.Query().Where(stockmovement.VariantID(v.ID), stockmovement.OrderIDNotNil()).All(ctx)
					require.NoError(t, err)
					shipped := 0
					for _, m := range moves {
						shipped -= m.Delta
					}
					require.Equal(t, 1000-shipped, got.StockOnHand, "the ledger accounts for every unit shipped")
				})
			}
		}

		// Customers cancel only their own PENDING or CONFIRMED orders.
		id := place()
		bob, _ := s.asCustomer(t, "bob")
		cancel := func(as *store, id string) []userError {
			var out struct {
				CancelOrder struct {
					UserErrors []userError `json:"userErrors"`
				} `json:"cancelOrder"`
			}
			as.op("CancelOrder", map[string]any{"id": id, "reason": "changed my mind"}, &out)
			return out.CancelOrder.UserErrors
		}
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(cancel(bob, id)))
		require.Empty(t, cancel(alice, id))
		require.Equal(t, []string{"INVALID_TRANSITION"}, codesOf(cancel(alice, id)))
		id = place()
		require.Empty(t, move(id, "CONFIRMED"))
		require.Empty(t, move(id, "SHIPPED"))
		require.Equal(t, []string{"INVALID_TRANSITION"}, codesOf(cancel(alice, id)))

		// Customers cannot move orders at all.
		resp := alice.post(s.ops["UpdateOrderStatus"], "UpdateOrderStatus", map[string]any{"id": id, "status": "DELIVERED"})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestCartStatements holds the Cart query to a fixed number of SQL
// statements, the same for one line as for many.
func TestCartStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		ctx := viewer.System(context.Background(), "test: set up")
		vs, err := s.client.ProductVariant.Query().
			Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
			Order(ent.Asc(productvariant.FieldID)).
			Limit(6).
			All(ctx)
		require.NoError(t, err)
		require.Len(t, vs, 6)
		lines := []any{}
		for _, v := range vs {
			require.NoError(t, v.Update().SetStockOnHand(10).SetReserved(0).Exec(ctx))
			lines = append(lines, line(v, 1))
		}
		one := s.cartOp(t, "CartCreate", map[string]any{"lines": lines[:1]})
		many := s.cartOp(t, "CartCreate", map[string]any{"lines": lines})
		require.Empty(t, many.UserErrors)
		require.Len(t, many.Cart.Lines, 6)
		n1 := s.statements("Cart", map[string]any{"id": one.Cart.ID})
		n6 := s.statements("Cart", map[string]any{"id": many.Cart.ID})
		require.Equal(t, n1, n6)
		require.LessOrEqual(t, n6, int64(4))
	})
}

// TestConcurrentTransitions races cancels by the customer against staff
// moves on the same orders: each order ends in one state, and stock
// reserved and on hand match what happened (released once, shipped once).
func TestConcurrentTransitions(t *testing.T) {
	const orders = 6
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 100)
		alice, _ := s.asCustomer(t, "alice")
		staff := s.asStaff()
		ids := make([]string, orders)
		for i := range ids {
			p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 3)}})
			out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, fmt.Sprint("k", i))))
			require.NotNil(t, out.PlaceOrder.Order)
			ids[i] = out.PlaceOrder.Order.ID
			var ok struct {
				UpdateOrderStatus struct {
					UserErrors []userError `json:"userErrors"`
				} `json:"updateOrderStatus"`
			}
			staff.op("UpdateOrderStatus", map[string]any{"id": ids[i], "status": "CONFIRMED"}, &ok)
			require.Empty(t, ok.UpdateOrderStatus.UserErrors)
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			for range 3 {
				wg.Add(2)
				go func() {
					defer wg.Done()
					alice.postAsync(s.ops["CancelOrder"], "CancelOrder", map[string]any{"id": id})
				}()
				go func() {
					defer wg.Done()
					staff.postAsync(s.ops["UpdateOrderStatus"], "UpdateOrderStatus", map[string]any{"id": id, "status": "SHIPPED"})
				}()
			}
		}
		wg.Wait()
		ctx := viewer.System(context.Background(), "test: set up")
		all, err := s.client.Order.Query().WithEvents().All(ctx)
		require.NoError(t, err)
		shipped := 0
		for _, o := range all {
			require.Contains(t, []order.Status{order.StatusSHIPPED, order.StatusCANCELLED}, o.Status)
			require.Len(t, o.Edges.Events, 3, "placed, confirmed, and one final move")
			if o.Status == order.StatusSHIPPED {
				shipped++
			}
		}
		got, err := s.client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Zero(t, got.Reserved)
		require.Equal(t, 100-3*shipped, got.StockOnHand)
		moves, err := s.client.StockMovement.Query().Where(stockmovement.VariantID(v.ID), stockmovement.OrderIDNotNil()).Count(ctx)
		require.NoError(t, err)
		require.Equal(t, shipped, moves)
	})
}

// TestAdminOrdersStatements holds the AdminOrders page (customer, lines
// and payments of each order) to the same number of SQL statements for 2
// orders as for 6.
func TestAdminOrdersStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 100)
		staff := s.asStaff()
		count := func() int64 {
			return staff.statements("AdminOrders", map[string]any{"first": 20, "orderBy": map[string]any{"field": "PLACED_AT", "direction": "DESC"}})
		}
		placeN := func(n int) {
			for i := range n {
				c, _ := s.asCustomer(t, fmt.Sprint("c", i, "-", n))
				p := c.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
				out := decodePlace(t, c.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
				require.NotNil(t, out.PlaceOrder.Order)
			}
		}
		count() // the staff token's first use reads its version; budgets are steady state
		placeN(2)
		two := count()
		placeN(4)
		six := count()
		require.Equal(t, two, six)
		require.LessOrEqual(t, six, int64(5), "count, orders, customers, lines, payments")
	})
}

// TestPlaceOrderFromAddressBook ships to an address of the customer's own
// book, copied into the order; another customer's address does not exist.
func TestPlaceOrderFromAddressBook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		alice, aliceID := s.asCustomer(t, "alice")
		_, bobID := s.asCustomer(t, "bob")
		ctx := viewer.System(context.Background(), "test: set up")
		mine, err := s.client.Address.Create().SetCustomerID(aliceID).SetLine1("Kenyatta Ave 5").SetCity("Mombasa").SetCountryCode("KE").Save(ctx)
		require.NoError(t, err)
		theirs, err := s.client.Address.Create().SetCustomerID(bobID).SetLine1("Elsewhere 1").SetCity("Kisumu").SetCountryCode("KE").Save(ctx)
		require.NoError(t, err)
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		vars := func(addressID int) map[string]any {
			return map[string]any{"input": map[string]any{
				"cartId": p.Cart.ID, "shippingAddressId": scalar.EncodeID(addressID), "paymentMethod": "CASH_ON_DELIVERY", "idempotencyKey": "k",
			}}
		}
		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", vars(theirs.ID)))
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(out.PlaceOrder.UserErrors))
		require.Equal(t, []string{"input", "shippingAddressId"}, out.PlaceOrder.UserErrors[0].Field)
		out = decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", vars(mine.ID)))
		require.Empty(t, out.PlaceOrder.UserErrors)
		oid, err := scalar.DecodeID(out.PlaceOrder.Order.ID)
		require.NoError(t, err)
		o, err := s.client.Order.Get(ctx, oid)
		require.NoError(t, err)
		require.Equal(t, "Mombasa", o.ShippingAddress.City)
		require.Equal(t, "alice", o.ShippingAddress.Name)

		// Editing the book later does not change the order.
		require.NoError(t, mine.Update().SetCity("Malindi").Exec(ctx))
		o, err = s.client.Order.Get(ctx, oid)
		require.NoError(t, err)
		require.Equal(t, "Mombasa", o.ShippingAddress.City)
	})
}
