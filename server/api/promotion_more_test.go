package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type psDiscount struct {
	Name     string  `json:"name"`
	Code     *string `json:"code"`
	Amount   money   `json:"amount"`
	Shipping bool    `json:"shipping"`
}

type psCart struct {
	ID            string `json:"id"`
	DiscountCodes []struct {
		Code    string  `json:"code"`
		Applied bool    `json:"applied"`
		Reason  *string `json:"reason"`
	} `json:"discountCodes"`
	Discounts        []psDiscount `json:"discounts"`
	Discount         money        `json:"discount"`
	ShippingDiscount money        `json:"shippingDiscount"`
	TaxedShipping    taxed        `json:"taxedShipping"`
	TaxedTotal       taxed        `json:"taxedTotal"`
}

type psOrder struct {
	ID               string       `json:"id"`
	Discount         money        `json:"discount"`
	ShippingDiscount money        `json:"shippingDiscount"`
	Discounts        []psDiscount `json:"discounts"`
	ShippingTotal    money        `json:"shippingTotal"`
	Total            money        `json:"total"`
	TaxedShipping    taxed        `json:"taxedShipping"`
	TaxedTotal       taxed        `json:"taxedTotal"`
	Lines            []struct {
		UnitPrice      money  `json:"unitPrice"`
		CompareAtPrice *money `json:"compareAtPrice"`
		Discount       money  `json:"discount"`
		TaxedTotal     taxed  `json:"taxedTotal"`
	} `json:"lines"`
}

func (s *store) psCart(t *testing.T, id string) psCart {
	t.Helper()
	var out struct{ Cart psCart }
	s.op("PsCart", map[string]any{"id": id}, &out)
	return out.Cart
}

// psPlace places the cart with its own address and chosen shipping.
func (s *store) psPlace(t *testing.T, cartID, key string) (*psOrder, []string) {
	t.Helper()
	var p struct {
		Order      *psOrder    `json:"order"`
		UserErrors []userError `json:"userErrors"`
	}
	promoOp(t, s, "PsPlaceOrder", map[string]any{"input": map[string]any{
		"cartId": cartID, "paymentMethod": "CASH_ON_DELIVERY", "idempotencyKey": key,
	}}, &p)
	return p.Order, codesOf(p.UserErrors)
}

// deliveryCart is a cart of three 99.99 units shipped to Nairobi by
// same-day delivery (250.00), with codes.
func deliveryCart(t *testing.T, s, buyer *store, variant string, codes ...string) string {
	t.Helper()
	id := buyer.cartOp(t, "CartCreate", map[string]any{"lines": []any{map[string]any{"variantId": variant, "quantity": 3}}}).Cart.ID
	_, errs := buyer.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
	require.Empty(t, errs)
	if len(codes) > 0 {
		c := setCodes(t, buyer, id, codes...)
		require.Equal(t, "NOT_APPLICABLE", *c.DiscountCodes[0].Reason, "no shipping charge yet, nothing to take off")
	}
	_, errs = buyer.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": methodID(t, s, "Nairobi same-day delivery")})
	require.Empty(t, errs)
	return id
}

