package pricing_test

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/pricing"
)

const (
	standard = 1
	zero     = 2
	exempt   = 3
	reduced  = 4
)

var kenya = []pricing.Rate{
	{ID: 10, Name: "VAT", ClassID: standard, ClassName: "Standard", BasisPoints: 1600},
	{ID: 11, Name: "VAT 0%", ClassID: zero, ClassName: "Zero-rated", BasisPoints: 0},
}

func TestPriceInclusiveKenya(t *testing.T) {
	// 3 × 99.99 at 16 % included: 299.97 gross, net 258.59 (299.97/1.16 =
	// 258.594…), tax 41.38; a zero-rated line adds no tax.
	got := pricing.Price(pricing.Input{
		Lines: []pricing.Line{
			{ID: 1, Quantity: 3, UnitMinor: 9999},
			{ID: 2, Quantity: 1, UnitMinor: 5000, ClassID: zero},
		},
		PricesIncludeTax: true, DefaultClassID: standard, Rates: kenya,
	})
	require.Equal(t, pricing.Amount{Net: 25859, Tax: 4138, Gross: 29997}, got.Lines[0].Amount)
	require.Equal(t, pricing.Amount{Net: 5000, Tax: 0, Gross: 5000}, got.Lines[1].Amount)
	require.Equal(t, pricing.Amount{Net: 30859, Tax: 4138, Gross: 34997}, got.Total)
	require.Equal(t, int64(34997), got.SubtotalMinor)
	require.Equal(t, []pricing.TaxLine{
		{Rate: kenya[0], BaseMinor: 25859, TaxMinor: 4138},
		{Rate: kenya[1], BaseMinor: 5000, TaxMinor: 0},
	}, got.Taxes)
}

func TestPriceAwkwardAmounts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inclusive bool
		lines     []pricing.Line
		shipping  int64
		wantLines []pricing.Amount
		wantShip  pricing.Amount
		wantTax   int64
	}{
		{
			// Three 1-cent lines at 16 % included: 3 cents gross, net
			// round(3/1.16) = 3, no tax anywhere.
			name: "cents inclusive", inclusive: true,
			lines:     []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: 1}, {ID: 2, Quantity: 1, UnitMinor: 1}, {ID: 3, Quantity: 1, UnitMinor: 1}},
			wantLines: []pricing.Amount{{1, 0, 1}, {1, 0, 1}, {1, 0, 1}},
			wantTax:   0,
		},
		{
			// 10 + 10 + 10 cents at 16 % excluded: tax round(4.8) = 5 for
			// the order, spread 2 + 2 + 1 (equal remainders: earlier
			// lines first), never 2 + 2 + 2.
			name:      "thirds exclusive",
			lines:     []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: 10}, {ID: 2, Quantity: 1, UnitMinor: 10}, {ID: 3, Quantity: 1, UnitMinor: 10}},
			wantLines: []pricing.Amount{{10, 2, 12}, {10, 2, 12}, {10, 1, 11}},
			wantTax:   5,
		},
		{
			// 100.00 gross with 16 %: net 86.21, tax 13.79; 7 × 0.33
			// gross = 2.31: net 1.99, tax 0.32. Shipping 250.00 gross in
			// the standard class: net 215.52, tax 34.48.
			name: "shipping inclusive", inclusive: true, shipping: 25000,
			lines:     []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: 10000}, {ID: 2, Quantity: 7, UnitMinor: 33}},
			wantLines: []pricing.Amount{{8621, 1379, 10000}, {199, 32, 231}},
			wantShip:  pricing.Amount{Net: 21552, Tax: 3448, Gross: 25000},
			wantTax:   1379 + 32 + 3448, // the class is taxed as a whole: 35231 → 30372 net, 4859 tax
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pricing.Price(pricing.Input{
				Lines: tc.lines, ShippingMinor: tc.shipping,
				PricesIncludeTax: tc.inclusive, DefaultClassID: standard, Rates: kenya,
			})
			require.Equal(t, tc.wantTax, got.Total.Tax)
			for i, want := range tc.wantLines {
				require.Equal(t, want, got.Lines[i].Amount, "line %d", i)
			}
			require.Equal(t, tc.wantShip, got.Shipping)
			checkTotals(t, got)
		})
	}
}

