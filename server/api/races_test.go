package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/address"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// stockedVariants returns n variants of the demo store on sale, each with
// exactly onHand units and nothing reserved.
func stockedVariants(t *testing.T, s *store, n, onHand int) []*ent.ProductVariant {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	vs, err := s.client.ProductVariant.Query().
		Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
		Order(ent.Asc(productvariant.FieldID)).
		Limit(n).
		All(ctx)
	require.NoError(t, err)
	require.Len(t, vs, n)
	for i, v := range vs {
		vs[i], err = v.Update().SetStockOnHand(onHand).SetReserved(0).SetTrackInventory(true).Save(ctx)
		require.NoError(t, err)
	}
	return vs
}

// race sends n copies of a cart operation at once and sorts the answers:
// how many succeeded, the userError codes of the others, and anything
// else (top-level errors), which a race must never produce.
func race(t *testing.T, n int, send func(i int) gqlResponse) (ok int, codes []string, other []string) {
	t.Helper()
	for _, resp := range concurrently(n, send) {
		var data map[string]cartPayload
		switch {
		case len(resp.Errors) > 0:
			other = append(other, fmt.Sprint(resp.Errors))
		case json.Unmarshal(resp.Data, &data) != nil || len(data) != 1:
			other = append(other, string(resp.Data))
		default:
			for _, p := range data {
				switch {
				case len(p.UserErrors) == 0 && p.Cart != nil:
					ok++
				case len(p.UserErrors) == 1 && p.Cart == nil:
					codes = append(codes, p.UserErrors[0].Code)
				default:
					other = append(other, string(resp.Data))
				}
			}
		}
	}
	return ok, codes, other
}

// concurrently calls fn(0), …, fn(n-1) in n goroutines at once and
// returns their results in that order, once all have returned.
func concurrently[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = fn(i)
		}()
	}
	wg.Wait()
	return out
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// lineQuantities reads a cart's lines by variant straight from the
// database, counting lines so duplicates would show.
func lineQuantities(t *testing.T, s *store, token string) (map[int]int, int) {
	t.Helper()
	c, err := s.client.Cart.Query().Where(cart.Token(token)).WithLines().Only(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	out := map[int]int{}
	for _, l := range c.Edges.Lines {
		out[l.VariantID] += l.Quantity
	}
	return out, len(c.Edges.Lines)
}

// TestConcurrentCartAdds fires cart writes at once through the real
// handler: every +1 counts, first adds of a variant make one line, the
// cap (line maximum and stock) holds with userErrors for those beyond it,
// and a guest cart merged concurrently is merged once.
func TestConcurrentCartAdds(t *testing.T) {
	const n = 20
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		vs := stockedVariants(t, s, 4, 1000)
		plenty, fresh, scarce, capped := vs[0], vs[1], vs[2], vs[3]
		scarce, err := scarce.Update().SetStockOnHand(10).Save(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)

		p := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(plenty, 1), line(scarce, 5), line(capped, checkout.DefaultMaxLineQuantity-5)}})
		require.Empty(t, p.UserErrors)
		token := p.Cart.ID
		add := func(v *ent.ProductVariant, q int) func(int) gqlResponse {
			return func(int) gqlResponse {
				return s.postAsync(s.ops["CartLinesAdd"], "CartLinesAdd", map[string]any{"cartId": token, "lines": []any{line(v, q)}})
			}
		}

		// N concurrent +1 adds on one line give exactly N more.
		ok, codes, other := race(t, n, add(plenty, 1))
		require.Empty(t, other)
		require.Empty(t, codes)
		require.Equal(t, n, ok)
		got, lines := lineQuantities(t, s, token)
		require.Equal(t, 1+n, got[plenty.ID])

		// Concurrent first adds of a variant make one line with the sum.
		ok, codes, other = race(t, n, add(fresh, 2))
		require.Empty(t, other)
		require.Empty(t, codes)
		require.Equal(t, n, ok)
		got, lines2 := lineQuantities(t, s, token)
		require.Equal(t, 2*n, got[fresh.ID])
		require.Equal(t, lines+1, lines2, "one new line, no duplicate")

		// Beyond stock: 10 in stock, 5 in the cart, so 5 of the adds fit.
		ok, codes, other = race(t, n, add(scarce, 1))
		require.Empty(t, other)
		require.Equal(t, 5, ok)
		require.Equal(t, repeat("INSUFFICIENT_STOCK", n-5), codes)
		got, _ = lineQuantities(t, s, token)
		require.Equal(t, 10, got[scarce.ID])

		// Beyond the line maximum, whatever the stock.
		ok, codes, other = race(t, n, add(capped, 1))
		require.Empty(t, other)
		require.Equal(t, 5, ok)
		require.Equal(t, repeat("INVALID", n-5), codes)
		got, _ = lineQuantities(t, s, token)
		require.Equal(t, checkout.DefaultMaxLineQuantity, got[capped.ID])

		// A customer's first carts, created at once, are one cart.
		alice, aliceID := s.asCustomer(t, "alice")
		ok, codes, other = race(t, 8, func(int) gqlResponse {
			return alice.postAsync(s.ops["CartCreate"], "CartCreate", map[string]any{"lines": []any{line(plenty, 1)}})
		})
		require.Empty(t, other)
		require.Empty(t, codes)
		require.Equal(t, 8, ok)
		carts, err := s.client.Cart.Query().Where(cart.CustomerID(aliceID)).All(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)
		require.Len(t, carts, 1)
		own, _ := lineQuantities(t, s, carts[0].Token)
		require.Equal(t, 8, own[plenty.ID])

		// Racing merges of one guest cart: one wins, the rest are told the
		// guest cart is gone; its lines are merged once.
		guest := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(plenty, 3), line(fresh, 4)}})
		require.Empty(t, guest.UserErrors)
		bob, _ := s.asCustomer(t, "bob")
		ok, codes, other = race(t, 8, func(i int) gqlResponse {
			merger := alice
			if i%2 == 1 {
				merger = bob
			}
			return merger.postAsync(s.ops["CartMerge"], "CartMerge", map[string]any{"guestCartId": guest.Cart.ID})
		})
		require.Empty(t, other)
		require.Equal(t, 1, ok)
		require.Equal(t, repeat("NOT_FOUND", 7), codes)
		n, err := s.client.Cart.Query().Where(cart.Token(guest.Cart.ID)).Count(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)
		require.Zero(t, n, "the guest cart is gone")
		aliceCart, _ := lineQuantities(t, s, carts[0].Token)
		var bobCart map[int]int
		if bc, err := s.client.Cart.Query().Where(cart.HasCustomerWith()).All(viewer.System(context.Background(), "test: set up")); err == nil {
			for _, c := range bc {
				if c.ID != carts[0].ID {
					bobCart, _ = lineQuantities(t, s, c.Token)
				}
			}
		}
		merged := aliceCart[plenty.ID] - 8 + bobCart[plenty.ID]
		require.Equal(t, 3, merged, "the guest's 3 units were merged once")
		require.Equal(t, 4, aliceCart[fresh.ID]+bobCart[fresh.ID])
	})
}