// TestShippingPromotion: a SHIPPING promotion takes the shipping charge
// to zero (a code, with a minimum subtotal) or takes a fixed amount off
// it (automatic); tax is computed after it, in shipping's class; the
// cart and the order show it as a shipping discount with its amount. A
// promotion naming both or neither of a percentage and an amount is
// refused beside the one that works, and a cart below the minimum keeps
// its shipping charge.
func TestShippingPromotion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		staff := s.asStaff()
		variant := scalar.EncodeID(vs[0].ID)

		for _, in := range []map[string]any{
			{"name": "Both", "action": "SHIPPING", "percentBp": 10000, "amount": "10.00"},
			{"name": "Neither", "action": "SHIPPING"},
		} {
			var bad struct {
				UserErrors []userError `json:"userErrors"`
			}
			promoOp(t, staff, "CreatePromotion", map[string]any{"input": in}, &bad)
			require.Equal(t, []string{"INVALID"}, codesOf(bad.UserErrors), "%v", in)
		}
		free := newPromotion(t, staff, map[string]any{"name": "Free delivery", "action": "SHIPPING", "percentBp": 10000,
			"requiresCode": true, "minSubtotal": "200.00"})
		code := newCode(t, staff, free, "SHIP", nil)

		// Below the minimum: the charge stays.
		bob, _ := s.asCustomer(t, "bob")
		small := bob.cartOp(t, "CartCreate", map[string]any{"lines": []any{map[string]any{"variantId": variant, "quantity": 1}}}).Cart.ID
		_, errs := bob.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": small, "address": nairobiAddress})
		require.Empty(t, errs)
		_, errs = bob.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": small, "optionId": methodID(t, s, "Nairobi same-day delivery")})
		require.Empty(t, errs)
		setCodes(t, bob, small, code)
		c := bob.psCart(t, small)
		require.Equal(t, "MINIMUM_NOT_MET", *c.DiscountCodes[0].Reason)
		require.Equal(t, "250.00", c.TaxedShipping.Gross)
		require.Equal(t, "0.00", c.ShippingDiscount.Amount)

		// 3 × 99.99 = 299.97: delivery is free, VAT is the lines' alone.
		alice, _ := s.asCustomer(t, "alice")
		id := deliveryCart(t, s, alice, variant, code)
		c = alice.psCart(t, id)
		require.True(t, c.DiscountCodes[0].Applied)
		require.Equal(t, []psDiscount{{Name: "Free delivery", Code: &code, Amount: money{"250.00", "KES"}, Shipping: true}}, c.Discounts)
		require.Equal(t, "250.00", c.Discount.Amount)
		require.Equal(t, "250.00", c.ShippingDiscount.Amount)
		require.Equal(t, taxed{"0.00", "0.00", "0.00"}, c.TaxedShipping)
		require.Equal(t, taxed{"258.59", "41.38", "299.97"}, c.TaxedTotal)

		o, errs := alice.psPlace(t, id, "free-delivery")
		require.Empty(t, errs)
		require.Equal(t, c.Discounts, o.Discounts, "the order keeps what the cart showed")
		require.Equal(t, "250.00", o.Discount.Amount)
		require.Equal(t, "250.00", o.ShippingDiscount.Amount)
		require.Equal(t, "0.00", o.ShippingTotal.Amount, "shipping is the charge after its discount")
		require.Equal(t, "299.97", o.Total.Amount)
		require.Equal(t, c.TaxedShipping, o.TaxedShipping)
		require.Equal(t, c.TaxedTotal, o.TaxedTotal)
		require.Equal(t, "0.00", o.Lines[0].Discount.Amount, "the lines keep their price")
		require.Nil(t, o.Lines[0].CompareAtPrice, "no catalogue sale")

		// 100.00 off delivery for everyone: 150.00 left, taxed with the
		// lines as one class: VAT of 449.97 is 62.06, 20.69 of it on
		// shipping (largest remainder).
		newPromotion(t, staff, map[string]any{"name": "100 off delivery", "action": "SHIPPING", "amount": "100.00", "stacking": "STACKABLE"})
		carol, _ := s.asCustomer(t, "carol")
		id = deliveryCart(t, s, carol, variant)
		c = carol.psCart(t, id)
		require.Equal(t, []psDiscount{{Name: "100 off delivery", Amount: money{"100.00", "KES"}, Shipping: true}}, c.Discounts)
		require.Equal(t, taxed{"129.31", "20.69", "150.00"}, c.TaxedShipping)
		require.Equal(t, taxed{"387.91", "62.06", "449.97"}, c.TaxedTotal)
		o, errs = carol.psPlace(t, id, "less-delivery")
		require.Empty(t, errs)
		require.Equal(t, "100.00", o.ShippingDiscount.Amount)
		require.Equal(t, "150.00", o.ShippingTotal.Amount)
		require.Equal(t, c.TaxedShipping, o.TaxedShipping)
		require.Equal(t, c.TaxedTotal, o.TaxedTotal)
	})
}

