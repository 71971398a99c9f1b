package checkout

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/taxclass"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/promotion"
)

// Tax is the store's tax setup as the pricing engine needs it: every rate,
// the default class and whether prices include tax. Service.Tax reads it.
type Tax struct {
	Rates          []pricing.Rate
	DefaultClassID int
	// ShippingClassID is shipping's class (Config.ShippingTaxClass).
	ShippingClassID  int
	PricesIncludeTax bool
	// ClassNames names the classes by ID, for order line snapshots.
	ClassNames map[int]string
}

// Tax reads the store's tax classes and rates (two statements): the
// default class is the one whose code is Config.DefaultTaxClass.
func (s *Service) Tax(ctx context.Context) (Tax, error) {
	return s.tax(ctx, s.db(ctx))
}

func (s *Service) tax(ctx context.Context, c *ent.Client) (Tax, error) {
	classes, err := c.TaxClass.Query().
		Order(ent.Asc(taxclass.FieldID)).
		WithRates(func(q *ent.TaxRateQuery) { q.Order(ent.Asc("id")) }).
		All(ctx)
	if err != nil {
		return Tax{}, fmt.Errorf("read tax rates: %w", err)
	}
	t := Tax{PricesIncludeTax: !s.cfg.PricesExcludeTax, ClassNames: make(map[int]string, len(classes))}
	for _, tc := range classes {
		t.ClassNames[tc.ID] = tc.Name
		if tc.Code == s.cfg.DefaultTaxClass {
			t.DefaultClassID = tc.ID
		}
		if tc.Code == s.cfg.ShippingTaxClass {
			t.ShippingClassID = tc.ID
		}
		for _, r := range tc.Edges.Rates {
			rate := pricing.Rate{ID: r.ID, Name: r.Name, ClassID: tc.ID, ClassName: tc.Name, BasisPoints: r.BasisPoints}
			if r.ZoneID != nil {
				rate.ZoneID = *r.ZoneID
			}
			t.Rates = append(t.Rates, rate)
		}
	}
	return t, nil
}

// Shipping is what shipping adds to a cart's price: the chosen option's
// price, in the store's price mode, and the zone of the address it ships
// to, whose tax rates replace the zone-less ones (pricing.For; 0: no zone).
type Shipping struct {
	PriceMinor int64
	ZoneID     int
}

// Price prices cart lines with the pricing engine at the catalogue's
// current prices, never one remembered in the cart, under tax, with
// shipping taxed in tax's shipping class. Each line needs its variant
// loaded (WithVariant); one without costs nothing. The zero Tax prices
// without tax (quantities and subtotals need no rates), and the zero
// Shipping ships free to no known zone. The Cart (PriceCart) and
// placeOrder both price here, with the cart's promotions (internal/promotion's
// Engine) as discounters.
func Price(lines []*ent.CartLine, tax Tax, ship Shipping, discounters ...pricing.Discounter) pricing.Totals {
	in := pricing.Input{
		PricesIncludeTax: tax.PricesIncludeTax,
		DefaultClassID:   tax.DefaultClassID,
		ShippingMinor:    ship.PriceMinor,
		ShippingClassID:  tax.ShippingClassID,
		Rates:            pricing.For(tax.Rates, ship.ZoneID),
		Discounters:      discounters,
	}
	in.Lines = linesOf(lines)
	return pricing.Price(in)
}

// linesOf is the engine's lines for cart lines.
func linesOf(lines []*ent.CartLine) []pricing.Line {
	out := make([]pricing.Line, len(lines))
	for i, l := range lines {
		pl := pricing.Line{ID: l.ID, Quantity: l.Quantity}
		if v := l.Edges.Variant; v != nil {
			pl.UnitMinor = v.PriceMinor
			if v.TaxClassID != nil {
				pl.ClassID = *v.TaxClassID
			}
		}
		out[i] = pl
	}
	return out
}

// LineOf is the priced line of a cart line in t (the zero line if absent).
func LineOf(t pricing.Totals, lineID int) pricing.PricedLine {
	for _, l := range t.Lines {
		if l.ID == lineID {
			return l
		}
	}
	return pricing.PricedLine{}
}

// PreviewOrder prices placed order id again, for a staff dry run
// (promotion.Service.Preview runs it beside a draft promotion): its lines
// at the unit prices and quantities it was placed with, matched to
// promotions by their variants as they are now (a deleted variant's line
// matches by no product), for its buyer, with the codes it used (the
// uses it counted given back, as if it had not been placed; a first-order
// condition still sees it), its shipping charge before shipping
// discounts, and today's tax in its address's zone. Nothing is written.
func (s *Service) PreviewOrder(ctx context.Context, id int) (CartPrice, error) {
	c := s.db(ctx)
	o, err := c.Order.Query().Where(order.ID(id)).WithLines().Only(ctx)
	if ent.IsNotFound(err) {
		return CartPrice{}, fail(ErrNotFound, "no such order", "orderId")
	}
	if err != nil {
		return CartPrice{}, fmt.Errorf("read order: %w", err)
	}
	var ids []int
	for _, l := range o.Edges.Lines {
		if l.VariantID != nil {
			ids = append(ids, *l.VariantID)
		}
	}
	vs, err := c.ProductVariant.Query().Where(productvariant.IDIn(ids...)).WithProduct().All(ctx)
	if err != nil {
		return CartPrice{}, fmt.Errorf("read variants: %w", err)
	}
	byID := make(map[int]*ent.ProductVariant, len(vs))
	for _, v := range vs {
		byID[v.ID] = v
	}
	lines := make([]*ent.CartLine, len(o.Edges.Lines))
	for i, l := range o.Edges.Lines {
		v := &ent.ProductVariant{}
		if l.VariantID != nil && byID[*l.VariantID] != nil {
			cp := *byID[*l.VariantID]
			v = &cp
		}
		v.PriceMinor = l.UnitPriceMinor
		lines[i] = &ent.CartLine{ID: l.ID, Quantity: l.Quantity, VariantID: v.ID, Edges: ent.CartLineEdges{Variant: v}}
	}
	var codes []string
	for _, a := range o.Promotions {
		if a.Code != "" {
			codes = append(codes, a.Code)
		}
	}
	tax, err := s.tax(ctx, c)
	if err != nil {
		return CartPrice{}, err
	}
	ship := Shipping{PriceMinor: o.ShippingMinor + o.ShippingDiscountMinor}
	if s.cfg.Shipping != nil {
		zone, err := s.cfg.Shipping.ZoneFor(ctx, shipTo(&o.ShippingAddress))
		if err != nil {
			return CartPrice{}, fmt.Errorf("shipping zone: %w", err)
		}
		if zone != nil {
			ship.ZoneID = zone.ID
		}
	}
	contact := ""
	if o.GuestContact != nil {
		contact = *o.GuestContact
	}
	promos, err := promotion.Load(ctx, c, s.cfg.Now(), lines, codes, o.CustomerID, promotion.BuyerOf(o.CustomerID, contact))
	if err != nil {
		return CartPrice{}, err
	}
	promos.Without(o.Promotions)
	totals := Price(lines, tax, ship, promos)
	return CartPrice{
		Totals:    totals,
		Codes:     promos.Statuses(linesOf(lines), ship.PriceMinor),
		Discounts: promos.Applied(totals),
	}, nil
}
