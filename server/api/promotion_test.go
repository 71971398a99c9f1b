package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/voucher"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type promoCart struct {
	ID            string `json:"id"`
	DiscountCodes []struct {
		Code    string  `json:"code"`
		Applied bool    `json:"applied"`
		Reason  *string `json:"reason"`
	} `json:"discountCodes"`
	Discounts []struct {
		Name   string  `json:"name"`
		Code   *string `json:"code"`
		Amount money   `json:"amount"`
	} `json:"discounts"`
	Discount   money `json:"discount"`
	Subtotal   money `json:"subtotal"`
	TaxedTotal taxed `json:"taxedTotal"`
	Lines      []struct {
		ID string `json:"id"`
	} `json:"lines"`
}

type promoOrder struct {
	ID        string `json:"id"`
	Discount  money  `json:"discount"`
	Discounts []struct {
		Name   string  `json:"name"`
		Code   *string `json:"code"`
		Amount money   `json:"amount"`
	} `json:"discounts"`
	Total money `json:"total"`
	Lines []struct {
		Discount   money `json:"discount"`
		TaxedTotal taxed `json:"taxedTotal"`
	} `json:"lines"`
}

type promoPlaced struct {
	PlaceOrder struct {
		Order      *promoOrder `json:"order"`
		UserErrors []userError `json:"userErrors"`
	} `json:"placeOrder"`
}

// promoOp runs a contract operation of promotions.graphql and decodes
// its one payload into out.
func promoOp(t *testing.T, s *store, name string, vars map[string]any, out any) {
	t.Helper()
	resp := s.post(s.ops[name], name, vars)
	require.Empty(t, resp.Errors, "%s answered errors", name)
	var data map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(resp.Data, &data))
	for _, raw := range data {
		require.NoError(t, json.Unmarshal(raw, out))
		return
	}
}

// newPromotion creates a promotion as staff and returns its ID.
func newPromotion(t *testing.T, staff *store, input map[string]any) string {
	t.Helper()
	var p struct {
		Promotion  *struct{ ID string } `json:"promotion"`
		UserErrors []userError          `json:"userErrors"`
	}
	promoOp(t, staff, "CreatePromotion", map[string]any{"input": input}, &p)
	require.Empty(t, p.UserErrors)
	return p.Promotion.ID
}

// newCode makes one code for a promotion with the given limits.
func newCode(t *testing.T, staff *store, promotionID, prefix string, limits map[string]any) string {
	t.Helper()
	in := map[string]any{"count": 1, "prefix": prefix}
	for k, v := range limits {
		in[k] = v
	}
	var g struct {
		Codes      []string    `json:"codes"`
		UserErrors []userError `json:"userErrors"`
	}
	promoOp(t, staff, "GenerateVouchers", map[string]any{"promotionId": promotionID, "input": in}, &g)
	require.Empty(t, g.UserErrors)
	require.Len(t, g.Codes, 1)
	return g.Codes[0]
}

func setCodes(t *testing.T, s *store, cartID string, codes ...string) promoCart {
	t.Helper()
	var p struct {
		Cart       *promoCart  `json:"cart"`
		UserErrors []userError `json:"userErrors"`
	}
	promoOp(t, s, "CartDiscountCodesUpdate", map[string]any{"cartId": cartID, "codes": codes}, &p)
	require.Empty(t, p.UserErrors)
	return *p.Cart
}

func placePromo(s *store, vars map[string]any) (promoPlaced, error) {
	resp := s.postAsync(s.ops["PromoPlaceOrder"], "PromoPlaceOrder", vars)
	var p promoPlaced
	if len(resp.Errors) > 0 {
		return p, fmt.Errorf("errors: %v", resp.Errors)
	}
	return p, json.Unmarshal(resp.Data, &p)
}

