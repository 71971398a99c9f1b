// Package pricing is the store's one pricing engine: it turns lines (a
// cart, or an order being placed) into line amounts, discounts, shipping,
// tax per rate and totals, in integer minor units of the store currency.
//
// Allocation is exact. Discounts come first: a line discount is spread
// over its lines with largest-remainder rounding, a shipping discount
// comes off the shipping charge. Tax is computed after them, once per
// rate on the amount that rate applies to, then spread over the lines
// (and shipping) it covers with largest-remainder rounding. So
// the line amounts always add up to the order amounts, and net + tax =
// gross for every line, for shipping and for the totals, in both
// tax-inclusive stores (catalogue prices include tax, as in Kenya) and
// tax-exclusive ones.
//
// The engine is pure: it reads nothing. Callers give it the prices and the
// rates that apply (see For), so the same figures price the Cart and
// placeOrder, which snapshots them.
package pricing

import (
	"math/big"
	"sort"
)

// Amount is a taxed amount: net + tax = gross.
type Amount struct {
	Net, Tax, Gross int64
}

// Add returns a + b.
func (a Amount) Add(b Amount) Amount {
	return Amount{a.Net + b.Net, a.Tax + b.Tax, a.Gross + b.Gross}
}

// Rate is one tax rate of a tax class, in basis points (1600 = 16 %).
// Every rate of a class applies to the same taxable (net) amount.
type Rate struct {
	ID          int
	Name        string
	ClassID     int
	ClassName   string
	BasisPoints int64
	// ZoneID is the shipping zone the rate is for; 0 is every zone.
	ZoneID int
}

// For picks the rates that apply to an address in zoneID (0: no zone
// known): for each class, the class's rates for that zone when it has
// any, else its rates for every zone.
func For(rates []Rate, zoneID int) []Rate {
	zoned := map[int]bool{}
	for _, r := range rates {
		if zoneID != 0 && r.ZoneID == zoneID {
			zoned[r.ClassID] = true
		}
	}
	var out []Rate
	for _, r := range rates {
		if (zoned[r.ClassID] && r.ZoneID == zoneID) || (!zoned[r.ClassID] && r.ZoneID == 0) {
			out = append(out, r)
		}
	}
	return out
}

// Line is one line to price.
type Line struct {
	// ID is the caller's (a cart line's ID); the engine only carries it.
	ID       int
	Quantity int
	// UnitMinor is the catalogue unit price (tax included or not, as the
	// store's prices are).
	UnitMinor int64
	// ClassID is the line's tax class; 0 uses Input.DefaultClassID.
	ClassID int
}

// Discount takes AmountMinor off the lines with LineIDs (every line when
// empty), spread over them in proportion to their totals; it is capped at
// what those lines cost. A Shipping discount takes it off the shipping
// charge instead (LineIDs are ignored), capped at what shipping still
// costs. Amounts are in the store's price mode (gross in a tax-inclusive
// store, net in an exclusive one).
type Discount struct {
	Name        string
	AmountMinor int64
	LineIDs     []int
	Shipping    bool
	// Ref is the caller's (the promotion it comes from); the engine only
	// carries it.
	Ref string
}

// AppliedDiscount is a discount with what it took off after the cap.
type AppliedDiscount struct {
	Discount
	AppliedMinor int64
}

// Discounter is the hook that promotions fill: it looks at the lines and
// the shipping charge (Input.ShippingMinor) and returns the discounts
// that apply.
type Discounter interface {
	Discounts(lines []Line, shippingMinor int64) []Discount
}

// Input is everything the engine needs.
type Input struct {
	Lines []Line
	// Discounters run in order; their discounts add up.
	Discounters []Discounter
	// ShippingMinor is the shipping price in the store's price mode, and
	// ShippingClassID its tax class (0: the default class).
	ShippingMinor   int64
	ShippingClassID int
	// PricesIncludeTax: catalogue and shipping prices include tax.
	PricesIncludeTax bool
	// DefaultClassID is the store's default tax class (0: none).
	DefaultClassID int
	// Rates are the rates that apply to this order, for every class
	// (For picks them).
	Rates []Rate
}