// TestPromotionUsageLimitRace: 50 buyers race for an automatic promotion
// limited to 10 orders: exactly 10 orders are discounted; the others are
// placed without it or told USAGE_LIMIT_REACHED (their cart was priced
// with it just before it ran out) and keep their cart, whose price then
// no longer includes it. Limits below 1 or below the uses so far are
// refused beside the one that works.
func TestPromotionUsageLimitRace(t *testing.T) {
	const buyers, limit = 50, 10
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 1000)
		var bad struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "CreatePromotion", map[string]any{"input": map[string]any{"name": "X", "action": "FIXED_AMOUNT", "amount": "1.00", "usageLimit": 0}}, &bad)
		require.Equal(t, []string{"INVALID"}, codesOf(bad.UserErrors))
		pid := newPromotion(t, staff, map[string]any{"name": "First ten orders", "action": "FIXED_AMOUNT", "amount": "100.00", "usageLimit": limit})

		type buyer struct {
			s    *store
			cart string
		}
		bs := make([]buyer, buyers)
		for i := range bs {
			b, _ := s.asCustomer(t, fmt.Sprintf("racer%d", i))
			id := b.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}}).Cart.ID
			bs[i] = buyer{b, id}
		}
		var (
			wg                              sync.WaitGroup
			mu                              sync.Mutex
			discounted, undiscounted, other []string
			refused                         []buyer
		)
		for i, b := range bs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := placePromo(b.s, placeOrderVars(b.cart, fmt.Sprintf("limit-%d", i)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					other = append(other, err.Error())
				case p.PlaceOrder.Order != nil && p.PlaceOrder.Order.Discount.Amount == "100.00":
					discounted = append(discounted, p.PlaceOrder.Order.ID)
				case p.PlaceOrder.Order != nil && p.PlaceOrder.Order.Discount.Amount == "0.00":
					undiscounted = append(undiscounted, p.PlaceOrder.Order.ID)
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
		require.Len(t, undiscounted, buyers-limit-len(refused))
		sys := viewer.System(context.Background(), "test: check")
		require.Equal(t, limit, s.client.Order.Query().Where(order.DiscountMinorGT(0)).CountX(sys))
		require.Equal(t, limit, s.client.Promotion.Query().Where(promotion.Name("First ten orders")).OnlyX(sys).Uses)
		for i, b := range refused {
			var got struct{ Cart promoCart }
			b.s.op("PromoCart", map[string]any{"id": b.cart}, &got)
			require.Len(t, got.Cart.Lines, 1, "the cart is kept")
			require.Equal(t, "0.00", got.Cart.Discount.Amount, "and no longer priced with it")
			p, err := placePromo(b.s, placeOrderVars(b.cart, fmt.Sprintf("limit-again-%d", i)))
			require.NoError(t, err)
			require.Empty(t, p.PlaceOrder.UserErrors)
		}

		var upd struct {
			Promotion *struct {
				UsageLimit *int `json:"usageLimit"`
			} `json:"promotion"`
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "UpdatePromotion", map[string]any{"id": pid, "input": map[string]any{"usageLimit": limit - 1}}, &upd)
		require.Equal(t, []string{"INVALID"}, codesOf(upd.UserErrors), "below the uses so far")
		promoOp(t, staff, "UpdatePromotion", map[string]any{"id": pid, "input": map[string]any{"usageLimit": limit + 1}}, &upd)
		require.Empty(t, upd.UserErrors)
	})
}

