package checkout

import "github.com/savannah-commerce/savannah/ent"

// PricedLine is what one cart line costs, in the store currency's minor
// units.
type PricedLine struct {
	LineID    int
	VariantID int
	Quantity  int
	// UnitMinor is the variant's catalogue price now.
	UnitMinor int64
	// TotalMinor is UnitMinor times Quantity.
	TotalMinor int64
}

// Totals is what a cart costs, in the store currency's minor units. It is
// the one shape both the Cart's GraphQL fields and placeOrder read; the
// charges still to come (shipping rates, tax, discounts) become fields
// here and terms of TotalMinor in Price, and nowhere else.
type Totals struct {
	// Lines are priced in the order given.
	Lines []PricedLine
	// Quantity is the number of units over all lines.
	Quantity int
	// SubtotalMinor is the sum of the line totals.
	SubtotalMinor int64
	// ShippingMinor is free (0) until shipping rates exist.
	ShippingMinor int64
	// TotalMinor is what the customer pays: subtotal plus shipping.
	TotalMinor int64
}

// Price prices cart lines at the catalogue's current prices, never one
// remembered in the cart: line totals, subtotal and total. Each line needs
// its variant loaded (WithVariant); one without costs nothing. Amounts
// are integer minor units: formatting them is the money layer's job.
func Price(lines []*ent.CartLine) Totals {
	t := Totals{Lines: make([]PricedLine, len(lines))}
	for i, l := range lines {
		pl := PriceLine(l)
		t.Lines[i] = pl
		t.Quantity += pl.Quantity
		t.SubtotalMinor += pl.TotalMinor
	}
	t.TotalMinor = t.SubtotalMinor + t.ShippingMinor
	return t
}

// PriceLine prices one cart line, as Price does each.
func PriceLine(l *ent.CartLine) PricedLine {
	pl := PricedLine{LineID: l.ID, VariantID: l.VariantID, Quantity: l.Quantity}
	if v := l.Edges.Variant; v != nil {
		pl.UnitMinor = v.PriceMinor
		pl.TotalMinor = v.PriceMinor * int64(l.Quantity)
	}
	return pl
}