// TestVoucherCodeOnCartAndOrder: a code entered in any case applies to the
// cart (10 % off), the cart reports codes that do not apply
// with their reasons, and the order keeps the code, its amount and each
// line's share; a staff member's bad promotion is refused beside the good
// one, and a shopper may not create promotions at all.
func TestVoucherCodeOnCartAndOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 100)

		var bad struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "CreatePromotion", map[string]any{"input": map[string]any{"name": "Broken", "action": "PERCENTAGE"}}, &bad)
		require.Equal(t, []string{"INVALID"}, codesOf(bad.UserErrors), "a percentage needs its percentage")
		refused := s.post(s.ops["CreatePromotion"], "CreatePromotion", map[string]any{"input": map[string]any{"name": "X", "action": "PERCENTAGE", "percentBp": 1000}})
		require.NotEmpty(t, refused.codes(), "shoppers may not create promotions")

		pid := newPromotion(t, staff, map[string]any{"name": "Ten off", "action": "PERCENTAGE", "percentBp": 1000, "requiresCode": true})
		code := newCode(t, staff, pid, "ten-", nil)
		big := newPromotion(t, staff, map[string]any{"name": "Big spender", "action": "FIXED_AMOUNT", "amount": "500.00", "requiresCode": true, "minSubtotal": "99999999.00"})
		bigCode := newCode(t, staff, big, "BIG", nil)
		past := time.Now().Add(-48 * time.Hour)
		ended := newPromotion(t, staff, map[string]any{"name": "Old", "action": "PERCENTAGE", "percentBp": 500, "requiresCode": true,
			"startsAt": past.Format(time.RFC3339), "endsAt": past.Add(time.Hour).Format(time.RFC3339)})
		endedCode := newCode(t, staff, ended, "OLD", nil)

		alice, _ := s.asCustomer(t, "alice")
		cart := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}}).Cart.ID
		c := setCodes(t, alice, cart, " "+toLower(code)+" ", bigCode, endedCode, "NOSUCHCODE")
		reasons := map[string]string{}
		for _, dc := range c.DiscountCodes {
			r := "APPLIED"
			if dc.Reason != nil {
				r = *dc.Reason
			}
			require.Equal(t, dc.Applied, dc.Reason == nil)
			reasons[dc.Code] = r
		}
		require.Equal(t, map[string]string{code: "APPLIED", bigCode: "MINIMUM_NOT_MET", endedCode: "EXPIRED", "NOSUCHCODE": "NOT_FOUND"}, reasons)
		subtotal := cents(t, c.Subtotal.Amount)
		require.Equal(t, subtotal/10, cents(t, c.Discount.Amount))
		require.Len(t, c.Discounts, 1)
		require.Equal(t, code, *c.Discounts[0].Code)
		require.Equal(t, subtotal-subtotal/10, cents(t, c.TaxedTotal.Gross), "VAT-inclusive store: the total is after the discount")

		p, err := placePromo(alice, placeOrderVars(cart, "promo-1"))
		require.NoError(t, err)
		require.Empty(t, p.PlaceOrder.UserErrors)
		o := p.PlaceOrder.Order
		require.Equal(t, c.Discount, o.Discount)
		require.Equal(t, c.TaxedTotal.Gross, o.Total.Amount, "the cart and the order price alike")
		require.Len(t, o.Discounts, 1)
		require.Equal(t, "Ten off", o.Discounts[0].Name)
		var lines int64
		for _, l := range o.Lines {
			lines += cents(t, l.Discount.Amount)
			require.Equal(t, cents(t, l.TaxedTotal.Gross), cents(t, l.TaxedTotal.Net)+cents(t, l.TaxedTotal.Tax))
		}
		require.Equal(t, cents(t, o.Discount.Amount), lines, "the lines' shares add up to the discount")

		var list struct {
			Promotions []struct {
				Name string `json:"name"`
				Uses int    `json:"uses"`
			} `json:"promotions"`
		}
		staff.op("Promotions", nil, &list)
		uses := map[string]int{}
		for _, p := range list.Promotions {
			uses[p.Name] = p.Uses
		}
		require.Equal(t, map[string]int{"Ten off": 1, "Big spender": 0, "Old": 0}, uses)
	})
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestVoucherLimitRace: 50 buyers race for a code limited to 10 uses:
// exactly 10 orders are discounted, the other 40 are told
// USAGE_LIMIT_REACHED and keep their carts; a cancelled order gives its
// use back, and one of the 40 then gets it.
func TestVoucherLimitRace(t *testing.T) {
	const buyers, limit = 50, 10
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 1000)
		pid := newPromotion(t, staff, map[string]any{"name": "First ten", "action": "FIXED_AMOUNT", "amount": "100.00", "requiresCode": true})
		code := newCode(t, staff, pid, "RACE", map[string]any{"usageLimit": limit})

		type buyer struct {
			s    *store
			cart string
		}
		bs := make([]buyer, buyers)
		for i := range bs {
			b, _ := s.asCustomer(t, fmt.Sprintf("racer%d", i))
			id := b.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}}).Cart.ID
			require.True(t, setCodes(t, b, id, code).DiscountCodes[0].Applied)
			bs[i] = buyer{b, id}
		}
		var (
			wg         sync.WaitGroup
			mu         sync.Mutex
			discounted []buyer
			orders     []string
			refused    []buyer
			other      []string
		)
		for i, b := range bs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := placePromo(b.s, placeOrderVars(b.cart, fmt.Sprintf("race-%d", i)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					other = append(other, err.Error())
				case p.PlaceOrder.Order != nil && p.PlaceOrder.Order.Discount.Amount == "100.00":
					discounted = append(discounted, b)
					orders = append(orders, p.PlaceOrder.Order.ID)
				case len(p.PlaceOrder.UserErrors) == 1 && p.PlaceOrder.UserErrors[0].Code == "USAGE_LIMIT_REACHED":
					refused = append(refused, b)
				default:
					other = append(other, fmt.Sprintf("%+v", p.PlaceOrder))
				}
			}()
		}
		wg.Wait()
		require.Empty(t, other)
		require.Len(t, discounted, limit)
		require.Len(t, refused, buyers-limit)
		sys := viewer.System(context.Background(), "test: check")
		require.Equal(t, limit, s.client.Order.Query().CountX(sys), "no undiscounted order slipped through")
		vc := s.client.Voucher.Query().Where(voucher.Code(code)).OnlyX(sys)
		require.Equal(t, limit, vc.Uses)

		// A refused buyer keeps the cart, which says why.
		var got struct{ Cart promoCart }
		refused[0].s.op("PromoCart", map[string]any{"id": refused[0].cart}, &got)
		require.Len(t, got.Cart.Lines, 1)
		require.Equal(t, "USAGE_LIMIT_REACHED", *got.Cart.DiscountCodes[0].Reason)

		// Cancelling gives the use back; the refused buyer gets it.
		var cancel struct {
			Order      *struct{ Status string } `json:"order"`
			UserErrors []userError              `json:"userErrors"`
		}
		promoOp(t, discounted[0].s, "CancelOrder", map[string]any{"id": orders[0]}, &cancel)
		require.Empty(t, cancel.UserErrors)
		require.Equal(t, limit-1, s.client.Voucher.GetX(sys, vc.ID).Uses)
		p, err := placePromo(refused[0].s, placeOrderVars(refused[0].cart, "race-again"))
		require.NoError(t, err)
		require.Empty(t, p.PlaceOrder.UserErrors)
		require.Equal(t, "100.00", p.PlaceOrder.Order.Discount.Amount)
		require.Equal(t, limit, s.client.Voucher.GetX(sys, vc.ID).Uses)
	})
}