// PricedLine is one line's figures.
type PricedLine struct {
	ID        int
	Quantity  int
	UnitMinor int64
	// TotalMinor is UnitMinor × Quantity, before discounts.
	TotalMinor    int64
	DiscountMinor int64
	ClassID       int
	// Amount is what the line costs after discounts, with its tax.
	Amount Amount
}

// TaxLine is what one rate adds to the order.
type TaxLine struct {
	Rate
	// BaseMinor is the net amount the rate applies to.
	BaseMinor int64
	TaxMinor  int64
}

// Totals is the priced order.
type Totals struct {
	Lines []PricedLine
	// Quantity is the number of units over all lines.
	Quantity int
	// SubtotalMinor is the sum of the line totals (catalogue prices,
	// before discounts).
	SubtotalMinor int64
	// DiscountMinor is what discounts took off the lines (the sum of the
	// lines' DiscountMinor), ShippingDiscountMinor what they took off
	// shipping.
	DiscountMinor         int64
	ShippingDiscountMinor int64
	// Discounts are the discounts in the order applied, with what each
	// took off; their AppliedMinor add up to DiscountMinor +
	// ShippingDiscountMinor.
	Discounts []AppliedDiscount
	// Items is the sum of the lines' amounts.
	Items Amount
	// Shipping is the shipping's amount, after shipping discounts.
	Shipping Amount
	// Taxes are one per rate that applies, in the order of Input.Rates.
	Taxes []TaxLine
	// Total is Items + Shipping: Total.Gross is what the customer pays.
	Total Amount
	// PricesIncludeTax echoes the input.
	PricesIncludeTax bool
}

// Price prices in.
func Price(in Input) Totals {
	t := Totals{Lines: make([]PricedLine, len(in.Lines)), PricesIncludeTax: in.PricesIncludeTax}
	class := func(c int) int {
		if c == 0 {
			return in.DefaultClassID
		}
		return c
	}
	for i, l := range in.Lines {
		t.Lines[i] = PricedLine{
			ID: l.ID, Quantity: l.Quantity, UnitMinor: l.UnitMinor,
			TotalMinor: l.UnitMinor * int64(l.Quantity), ClassID: class(l.ClassID),
		}
		t.Quantity += l.Quantity
		t.SubtotalMinor += t.Lines[i].TotalMinor
	}
	shipping := max(in.ShippingMinor, 0)
	for _, d := range in.Discounters {
		for _, disc := range d.Discounts(in.Lines, shipping) {
			var applied int64
			if disc.Shipping {
				applied = min(max(disc.AmountMinor, 0), shipping-t.ShippingDiscountMinor)
				t.ShippingDiscountMinor += applied
			} else {
				applied = applyDiscount(t.Lines, disc)
			}
			t.Discounts = append(t.Discounts, AppliedDiscount{Discount: disc, AppliedMinor: applied})
		}
	}
	// What each item costs in the store's price mode: the lines after
	// discounts, then shipping as the last item.
	n := len(t.Lines)
	amounts := make([]int64, n+1)
	classes := make([]int, n+1)
	for i, l := range t.Lines {
		amounts[i] = l.TotalMinor - l.DiscountMinor
		classes[i] = l.ClassID
		t.DiscountMinor += l.DiscountMinor
	}
	amounts[n], classes[n] = shipping-t.ShippingDiscountMinor, class(in.ShippingClassID)

	taxes := make([]int64, n+1)
	byClass := map[int][]int{} // class → indexes of in.Rates
	var order []int            // classes in order of first rate
	for i, r := range in.Rates {
		if _, ok := byClass[r.ClassID]; !ok {
			order = append(order, r.ClassID)
		}
		byClass[r.ClassID] = append(byClass[r.ClassID], i)
	}
	rateTax := make([]int64, len(in.Rates))
	rateBase := make([]int64, len(in.Rates))
	for _, c := range order {
		rates := byClass[c]
		var items []int
		var sum int64
		for i, cl := range classes {
			if cl == c && amounts[i] > 0 {
				items = append(items, i)
				sum += amounts[i]
			}
		}
		if len(items) == 0 {
			continue
		}
		bps := make([]int64, len(rates))
		var totalBP int64
		for j, ri := range rates {
			bps[j] = max(in.Rates[ri].BasisPoints, 0)
			totalBP += bps[j]
		}
		var net int64
		perRate := make([]int64, len(rates))
		if in.PricesIncludeTax {
			// gross = net × (1 + Σrate): the net is rounded once for the
			// class, and its tax shared between the rates by their size.
			net = divRound(sum, 10000, 10000+totalBP)
			perRate = Allocate(sum-net, bps)
		} else {
			net = sum
			for j := range rates {
				perRate[j] = divRound(sum, bps[j], 10000)
			}
		}
		weights := make([]int64, len(items))
		for k, i := range items {
			weights[k] = amounts[i]
		}
		for j, ri := range rates {
			rateTax[ri], rateBase[ri] = perRate[j], net
			for k, share := range Allocate(perRate[j], weights) {
				taxes[items[k]] += share
			}
		}
	}
	amount := func(i int) Amount {
		if in.PricesIncludeTax {
			return Amount{Net: amounts[i] - taxes[i], Tax: taxes[i], Gross: amounts[i]}
		}
		return Amount{Net: amounts[i], Tax: taxes[i], Gross: amounts[i] + taxes[i]}
	}
	for i := range t.Lines {
		t.Lines[i].Amount = amount(i)
		t.Items = t.Items.Add(t.Lines[i].Amount)
	}
	t.Shipping = amount(n)
	t.Total = t.Items.Add(t.Shipping)
	for i, r := range in.Rates {
		if rateBase[i] > 0 {
			t.Taxes = append(t.Taxes, TaxLine{Rate: r, BaseMinor: rateBase[i], TaxMinor: rateTax[i]})
		}
	}
	return t
}

