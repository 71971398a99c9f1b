package promotion_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	entpromotion "github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/promotion"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func promo(id int, stacking entpromotion.Stacking, priority int, bp int64) *ent.Promotion {
	return &ent.Promotion{ID: id, Name: "P" + string(rune('A'+id)), Active: true, Stacking: stacking, Priority: priority,
		Action: entpromotion.ActionPERCENTAGE, PercentBp: bp}
}

func lines() []pricing.Line {
	return []pricing.Line{{ID: 1, Quantity: 2, UnitMinor: 10000}, {ID: 2, Quantity: 1, UnitMinor: 5000}}
}

func applied(e *promotion.Engine) map[string]int64 {
	out := map[string]int64{}
	t := pricing.Price(pricing.Input{Lines: lines(), Discounters: []pricing.Discounter{e}, PricesIncludeTax: true})
	for _, a := range e.Applied(t) {
		out[a.Name] = a.AmountMinor
	}
	return out
}

// TestStacking: EXCLUSIVE applies alone by priority; otherwise the single
// best BEST applies, and STACKABLE ones add to it.
func TestStacking(t *testing.T) {
	offers := func(ps ...*ent.Promotion) *promotion.Engine {
		e := &promotion.Engine{Now: now}
		for _, p := range ps {
			e.Offers = append(e.Offers, promotion.Offer{Promotion: p})
		}
		return e
	}
	// 25,000 in the cart.
	best := offers(promo(1, "BEST", 0, 1000), promo(2, "BEST", 5, 2000), promo(3, "STACKABLE", 0, 500))
	require.Equal(t, map[string]int64{"PC": 5000, "PD": 1250}, applied(best),
		"the best BEST (20 %, not the 10 %) plus the stackable 5 %, each of the catalogue prices")

	excl := offers(promo(1, "EXCLUSIVE", 1, 1000), promo(2, "EXCLUSIVE", 9, 500), promo(3, "BEST", 0, 5000), promo(4, "STACKABLE", 0, 500))
	require.Equal(t, map[string]int64{"PC": 1250}, applied(excl), "the highest-priority EXCLUSIVE alone")

	stack := offers(promo(1, "STACKABLE", 0, 6000), promo(2, "STACKABLE", 0, 6000))
	got := applied(stack)
	require.Equal(t, int64(15000), got["PB"])
	require.Equal(t, int64(10000), got["PC"], "capped at what the lines still cost")
	t.Run("capped at zero", func(t *testing.T) {
		e := offers(promo(1, "STACKABLE", 0, 10000), promo(2, "STACKABLE", 0, 10000))
		tot := pricing.Price(pricing.Input{Lines: lines(), Discounters: []pricing.Discounter{e}})
		require.Equal(t, int64(25000), tot.DiscountMinor)
		for _, l := range tot.Lines {
			require.Zero(t, l.Amount.Gross)
		}
	})
}