// TestOncePerCustomerRace: one customer checks out two carts at once
// with a once-per-customer code, and two guests' carts with the same
// phone race likewise: each time exactly one order is discounted and the
// other is refused USAGE_LIMIT_REACHED; another customer still gets it.
func TestOncePerCustomerRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 100)
		pid := newPromotion(t, staff, map[string]any{"name": "Once", "action": "PERCENTAGE", "percentBp": 1000, "requiresCode": true})
		code := newCode(t, staff, pid, "ONCE", map[string]any{"perCustomerLimit": 1})

		// Carts made anonymously: a signed-in customer may check out a
		// guest cart, so one customer can race two.
		guestCart := func() string {
			id := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}}).Cart.ID
			setCodes(t, s, id, code)
			return id
		}
		race := func(who *store, vars func(cart, key string) map[string]any) (discounted, refused int) {
			carts := []string{guestCart(), guestCart()}
			var wg sync.WaitGroup
			var mu sync.Mutex
			for i, c := range carts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p, err := placePromo(who, vars(c, fmt.Sprintf("once-%s-%d", c[:6], i)))
					mu.Lock()
					defer mu.Unlock()
					require.NoError(t, err)
					switch {
					case p.PlaceOrder.Order != nil && p.PlaceOrder.Order.Discount.Amount != "0.00":
						discounted++
					case len(p.PlaceOrder.UserErrors) == 1 && p.PlaceOrder.UserErrors[0].Code == "USAGE_LIMIT_REACHED":
						refused++
					default:
						t.Errorf("unexpected: %+v", p.PlaceOrder)
					}
				}()
			}
			wg.Wait()
			return discounted, refused
		}
		alice, _ := s.asCustomer(t, "alice")
		d, r := race(alice, placeOrderVars)
		require.Equal(t, [2]int{1, 1}, [2]int{d, r}, "one customer, two checkouts")

		guest := func(cart, key string) map[string]any {
			vars := placeOrderVars(cart, key)
			vars["input"].(map[string]any)["contact"] = map[string]any{"phone": "+254722000111"}
			return vars
		}
		d, r = race(s, guest)
		require.Equal(t, [2]int{1, 1}, [2]int{d, r}, "one guest contact, two checkouts")

		bob, _ := s.asCustomer(t, "bob")
		d, r = race(bob, placeOrderVars)
		require.Equal(t, 1, d, "another customer has a use of their own")
		require.Equal(t, 1, r)
	})
}

