package promotion_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	entpromotion "github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/promotion"
)

// TestIsCatalogue: only code-less promotions without cart conditions whose
// action prices each unit alone change the catalogue.
func TestIsCatalogue(t *testing.T) {
	base := func() *ent.Promotion { return promo(1, entpromotion.StackingBEST, 0, 1000) }
	require.True(t, promotion.IsCatalogue(base()))
	fixed := base()
	fixed.Action = entpromotion.ActionFIXED_PRICE
	require.True(t, promotion.IsCatalogue(fixed))
	for name, change := range map[string]func(p *ent.Promotion){
		"code":         func(p *ent.Promotion) { p.RequiresCode = true },
		"min subtotal": func(p *ent.Promotion) { p.MinSubtotalMinor = 1 },
		"min quantity": func(p *ent.Promotion) { p.MinQuantity = 2 },
		"signed in":    func(p *ent.Promotion) { p.SignedIn = true },
		"first order":  func(p *ent.Promotion) { p.FirstOrder = true },
		"fixed amount": func(p *ent.Promotion) { p.Action = entpromotion.ActionFIXED_AMOUNT },
		"buy x get y":  func(p *ent.Promotion) { p.Action = entpromotion.ActionBUY_X_GET_Y },
	} {
		p := base()
		change(p)
		require.False(t, promotion.IsCatalogue(p), name)
	}
}

// TestSalePriceIsWhatTheCartCharges: over random prices, quantities and
// stacks of catalogue sales, a cart line of the variant costs exactly its
// sale price times the quantity after the engine's discounts.
func TestSalePriceIsWhatTheCartCharges(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 5))
	modes := []entpromotion.Stacking{entpromotion.StackingEXCLUSIVE, entpromotion.StackingBEST, entpromotion.StackingSTACKABLE}
	for range 2000 {
		var ps []*ent.Promotion
		for i := range 1 + r.IntN(3) {
			p := promo(i+1, modes[r.IntN(3)], r.IntN(3), 1+r.Int64N(10000))
			if r.IntN(3) == 0 {
				p.Action, p.PercentBp, p.AmountMinor = entpromotion.ActionFIXED_PRICE, 0, r.Int64N(50000)
			}
			ps = append(ps, p)
		}
		price, qty := r.Int64N(100000), 1+r.IntN(7)
		it := promotion.Item{VariantID: 7, ProductID: 3}
		sale, onSale := promotion.SalePrice(now, ps, it, price)
		require.Equal(t, onSale, sale < price)

		e := &promotion.Engine{Now: now, Items: map[int]promotion.Item{1: it}}
		for _, p := range ps {
			e.Offers = append(e.Offers, promotion.Offer{Promotion: p})
		}
		tot := pricing.Price(pricing.Input{Lines: []pricing.Line{{ID: 1, Quantity: qty, UnitMinor: price}}, Discounters: []pricing.Discounter{e}})
		l := tot.Lines[0]
		require.Equal(t, sale*int64(qty), l.TotalMinor-l.DiscountMinor, "price %d × %d under %d promotions", price, qty, len(ps))
	}
}