type psPromotion struct {
	ID          string   `json:"id"`
	Action      string   `json:"action"`
	ProductIds  []string `json:"productIds"`
	CategoryIds []string `json:"categoryIds"`
	VariantIds  []string `json:"variantIds"`
	Catalogue   bool     `json:"catalogue"`
	Uses        int      `json:"uses"`
	UsageLimit  *int     `json:"usageLimit"`
	Vouchers    struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
		Edges []struct {
			Node struct {
				Code      string `json:"code"`
				Uses      int    `json:"uses"`
				BuyerUses struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node struct {
							Buyer string `json:"buyer"`
							Uses  int    `json:"uses"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"buyerUses"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"vouchers"`
}

// TestStaffReadsPromotion: staff read a promotion's conditions back, page
// through its vouchers with their uses and each buyer's, and preview a
// placed order with a draft promotion, which saves nothing; shoppers get
// none of it, and an unknown order is NOT_FOUND beside the one that
// works.
func TestStaffReadsPromotion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 100)
		product := scalar.EncodeID(v.ProductID)
		pid := newPromotion(t, staff, map[string]any{"name": "Ten off this", "action": "PERCENTAGE", "percentBp": 1000,
			"requiresCode": true, "productIds": []string{product}})
		var g struct {
			Codes []string `json:"codes"`
		}
		promoOp(t, staff, "GenerateVouchers", map[string]any{"promotionId": pid, "input": map[string]any{"count": 3, "prefix": "PAGE", "perCustomerLimit": 1}}, &g)
		require.Len(t, g.Codes, 3)

		alice, aliceID := s.asCustomer(t, "alice")
		cart := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}}).Cart.ID
		require.True(t, setCodes(t, alice, cart, g.Codes[1]).DiscountCodes[0].Applied)
		placed, err := placePromo(alice, placeOrderVars(cart, "read-back"))
		require.NoError(t, err)
		require.Empty(t, placed.PlaceOrder.UserErrors)
		o := placed.PlaceOrder.Order

		read := func(as *store, after *string) (*psPromotion, gqlResponse) {
			vars := map[string]any{"id": pid, "first": 2}
			if after != nil {
				vars["after"] = *after
			}
			resp := as.post(as.ops["PsPromotion"], "PsPromotion", vars)
			var data struct {
				Node *psPromotion `json:"node"`
			}
			if len(resp.Data) > 0 {
				require.NoError(t, json.Unmarshal(resp.Data, &data))
			}
			return data.Node, resp
		}
		p, resp := read(staff, nil)
		require.Empty(t, resp.Errors)
		require.NotNil(t, p, "%s", resp.Data)
		require.Equal(t, []string{product}, p.ProductIds)
		require.Empty(t, p.CategoryIds)
		require.Empty(t, p.VariantIds)
		require.False(t, p.Catalogue, "a code promotion is not a sale")
		require.Equal(t, 1, p.Uses)
		require.Nil(t, p.UsageLimit)
		require.Equal(t, 3, p.Vouchers.TotalCount)
		require.True(t, p.Vouchers.PageInfo.HasNextPage)
		require.Len(t, p.Vouchers.Edges, 2)
		codes := map[string]int{}
		uses := map[string][]string{}
		collect := func(p *psPromotion) {
			for _, e := range p.Vouchers.Edges {
				codes[e.Node.Code] = e.Node.Uses
				require.Equal(t, len(e.Node.BuyerUses.Edges), e.Node.BuyerUses.TotalCount)
				for _, u := range e.Node.BuyerUses.Edges {
					uses[e.Node.Code] = append(uses[e.Node.Code], fmt.Sprintf("%s %d", u.Node.Buyer, u.Node.Uses))
				}
			}
		}
		collect(p)
		p, resp = read(staff, &p.Vouchers.PageInfo.EndCursor)
		require.Empty(t, resp.Errors)
		require.False(t, p.Vouchers.PageInfo.HasNextPage)
		require.Len(t, p.Vouchers.Edges, 1)
		collect(p)
		require.Equal(t, map[string]int{g.Codes[0]: 0, g.Codes[1]: 1, g.Codes[2]: 0}, codes)
		require.Equal(t, map[string][]string{g.Codes[1]: {fmt.Sprintf("c:%d 1", aliceID)}}, uses)

		p, resp = read(alice, nil)
		require.True(t, p == nil || p.ID == "", "a shopper reads no promotion")
		require.True(t, p == nil || len(resp.Errors) > 0 || p.Vouchers.TotalCount == 0)

		// The dry run for the placed order: its once-per-customer code
		// still applies (its own use does not count against it), and the
		// draft adds 10.00; nothing is saved.
		var pv struct {
			Preview *struct {
				Subtotal  money        `json:"subtotal"`
				Discount  money        `json:"discount"`
				Discounts []psDiscount `json:"discounts"`
			} `json:"preview"`
			UserErrors []userError `json:"userErrors"`
		}
		draft := map[string]any{"name": "Draft", "action": "FIXED_AMOUNT", "amount": "10.00", "stacking": "STACKABLE"}
		promoOp(t, staff, "PreviewOrderPromotion", map[string]any{"orderId": scalar.EncodeID(999999), "input": draft}, &pv)
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(pv.UserErrors))
		promoOp(t, staff, "PreviewOrderPromotion", map[string]any{"orderId": o.ID, "input": draft}, &pv)
		require.Empty(t, pv.UserErrors)
		names := map[string]string{}
		for _, d := range pv.Preview.Discounts {
			names[d.Name] = d.Amount.Amount
		}
		require.Equal(t, "10.00", names["Draft"])
		require.Contains(t, names, "Ten off this")
		require.Equal(t, cents(t, o.Discount.Amount)+1000, cents(t, pv.Preview.Discount.Amount))
		sys := viewer.System(context.Background(), "test: check")
		require.Equal(t, 1, s.client.Promotion.Query().CountX(sys), "the draft was not saved")
		refused := alice.post(alice.ops["PreviewOrderPromotion"], "PreviewOrderPromotion", map[string]any{"orderId": o.ID, "input": draft})
		require.NotEmpty(t, refused.codes(), "shoppers may not preview")
	})
}