// TestConcurrentAddressBook fires address-book writes of one customer at
// once: the book always ends with exactly one default, and a request that
// loses a race (deleting an address another just deleted) is told so with
// a userError, never a top-level error.
func TestConcurrentAddressBook(t *testing.T) {
	const n = 8
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		me, id := s.asCustomer(t, "amina")
		sys := viewer.System(context.Background(), "test: set up")
		defaults := func() int {
			k, err := s.client.Address.Query().Where(address.CustomerID(id), address.IsDefault(true)).Count(sys)
			require.NoError(t, err)
			return k
		}
		type payload struct {
			Address *struct {
				ID string `json:"id"`
			} `json:"address"`
			DeletedID  *string     `json:"deletedID"`
			UserErrors []userError `json:"userErrors"`
		}
		send := func(doc string, vars map[string]any) (ok bool, codes []string, other string) {
			resp := me.postAsync(doc, "", vars)
			if len(resp.Errors) > 0 {
				return false, nil, fmt.Sprint(resp.Errors)
			}
			var data map[string]payload
			if err := json.Unmarshal(resp.Data, &data); err != nil {
				return false, nil, string(resp.Data)
			}
			for _, p := range data {
				return len(p.UserErrors) == 0, codesOf(p.UserErrors), ""
			}
			return false, nil, string(resp.Data)
		}
		fan := func(doc string, vars func(i int) map[string]any) (ok int, codes, other []string) {
			type outcome struct {
				ok    bool
				codes []string
				other string
			}
			for _, o := range concurrently(n, func(i int) outcome {
				k, c, other := send(doc, vars(i))
				return outcome{k, c, other}
			}) {
				if o.ok {
					ok++
				}
				codes = append(codes, o.codes...)
				if o.other != "" {
					other = append(other, o.other)
				}
			}
			return ok, codes, other
		}

		// First addresses added at once: one of them is the default.
		const add = `mutation($input: AddressInput!) { addAddress(input: $input) { address { id } userErrors { field message code } } }`
		ok, codes, other := fan(add, func(i int) map[string]any {
			return map[string]any{"input": map[string]any{"line1": fmt.Sprintf("Moi Avenue %d", i+1), "city": "Nairobi", "countryCode": "KE"}}
		})
		require.Empty(t, other)
		require.Empty(t, codes)
		require.Equal(t, n, ok)
		require.Equal(t, 1, defaults())

		// Choosing different defaults at once: still exactly one.
		ids, err := s.client.Address.Query().Where(address.CustomerID(id)).IDs(sys)
		require.NoError(t, err)
		const setDefault = `mutation($id: ID!) { setDefaultAddress(id: $id) { address { id } userErrors { field message code } } }`
		ok, codes, other = fan(setDefault, func(i int) map[string]any { return map[string]any{"id": scalar.EncodeID(ids[i])} })
		require.Empty(t, other)
		require.Empty(t, codes)
		require.Equal(t, n, ok)
		require.Equal(t, 1, defaults())

		// Deleting the default at once: one wins, the others are told it
		// is gone; another address becomes the one default.
		def, err := s.client.Address.Query().Where(address.CustomerID(id), address.IsDefault(true)).OnlyID(sys)
		require.NoError(t, err)
		const del = `mutation($id: ID!) { deleteAddress(id: $id) { deletedID userErrors { field message code } } }`
		ok, codes, other = fan(del, func(int) map[string]any { return map[string]any{"id": scalar.EncodeID(def)} })
		require.Empty(t, other)
		require.Equal(t, 1, ok)
		require.Equal(t, repeat("NOT_FOUND", n-1), codes)
		require.Equal(t, 1, defaults())
		left, err := s.client.Address.Query().Where(address.CustomerID(id)).Count(sys)
		require.NoError(t, err)
		require.Equal(t, n-1, left)
	})
}