// TestReasons: every reason a code reports.
func TestReasons(t *testing.T) {
	one := 1
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	code := func(c string, p *ent.Promotion, v *ent.Voucher, buyerUses int) promotion.Offer {
		p.RequiresCode = true
		if v == nil {
			v = &ent.Voucher{}
		}
		v.Code, v.PromotionID = c, p.ID
		return promotion.Offer{Promotion: p, Voucher: v, BuyerUses: buyerUses}
	}
	with := func(f func(p *ent.Promotion)) *ent.Promotion {
		p := promo(1, "BEST", 0, 1000)
		f(p)
		return p
	}
	e := &promotion.Engine{Now: now, Buyer: promotion.Buyer{}, Codes: []string{
		"OK", "NONE", "ENDED", "OFF", "LATER", "OTHER", "BIG", "USED", "MINE", "MEMBERS", "FIRST", "SMALLER",
	}}
	e.Offers = []promotion.Offer{
		code("OK", promo(1, "BEST", 0, 2000), nil, 0),
		code("ENDED", with(func(p *ent.Promotion) { p.EndsAt = &past }), nil, 0),
		code("OFF", with(func(p *ent.Promotion) { p.Active = false }), nil, 0),
		code("LATER", with(func(p *ent.Promotion) { p.StartsAt = &future }), nil, 0),
		code("OTHER", with(func(p *ent.Promotion) { p.VariantIds = []int{99} }), nil, 0),
		code("BIG", with(func(p *ent.Promotion) { p.MinSubtotalMinor = 1000000 }), nil, 0),
		code("USED", promo(1, "BEST", 0, 1000), &ent.Voucher{Uses: 1, UsageLimit: &one}, 0),
		code("MINE", promo(1, "BEST", 0, 1000), &ent.Voucher{PerCustomerLimit: &one}, 1),
		code("MEMBERS", with(func(p *ent.Promotion) { p.SignedIn = true }), nil, 0),
		code("FIRST", with(func(p *ent.Promotion) { p.FirstOrder = true }), nil, 0),
		code("SMALLER", promo(1, "BEST", 0, 1000), nil, 0),
	}
	got := map[string]promotion.Reason{}
	for _, st := range e.Statuses(lines(), 0) {
		got[st.Code] = st.Reason
	}
	require.Equal(t, map[string]promotion.Reason{
		"OK": promotion.Applied, "NONE": promotion.NotFound, "ENDED": promotion.Expired, "OFF": promotion.Expired,
		"LATER": promotion.NotStarted, "OTHER": promotion.NotApplicable, "BIG": promotion.MinimumNotMet,
		"USED": promotion.UsageLimitReached, "MINE": promotion.UsageLimitReached, "MEMBERS": promotion.SignInRequired,
		"FIRST": promotion.FirstOrderOnly, "SMALLER": promotion.NotCombinable,
	}, got)
}

// TestActions: fixed amount, fixed price and buy X get Y take off what
// they say.
func TestActions(t *testing.T) {
	ls := []pricing.Line{{ID: 1, Quantity: 3, UnitMinor: 1000}, {ID: 2, Quantity: 1, UnitMinor: 400}}
	amount := func(p *ent.Promotion) int64 {
		p.Active, p.Stacking, p.Name = true, "BEST", "X"
		e := &promotion.Engine{Now: now, Offers: []promotion.Offer{{Promotion: p}}}
		return pricing.Price(pricing.Input{Lines: ls, Discounters: []pricing.Discounter{e}}).DiscountMinor
	}
	require.EqualValues(t, 500, amount(&ent.Promotion{Action: "FIXED_AMOUNT", AmountMinor: 500}))
	require.EqualValues(t, 3400, amount(&ent.Promotion{Action: "FIXED_AMOUNT", AmountMinor: 9999}), "at most the lines")
	require.EqualValues(t, 3*200, amount(&ent.Promotion{Action: "FIXED_PRICE", AmountMinor: 800}), "400 already below 800")
	// 4 units: buy 1 get 1 free → the 2 cheapest free (400 + 1000).
	require.EqualValues(t, 1400, amount(&ent.Promotion{Action: "BUY_X_GET_Y", BuyQuantity: 1, GetQuantity: 1, PercentBp: 10000}))
	// buy 2 get 1 at half price: 1 of 4 units, the cheapest.
	require.EqualValues(t, 200, amount(&ent.Promotion{Action: "BUY_X_GET_Y", BuyQuantity: 2, GetQuantity: 1, PercentBp: 5000}))
}