// TestCatalogueSaleUnderExclusiveCode: the rule between a catalogue sale
// and cart promotions. The sale is the price: it applies first, always,
// and an EXCLUSIVE code is exclusive among cart promotions only, taken
// off the sale price. The order line keeps the price before the sale as
// its compareAtPrice; a line without a sale has none.
func TestCatalogueSaleUnderExclusiveCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 100)
		sale := newPromotion(t, staff, map[string]any{"name": "Sale", "action": "PERCENTAGE", "percentBp": 1500})
		excl := newPromotion(t, staff, map[string]any{"name": "Exclusive ten", "action": "PERCENTAGE", "percentBp": 1000,
			"requiresCode": true, "stacking": "EXCLUSIVE", "priority": 100})
		code := newCode(t, staff, excl, "EXCL", nil)

		unit := v.PriceMinor
		saleOff := unit * 1500 / 10000
		codeOff := (unit - saleOff) * 1000 / 10000
		amount := func(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

		alice, _ := s.asCustomer(t, "alice")
		cart := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 3)}}).Cart.ID
		c := setCodes(t, alice, cart, code)
		require.True(t, c.DiscountCodes[0].Applied)
		got := map[string]string{}
		for _, d := range c.Discounts {
			got[d.Name] = d.Amount.Amount
		}
		require.Equal(t, map[string]string{"Sale": amount(3 * saleOff), "Exclusive ten": amount(3 * codeOff)}, got,
			"the sale stays; the exclusive code comes off the sale price")
		require.Equal(t, amount(3*(unit-saleOff-codeOff)), c.TaxedTotal.Gross)

		var o struct {
			PlaceOrder struct {
				Order      *psOrder    `json:"order"`
				UserErrors []userError `json:"userErrors"`
			} `json:"placeOrder"`
		}
		resp := alice.post(alice.ops["PsPlaceOrder"], "PsPlaceOrder", placeOrderVars(cart, "sale-1"))
		require.Empty(t, resp.Errors)
		require.NoError(t, json.Unmarshal(resp.Data, &o))
		require.Empty(t, o.PlaceOrder.UserErrors)
		l := o.PlaceOrder.Order.Lines[0]
		require.Equal(t, amount(unit), l.UnitPrice.Amount)
		require.NotNil(t, l.CompareAtPrice)
		require.Equal(t, amount(unit), l.CompareAtPrice.Amount)
		require.Equal(t, amount(3*(saleOff+codeOff)), l.Discount.Amount)

		// The sale ends: the next order's line has no compare-at price.
		var off struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "DeactivatePromotion", map[string]any{"id": sale}, &off)
		require.Empty(t, off.UserErrors)
		cart = alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}}).Cart.ID
		resp = alice.post(alice.ops["PsPlaceOrder"], "PsPlaceOrder", placeOrderVars(cart, "sale-2"))
		require.Empty(t, resp.Errors)
		require.NoError(t, json.Unmarshal(resp.Data, &o))
		require.Empty(t, o.PlaceOrder.UserErrors)
		require.Nil(t, o.PlaceOrder.Order.Lines[0].CompareAtPrice)
		require.False(t, strings.HasPrefix(o.PlaceOrder.Order.Lines[0].Discount.Amount, "-"))
	})
}

// TestBulkImportResaleStatements: a bulk variant import during a running
// catalogue sale recomputes sale prices once per import transaction, in
// a fixed number of statements, not 3 to 4 per variant: importing 40 more
// products (120 variants, each its own sale price) takes no more
// statements than importing 10 (30 variants), and every imported variant
// shows its sale price.
func TestBulkImportResaleStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(1))
		staff := s.asStaff()
		newPromotion(t, staff, map[string]any{"name": "Everything", "action": "PERCENTAGE", "percentBp": 1000})
		ctx := context.Background()
		load := func(cat *seed.Catalog) int64 {
			s.count.Reset()
			_, err := seed.Load(ctx, s.client, cat)
			require.NoError(t, err)
			return s.count.Count()
		}
		shift := func(cat *seed.Catalog, from int) *seed.Catalog {
			cat.Products = cat.Products[from:]
			return cat
		}
		ten := load(shift(syntheticCatalog(11), 1))
		forty := load(shift(syntheticCatalog(51), 11))
		t.Logf("statements: 10 products %d, 40 products %d", ten, forty)
		require.Equal(t, ten, forty, "the sale's recomputation does not grow with the variants imported")
		sys := viewer.System(ctx, "test: check")
		vs := s.client.ProductVariant.Query().AllX(sys)
		require.Len(t, vs, 51*3)
		for _, v := range vs {
			require.NotNil(t, v.SalePriceMinor, v.Sku)
			require.Equal(t, v.PriceMinor-v.PriceMinor/10, *v.SalePriceMinor, v.Sku)
		}
	})
}