func TestAllocate(t *testing.T) {
	require.Equal(t, []int64{34, 33, 33}, pricing.Allocate(100, []int64{1, 1, 1}))
	require.Equal(t, []int64{1, 0, 0}, pricing.Allocate(1, []int64{1, 1, 1}))
	require.Equal(t, []int64{0, 1, 1}, pricing.Allocate(2, []int64{1, 2, 2}))
	require.Equal(t, []int64{5, 5}, pricing.Allocate(10, []int64{0, 0}))
	require.Equal(t, []int64{}, pricing.Allocate(10, []int64{}))
	require.Equal(t, []int64{333333333333, 666666666667}, pricing.Allocate(1_000_000_000_000, []int64{1 << 40, 1 << 41}))
}

func TestDiscountsSpreadExactly(t *testing.T) {
	got := pricing.Price(pricing.Input{
		Lines:            []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: 100}, {ID: 2, Quantity: 2, UnitMinor: 100}, {ID: 3, Quantity: 1, UnitMinor: 50}},
		Discounters:      []pricing.Discounter{fixed{{Name: "100 off", AmountMinor: 100, LineIDs: []int{1, 2}}, {Name: "too much", AmountMinor: 999, LineIDs: []int{3}}}},
		PricesIncludeTax: true, DefaultClassID: standard, Rates: kenya,
	})
	require.Equal(t, []int64{33, 67, 50}, []int64{got.Lines[0].DiscountMinor, got.Lines[1].DiscountMinor, got.Lines[2].DiscountMinor})
	require.Equal(t, int64(150), got.DiscountMinor)
	require.Equal(t, int64(200), got.Total.Gross)
	checkTotals(t, got)
}

func TestShippingDiscount(t *testing.T) {
	// 250.00 shipping incl. 16 %, 100.00 off it: 150.00 gross, net
	// round(150/1.16) = 129.31, tax 20.69 (the second case); a further
	// 200.00 off takes only the 150.00 left. The lines are untouched.
	got := pricing.Price(pricing.Input{
		Lines:         []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: 10000}},
		ShippingMinor: 25000,
		Discounters: []pricing.Discounter{fixed{
			{Name: "100 off shipping", AmountMinor: 10000, Shipping: true},
			{Name: "free shipping", AmountMinor: 20000, Shipping: true},
		}},
		PricesIncludeTax: true, DefaultClassID: standard, Rates: kenya,
	})
	require.Equal(t, pricing.Amount{}, got.Shipping)
	require.Equal(t, int64(25000), got.ShippingDiscountMinor)
	require.Equal(t, []int64{10000, 15000}, []int64{got.Discounts[0].AppliedMinor, got.Discounts[1].AppliedMinor})
	require.Equal(t, int64(0), got.DiscountMinor)
	require.Equal(t, pricing.Amount{Net: 8621, Tax: 1379, Gross: 10000}, got.Total)
	checkTotals(t, got)

	got = pricing.Price(pricing.Input{
		Lines:            []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: 10000}},
		ShippingMinor:    25000,
		Discounters:      []pricing.Discounter{fixed{{Name: "100 off shipping", AmountMinor: 10000, Shipping: true}}},
		PricesIncludeTax: true, DefaultClassID: standard, Rates: kenya,
	})
	require.Equal(t, pricing.Amount{Net: 12931, Tax: 2069, Gross: 15000}, got.Shipping)
	require.Equal(t, int64(10000), got.ShippingDiscountMinor)
	checkTotals(t, got)
}

func TestForZone(t *testing.T) {
	rates := []pricing.Rate{
		{ID: 1, ClassID: standard, BasisPoints: 1600},
		{ID: 2, ClassID: standard, BasisPoints: 800, ZoneID: 7},
		{ID: 3, ClassID: zero},
	}
	ids := func(rs []pricing.Rate) (out []int) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	require.Equal(t, []int{1, 3}, ids(pricing.For(rates, 0)))
	require.Equal(t, []int{2, 3}, ids(pricing.For(rates, 7)))
	require.Equal(t, []int{1, 3}, ids(pricing.For(rates, 8)))
}