// TestDemoPromotions: the demo store runs 15 % off audio (no code) and
// KARIBU10, 10 % off a signed-in customer's first order, once: a new
// customer gets both on an audio cart; after that order the code no
// longer applies for them, and a guest is told to sign in.
func TestDemoPromotions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, seed.DemoPromotions(ctx, s.client, s.services.Promotions))
		audio := s.client.Category.Query().Where(category.Slug(seed.DemoSaleCategory)).OnlyX(ctx)
		pv := s.client.ProductVariant.Query().
			Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE),
				product.HasCategoryWith(category.PathHasPrefix(audio.Path)))).
			FirstX(ctx)
		pv = pv.Update().SetStockOnHand(10).SetReserved(0).SaveX(ctx)

		alice, _ := s.asCustomer(t, "alice")
		cart := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(pv, 1)}}).Cart.ID
		c := setCodes(t, alice, cart, "karibu10")
		require.True(t, c.DiscountCodes[0].Applied)
		price := pv.PriceMinor
		sale := price * 15 / 100
		require.Equal(t, sale+(price-sale)/10, cents(t, c.Discount.Amount), "the sale, and the welcome code on the sale price")
		require.Len(t, c.Discounts, 2)

		p, err := placePromo(alice, placeOrderVars(cart, "karibu-1"))
		require.NoError(t, err)
		require.Empty(t, p.PlaceOrder.UserErrors)
		require.Equal(t, c.Discount, p.PlaceOrder.Order.Discount)

		again := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(pv, 1)}}).Cart.ID
		c = setCodes(t, alice, again, "KARIBU10")
		require.False(t, c.DiscountCodes[0].Applied)
		require.Equal(t, "USAGE_LIMIT_REACHED", *c.DiscountCodes[0].Reason, "once per customer")
		require.Equal(t, price*15/100, cents(t, c.Discount.Amount), "the sale still runs")

		guest := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(pv, 1)}}).Cart.ID
		c = setCodes(t, s, guest, "KARIBU10")
		require.Equal(t, "SIGN_IN_REQUIRED", *c.DiscountCodes[0].Reason)
	})
}