// TestAllocationProperty: over random carts, promotions (shipping ones
// included) and tax setups, the discounts allocated to lines add up
// exactly to the lines' discount, the shipping discounts to the shipping
// discount, and both to what each promotion reports; no line and no
// shipping charge goes below zero; and net + tax = gross for every line,
// shipping and the total.
func TestAllocationProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	stackings := []entpromotion.Stacking{"EXCLUSIVE", "BEST", "STACKABLE"}
	for iter := range 3000 {
		var in pricing.Input
		for i := range 1 + r.IntN(6) {
			in.Lines = append(in.Lines, pricing.Line{ID: i + 1, Quantity: 1 + r.IntN(5), UnitMinor: r.Int64N(100000), ClassID: 1 + r.IntN(2)})
		}
		in.PricesIncludeTax = r.IntN(2) == 0
		in.ShippingMinor, in.ShippingClassID = r.Int64N(1000)*int64(r.IntN(2)), 1+r.IntN(2)
		for c := 1; c <= 2; c++ {
			for range r.IntN(3) {
				in.Rates = append(in.Rates, pricing.Rate{ID: len(in.Rates) + 1, ClassID: c, BasisPoints: r.Int64N(3000)})
			}
		}
		e := &promotion.Engine{Now: now, Items: map[int]promotion.Item{}}
		for _, l := range in.Lines {
			e.Items[l.ID] = promotion.Item{VariantID: l.ID}
		}
		for i := range 1 + r.IntN(4) {
			p := &ent.Promotion{ID: i + 1, Name: "P", Active: true, Stacking: stackings[r.IntN(3)], Priority: r.IntN(3)}
			switch r.IntN(6) {
			case 4:
				p.Action, p.PercentBp = "SHIPPING", 1+r.Int64N(10000)
			case 5:
				p.Action, p.AmountMinor = "SHIPPING", 1+r.Int64N(1500)
			case 0:
				p.Action, p.PercentBp = "PERCENTAGE", 1+r.Int64N(10000)
			case 1:
				p.Action, p.AmountMinor = "FIXED_AMOUNT", 1+r.Int64N(200000)
			case 2:
				p.Action, p.AmountMinor = "FIXED_PRICE", r.Int64N(50000)
			default:
				p.Action, p.BuyQuantity, p.GetQuantity, p.PercentBp = "BUY_X_GET_Y", 1+r.IntN(3), 1+r.IntN(2), 1+r.Int64N(10000)
			}
			if r.IntN(3) == 0 {
				p.VariantIds = []int{1 + r.IntN(len(in.Lines))}
			}
			e.Offers = append(e.Offers, promotion.Offer{Promotion: p})
		}
		in.Discounters = []pricing.Discounter{e}
		tot := pricing.Price(in)

		var lineDiscount, byPromotion, shipByPromotion int64
		for _, l := range tot.Lines {
			require.GreaterOrEqual(t, l.DiscountMinor, int64(0), "iter %d", iter)
			require.GreaterOrEqual(t, l.TotalMinor-l.DiscountMinor, int64(0), "iter %d: line below zero", iter)
			require.Equal(t, l.Amount.Gross, l.Amount.Net+l.Amount.Tax, "iter %d", iter)
			lineDiscount += l.DiscountMinor
		}
		for _, a := range e.Applied(tot) {
			if a.Shipping {
				shipByPromotion += a.AmountMinor
			} else {
				byPromotion += a.AmountMinor
			}
		}
		require.Equal(t, tot.DiscountMinor, lineDiscount, "iter %d", iter)
		require.Equal(t, tot.DiscountMinor, byPromotion, "iter %d", iter)
		require.Equal(t, tot.ShippingDiscountMinor, shipByPromotion, "iter %d", iter)
		require.GreaterOrEqual(t, tot.ShippingDiscountMinor, int64(0), "iter %d", iter)
		require.LessOrEqual(t, tot.ShippingDiscountMinor, in.ShippingMinor, "iter %d: shipping below zero", iter)
		if in.PricesIncludeTax {
			require.Equal(t, in.ShippingMinor-tot.ShippingDiscountMinor, tot.Shipping.Gross, "iter %d", iter)
		} else {
			require.Equal(t, in.ShippingMinor-tot.ShippingDiscountMinor, tot.Shipping.Net, "iter %d", iter)
		}
		require.Equal(t, tot.Shipping.Gross, tot.Shipping.Net+tot.Shipping.Tax, "iter %d", iter)
		require.Equal(t, tot.Total.Gross, tot.Total.Net+tot.Total.Tax, "iter %d", iter)
		require.Equal(t, tot.Total, tot.Items.Add(tot.Shipping), "iter %d", iter)
	}
}