// TestCartAddsDuringCheckout races adds to a cart with its checkout:
// every unit an add reports is either in the order or still in the cart,
// never deleted with the emptied cart unordered.
func TestCartAddsDuringCheckout(t *testing.T) {
	const n = 10
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		vs := stockedVariants(t, s, 2, 1000)
		alice, _ := s.asCustomer(t, "alice")
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		require.Empty(t, p.UserErrors)
		token := p.Cart.ID

		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			added  int
			placed *orderData
			other  []string
		)
		wg.Add(n + 1)
		go func() {
			defer wg.Done()
			resp := alice.postAsync(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(token, "race"))
			mu.Lock()
			defer mu.Unlock()
			var pp placePayload
			if len(resp.Errors) > 0 || json.Unmarshal(resp.Data, &pp) != nil || pp.PlaceOrder.Order == nil {
				other = append(other, fmt.Sprint(resp.Errors, string(resp.Data)))
				return
			}
			placed = pp.PlaceOrder.Order
		}()
		for range n {
			go func() {
				defer wg.Done()
				resp := alice.postAsync(s.ops["CartLinesAdd"], "CartLinesAdd", map[string]any{"cartId": token, "lines": []any{line(vs[1], 1)}})
				mu.Lock()
				defer mu.Unlock()
				var data map[string]cartPayload
				switch {
				case len(resp.Errors) > 0 || json.Unmarshal(resp.Data, &data) != nil:
					other = append(other, fmt.Sprint(resp.Errors, string(resp.Data)))
				case len(data["cartLinesAdd"].UserErrors) == 0:
					added++
				default:
					other = append(other, string(resp.Data))
				}
			}()
		}
		wg.Wait()
		require.Empty(t, other)
		require.Equal(t, n, added)
		require.NotNil(t, placed)
		ordered := 0
		for _, l := range placed.Lines {
			if l.Sku == vs[1].Sku {
				ordered += l.Quantity
			}
		}
		inCart, _ := lineQuantities(t, s, token)
		require.Equal(t, n, ordered+inCart[vs[1].ID], "every added unit is ordered or still in the cart")
	})
}

// TestConcurrentPasswordChange races changes of one password from the
// same current one: exactly one applies, the others are told the current
// password is wrong (as it then is), and only the winner's new password
// signs in.
func TestConcurrentPasswordChange(t *testing.T) {
	const n = 4
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		reg := s.register("imani@example.com", goodPassword, "Imani", nil).Register.Token
		me := s.as(reg.AccessToken)
		const doc = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token { accessToken } userErrors { field code message } } }`
		password := func(i int) string { return fmt.Sprintf("brand-new-secret-%d", i) }
		responses := concurrently(n, func(i int) gqlResponse {
			return me.postAsync(doc, "", map[string]any{"c": goodPassword, "n": password(i)})
		})
		var won, codes, others []string
		for i, resp := range responses {
			var out struct {
				ChangePassword struct {
					Token      *struct{ AccessToken string }
					UserErrors []userError
				} `json:"changePassword"`
			}
			switch {
			case len(resp.Errors) == 1 && resp.codes()[0] == "UNAUTHENTICATED":
				// Arrived after the winner bumped the token version:
				// the shared access token is no longer valid.
				codes = append(codes, "UNAUTHENTICATED")
			case len(resp.Errors) > 0 || json.Unmarshal(resp.Data, &out) != nil:
				others = append(others, fmt.Sprint(resp.Errors, string(resp.Data)))
			case out.ChangePassword.Token != nil:
				won = append(won, password(i))
			default:
				codes = append(codes, codesOf(out.ChangePassword.UserErrors)...)
			}
		}
		require.Empty(t, others)
		require.Len(t, won, 1)
		require.Len(t, codes, n-1, "every other change lost")
		for _, c := range codes {
			require.Contains(t, []string{"INVALID_CREDENTIALS", "UNAUTHENTICATED"}, c, "a loser is told its password, or its token, no longer holds")
		}
		require.Empty(t, s.login("imani@example.com", won[0]).Login.UserErrors)
		for i := range n {
			if p := password(i); p != won[0] {
				require.NotEmpty(t, s.login("imani@example.com", p).Login.UserErrors)
			}
		}
	})
}