// TestPromotionStaffTools: a dry run prices a customer's cart as if a
// promotion ran and saves nothing (bad input and an unknown cart are
// refused beside it); a running promotion applies to carts at once,
// follows an update and stops when deactivated.
func TestPromotionStaffTools(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 10)
		alice, _ := s.asCustomer(t, "alice")
		cart := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}}).Cart.ID
		price := v.PriceMinor

		var pv struct {
			Preview *struct {
				Discount  money `json:"discount"`
				Discounts []struct {
					Name string `json:"name"`
				} `json:"discounts"`
			} `json:"preview"`
			UserErrors []userError `json:"userErrors"`
		}
		draft := map[string]any{"name": "Flash", "action": "PERCENTAGE", "percentBp": 2000}
		promoOp(t, staff, "PreviewPromotion", map[string]any{"cartId": cart, "input": draft}, &pv)
		require.Empty(t, pv.UserErrors)
		require.Equal(t, price/5, cents(t, pv.Preview.Discount.Amount))
		require.Equal(t, "Flash", pv.Preview.Discounts[0].Name)
		promoOp(t, staff, "PreviewPromotion", map[string]any{"cartId": cart, "input": map[string]any{"name": "Flash", "action": "FIXED_AMOUNT"}}, &pv)
		require.Equal(t, []string{"INVALID"}, codesOf(pv.UserErrors))
		promoOp(t, staff, "PreviewPromotion", map[string]any{"cartId": "no-such-cart", "input": draft}, &pv)
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(pv.UserErrors))

		var got struct{ Cart promoCart }
		alice.op("PromoCart", map[string]any{"id": cart}, &got)
		require.Equal(t, "0.00", got.Cart.Discount.Amount, "the dry run saved nothing")
		sys := viewer.System(context.Background(), "test: check")
		require.Zero(t, s.client.Promotion.Query().CountX(sys))

		id := newPromotion(t, staff, map[string]any{"name": "Week", "action": "PERCENTAGE", "percentBp": 1000})
		alice.op("PromoCart", map[string]any{"id": cart}, &got)
		require.Equal(t, price/10, cents(t, got.Cart.Discount.Amount))
		var up struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "UpdatePromotion", map[string]any{"id": id, "input": map[string]any{"percentBp": 3000}}, &up)
		require.Empty(t, up.UserErrors)
		alice.op("PromoCart", map[string]any{"id": cart}, &got)
		require.Equal(t, price*3/10, cents(t, got.Cart.Discount.Amount))
		promoOp(t, staff, "UpdatePromotion", map[string]any{"id": id, "input": map[string]any{"percentBp": 0}}, &up)
		require.Equal(t, []string{"INVALID"}, codesOf(up.UserErrors), "a percentage of nothing")
		promoOp(t, staff, "DeactivatePromotion", map[string]any{"id": id}, &up)
		require.Empty(t, up.UserErrors)
		alice.op("PromoCart", map[string]any{"id": cart}, &got)
		require.Equal(t, "0.00", got.Cart.Discount.Amount)
	})
}

// TestGenerateTenThousandCodes: staff make 10,000 unique codes with a
// prefix in one request, inserted in batches (a bounded number of
// statements); a count out of range is refused beside it.
func TestGenerateTenThousandCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		pid := newPromotion(t, staff, map[string]any{"name": "Xmas", "action": "PERCENTAGE", "percentBp": 500, "requiresCode": true})
		var g struct {
			Codes      []string    `json:"codes"`
			Count      int         `json:"count"`
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "GenerateVouchers", map[string]any{"promotionId": pid, "input": map[string]any{"count": 10001, "prefix": "xmas-"}}, &g)
		require.Equal(t, []string{"INVALID"}, codesOf(g.UserErrors))

		n := staff.statements("GenerateVouchers", map[string]any{"promotionId": pid, "input": map[string]any{"count": 10000, "prefix": "xmas-", "usageLimit": 1}})
		require.LessOrEqual(t, n, int64(40), "20 batches of 500, not 10,000 inserts")
		sys := viewer.System(context.Background(), "test: check")
		require.Equal(t, 10000, s.client.Voucher.Query().Where(voucher.CodeHasPrefix("XMAS-")).CountX(sys))
	})
}