// TestShippingAction: a SHIPPING promotion takes a percentage (rounded
// down) or an amount off the shipping charge, at most all of it, and
// nothing while there is no charge; the lines keep their price.
func TestShippingAction(t *testing.T) {
	price := func(p *ent.Promotion, shipping int64) pricing.Totals {
		p.Active, p.Stacking, p.Name, p.Action = true, "BEST", "Ship", "SHIPPING"
		e := &promotion.Engine{Now: now, Offers: []promotion.Offer{{Promotion: p}}}
		return pricing.Price(pricing.Input{Lines: lines(), ShippingMinor: shipping, Discounters: []pricing.Discounter{e}})
	}
	require.EqualValues(t, 999, price(&ent.Promotion{PercentBp: 10000}, 999).ShippingDiscountMinor, "free shipping")
	require.EqualValues(t, 332, price(&ent.Promotion{PercentBp: 3333}, 999).ShippingDiscountMinor, "33.33 % of 9.99 (332.97), rounded down")
	require.EqualValues(t, 500, price(&ent.Promotion{AmountMinor: 500}, 999).ShippingDiscountMinor)
	require.EqualValues(t, 999, price(&ent.Promotion{AmountMinor: 5000}, 999).ShippingDiscountMinor, "at most the charge")
	tot := price(&ent.Promotion{AmountMinor: 500}, 0)
	require.Zero(t, tot.ShippingDiscountMinor)
	require.Empty(t, tot.Discounts, "no charge, nothing to take off")
	require.Zero(t, price(&ent.Promotion{PercentBp: 10000}, 999).DiscountMinor, "the lines keep their price")

	p := &ent.Promotion{ID: 1, Name: "Free", Active: true, Stacking: "BEST", Action: "SHIPPING", PercentBp: 10000, RequiresCode: true}
	e := &promotion.Engine{Now: now, Codes: []string{"SHIP"}, Offers: []promotion.Offer{{Promotion: p, Voucher: &ent.Voucher{Code: "SHIP"}}}}
	require.Equal(t, promotion.NotApplicable, e.Statuses(lines(), 0)[0].Reason)
	require.Equal(t, promotion.Applied, e.Statuses(lines(), 100)[0].Reason)
}

// TestSaleTierUnderCartPromotions: the catalogue sale applies first and
// always; cart promotions, an EXCLUSIVE one included, stack among
// themselves on the sale prices.
func TestSaleTierUnderCartPromotions(t *testing.T) {
	sale := promo(1, "BEST", 0, 1500) // a catalogue promotion: no code, no condition
	excl := promo(2, "EXCLUSIVE", 100, 1000)
	excl.RequiresCode = true
	other := promo(3, "STACKABLE", 0, 500)
	other.MinQuantity = 1 // a cart condition: the cart tier
	e := &promotion.Engine{Now: now, Codes: []string{"EX"}, Offers: []promotion.Offer{
		{Promotion: sale}, {Promotion: other}, {Promotion: excl, Voucher: &ent.Voucher{Code: "EX"}},
	}}
	// Units 10000 and 5000: sale prices 8500 and 4250; 10 % of those.
	require.Equal(t, map[string]int64{"PB": 2*1500 + 750, "PC": 2*850 + 425}, applied(e))
	st := e.Statuses(lines(), 0)
	require.Equal(t, promotion.Applied, st[0].Reason)

	// A limited promotion is no catalogue sale, and one used up applies no more.
	limit := 1
	capped := promo(4, "BEST", 0, 1500)
	capped.UsageLimit = &limit
	require.False(t, promotion.IsCatalogue(capped))
	capped.Uses = 1
	e = &promotion.Engine{Now: now, Offers: []promotion.Offer{{Promotion: capped}}}
	require.Empty(t, applied(e))
}