// applyDiscount spreads d over its lines, capped at what they still cost,
// and returns what it took off.
func applyDiscount(lines []PricedLine, d Discount) int64 {
	want := map[int]bool{}
	for _, id := range d.LineIDs {
		want[id] = true
	}
	var idx []int
	var weights []int64
	var left int64
	for i, l := range lines {
		if len(want) == 0 || want[l.ID] {
			rest := l.TotalMinor - l.DiscountMinor
			idx = append(idx, i)
			weights = append(weights, rest)
			left += rest
		}
	}
	amount := min(max(d.AmountMinor, 0), left)
	for k, share := range Allocate(amount, weights) {
		lines[idx[k]].DiscountMinor += share
	}
	return amount
}

// Allocate splits total (≥ 0) over weights (≥ 0) in proportion, by the
// largest-remainder method: each share is the floor of its exact part,
// and the units left over go to the largest remainders (the earlier on a
// tie). The shares always sum to total. With no positive weight the total
// is split evenly.
func Allocate(total int64, weights []int64) []int64 {
	shares := make([]int64, len(weights))
	if len(weights) == 0 || total == 0 {
		return shares
	}
	w := make([]int64, len(weights))
	var sum int64
	for i, x := range weights {
		w[i] = max(x, 0)
		sum += w[i]
	}
	if sum == 0 {
		for i := range w {
			w[i] = 1
		}
		sum = int64(len(w))
	}
	type rem struct {
		i int
		r *big.Int
	}
	rems := make([]rem, len(w))
	bigTotal, bigSum := big.NewInt(total), big.NewInt(sum)
	var given int64
	for i, x := range w {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(bigTotal, big.NewInt(x)), bigSum, new(big.Int))
		shares[i] = q.Int64()
		given += shares[i]
		rems[i] = rem{i, r}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r.Cmp(rems[b].r) > 0 })
	for k := int64(0); k < total-given; k++ {
		shares[rems[k].i]++
	}
	return shares
}

// divRound is a × b / c rounded half up, for a, b ≥ 0 and c > 0, without
// overflow.
func divRound(a, b, c int64) int64 {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	p.Mul(p, big.NewInt(2)).Add(p, big.NewInt(c))
	return p.Quo(p, big.NewInt(2*c)).Int64()
}