// TestPriceProperties prices random carts (random rates, classes,
// discounts and shipping) in both kinds of store: line amounts sum to the
// order's, tax lines sum to the tax, and net + tax = gross everywhere.
func TestPriceProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	for run := range 5000 {
		var rates []pricing.Rate
		for c := standard; c <= reduced; c++ {
			if c == exempt {
				continue
			}
			for k := range rng.Intn(3) {
				rates = append(rates, pricing.Rate{ID: c*10 + k, ClassID: c, BasisPoints: int64(rng.Intn(3000))})
			}
		}
		in := pricing.Input{
			PricesIncludeTax: run%2 == 0,
			DefaultClassID:   rng.Intn(5),
			Rates:            rates,
			ShippingMinor:    int64(rng.Intn(3)) * rng.Int63n(100_000),
			ShippingClassID:  rng.Intn(5),
		}
		for i := range rng.Intn(8) {
			unit := rng.Int63n(1_000_000)
			if rng.Intn(3) == 0 {
				unit = rng.Int63n(7)
			}
			in.Lines = append(in.Lines, pricing.Line{ID: i + 1, Quantity: 1 + rng.Intn(20), UnitMinor: unit, ClassID: rng.Intn(5)})
		}
		if rng.Intn(2) == 0 {
			in.Discounters = []pricing.Discounter{fixed{{AmountMinor: rng.Int63n(500_000)}}}
		}
		if rng.Intn(2) == 0 {
			// Shipping discounts, up to more than the charge.
			var f fixed
			for range 1 + rng.Intn(2) {
				f = append(f, pricing.Discount{AmountMinor: rng.Int63n(120_000), Shipping: true})
			}
			in.Discounters = append(in.Discounters, f)
		}
		got := pricing.Price(in)
		checkTotals(t, got)
		var applied int64
		for _, d := range got.Discounts {
			require.GreaterOrEqual(t, d.AppliedMinor, int64(0))
			applied += d.AppliedMinor
		}
		require.Equal(t, got.DiscountMinor+got.ShippingDiscountMinor, applied)
		require.LessOrEqual(t, got.ShippingDiscountMinor, max(in.ShippingMinor, 0))
		if in.PricesIncludeTax {
			require.Equal(t, max(in.ShippingMinor, 0)-got.ShippingDiscountMinor, got.Shipping.Gross)
		} else {
			require.Equal(t, max(in.ShippingMinor, 0)-got.ShippingDiscountMinor, got.Shipping.Net)
		}
		var sub, disc int64
		for _, l := range got.Lines {
			sub += l.TotalMinor
			disc += l.DiscountMinor
			if in.PricesIncludeTax {
				require.Equal(t, l.TotalMinor-l.DiscountMinor, l.Amount.Gross)
			} else {
				require.Equal(t, l.TotalMinor-l.DiscountMinor, l.Amount.Net)
			}
		}
		require.Equal(t, sub, got.SubtotalMinor)
		require.Equal(t, disc, got.DiscountMinor)
		if t.Failed() {
			t.Fatalf("run %d: %+v", run, in)
		}
	}
}

func checkTotals(t *testing.T, got pricing.Totals) {
	t.Helper()
	var items pricing.Amount
	for _, l := range got.Lines {
		require.Equal(t, l.Amount.Gross, l.Amount.Net+l.Amount.Tax, "line %d", l.ID)
		require.GreaterOrEqual(t, l.Amount.Net, int64(0))
		require.GreaterOrEqual(t, l.Amount.Tax, int64(0))
		items = items.Add(l.Amount)
	}
	require.Equal(t, items, got.Items)
	require.Equal(t, got.Shipping.Gross, got.Shipping.Net+got.Shipping.Tax)
	require.Equal(t, items.Add(got.Shipping), got.Total)
	require.Equal(t, got.Total.Gross, got.Total.Net+got.Total.Tax)
	var taxes int64
	for _, tl := range got.Taxes {
		taxes += tl.TaxMinor
	}
	require.Equal(t, got.Total.Tax, taxes)
}

type fixed []pricing.Discount

func (f fixed) Discounts([]pricing.Line, int64) []pricing.Discount { return f }
