package graph

import (
	"context"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/pricing"
)

// cartTotals is a cart's price with its shipping, once per operation.
func (r *Resolver) cartTotals(ctx context.Context, c *ent.Cart) (pricing.Totals, error) {
	p, err := r.cartPrice(ctx, c)
	return p.Totals, err
}

// taxedMoney shows a taxed amount in the store's currency.
func (r *Resolver) taxedMoney(a pricing.Amount) *model.TaxedMoney {
	return taxedMoneyIn(a, r.currency)
}

func taxedMoneyIn(a pricing.Amount, currency string) *model.TaxedMoney {
	return &model.TaxedMoney{
		Net:   model.NewMoney(a.Net, currency),
		Tax:   model.NewMoney(a.Tax, currency),
		Gross: model.NewMoney(a.Gross, currency),
	}
}

// taxLines shows a priced cart's tax lines as an order snapshots them.
func taxLines(t pricing.Totals) []*schematype.TaxLine {
	out := make([]*schematype.TaxLine, len(t.Taxes))
	for i, tl := range t.Taxes {
		out[i] = &schematype.TaxLine{
			RateID: tl.ID, Name: tl.Name, ClassName: tl.ClassName, BasisPoints: tl.BasisPoints,
			BaseMinor: tl.BaseMinor, TaxMinor: tl.TaxMinor,
		}
	}
	return out
}

func taxRateInput(d *ids, in model.TaxRateInput) catalog.TaxRateInput {
	return catalog.TaxRateInput{Name: in.Name, BasisPoints: in.BasisPoints, ZoneID: d.decodeOpt(in.ZoneID, "input", "zoneId")}
}

// linesOf returns a cart's loaded lines, each pointing back to the cart:
// a line's share of the tax is allocated over the whole cart, so its
// resolver takes it from the cart's price (cartTotals).
func linesOf(c *ent.Cart) []*ent.CartLine {
	for _, l := range c.Edges.Lines {
		l.Edges.Cart = c
	}
	return c.Edges.Lines
}
