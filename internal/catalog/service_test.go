package catalog_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/stockmovement"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

func ptr[T any](v T) *T { return &v }

func newService(t *testing.T, db *database.DB) (*catalog.Service, *ent.Client) {
	t.Helper()
	client := db.Client()
	return catalog.NewService(client, db.Dialect, kes(t)), client
}

// checkTree asserts every invariant of the whole category tree: each
// category's path is its parent's path plus its own ID, its depth is the
// number of IDs in its path less one, and following parents from any
// category reaches a root (no cycles, no orphans).
func checkTree(t *testing.T, client *ent.Client) {
	t.Helper()
	all, err := client.Category.Query().All(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	byID := make(map[int]*ent.Category, len(all))
	for _, c := range all {
		byID[c.ID] = c
	}
	for _, c := range all {
		want := catalog.Path("", c.ID)
		if c.ParentID != nil {
			p, ok := byID[*c.ParentID]
			require.True(t, ok, "category %d has a missing parent %d", c.ID, *c.ParentID)
			want = catalog.Path(p.Path, c.ID)
		}
		require.Equal(t, want, c.Path, "path of category %d", c.ID)
		require.Equal(t, strings.Count(c.Path, "/")-2, c.Depth, "depth of category %d (path %s)", c.ID, c.Path)
		seen := map[int]bool{}
		for cur := c; cur.ParentID != nil; cur = byID[*cur.ParentID] {
			require.False(t, seen[cur.ID], "cycle through category %d", cur.ID)
			seen[cur.ID] = true
		}
	}
}

func TestCategoryTree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc, client := newService(t, db)
		mk := func(name string, parent *ent.Category) *ent.Category {
			in := catalog.CategoryInput{Name: ptr(name)}
			if parent != nil {
				in.ParentID = &parent.ID
			}
			c, err := svc.CreateCategory(ctx, in)
			require.NoError(t, err)
			return c
		}
		food := mk("Food & Drink", nil)
		require.Equal(t, "food-drink", food.Slug)
		require.Equal(t, 0, food.Depth)
		coffee := mk("Café Crème", food)
		require.Equal(t, "cafe-creme", coffee.Slug)
		require.Equal(t, 1, coffee.Depth)
		beans := mk("Beans", coffee)
		ground := mk("Ground", coffee)
		require.Equal(t, beans.Position+1, ground.Position, "a new sibling goes last")
		deep := mk("Single origin", beans)
		require.Equal(t, catalog.Path(catalog.Path(catalog.Path(catalog.Path("", food.ID), coffee.ID), beans.ID), deep.ID), deep.Path)
		again := mk("Café Crème", nil)
		require.Equal(t, "cafe-creme-2", again.Slug, "a generated slug is made unique")

		// Moving coffee to the root takes the whole subtree along.
		moved, err := svc.UpdateCategory(ctx, coffee.ID, catalog.CategoryInput{ClearParent: true})
		require.NoError(t, err)
		require.Nil(t, moved.ParentID)
		require.Equal(t, 0, moved.Depth)
		d, err := client.Category.Get(ctx, deep.ID)
		require.NoError(t, err)
		require.Equal(t, 2, d.Depth)
		require.Equal(t, "/"+strconv.Itoa(coffee.ID)+"/"+strconv.Itoa(beans.ID)+"/"+strconv.Itoa(deep.ID)+"/", d.Path)
		checkTree(t, client)

		// And under a deeper category, renaming on the way.
		moved, err = svc.UpdateCategory(ctx, coffee.ID, catalog.CategoryInput{ParentID: &again.ID, Name: ptr("Coffee")})
		require.NoError(t, err)
		require.Equal(t, "Coffee", moved.Name)
		require.Equal(t, 1, moved.Depth)
		checkTree(t, client)

		// Refused moves change nothing.
		before := snapshotTree(t, client)
		for _, target := range []int{coffee.ID, beans.ID, deep.ID} {
			_, err = svc.UpdateCategory(ctx, coffee.ID, catalog.CategoryInput{ParentID: ptr(target), Name: ptr("Renamed")})
			require.ErrorIs(t, err, catalog.ErrInvalid, "move under %d", target)
		}
		_, err = svc.UpdateCategory(ctx, coffee.ID, catalog.CategoryInput{ParentID: ptr(food.ID + 999999)})
		require.ErrorIs(t, err, catalog.ErrNotFound)
		_, err = svc.UpdateCategory(ctx, coffee.ID, catalog.CategoryInput{Slug: ptr(food.Slug)})
		require.ErrorIs(t, err, catalog.ErrTaken)
		require.Equal(t, before, snapshotTree(t, client))

		// Delete: refused with children or products, allowed for a leaf.
		err = svc.DeleteCategory(ctx, beans.ID)
		require.ErrorIs(t, err, catalog.ErrInvalid)
		require.Contains(t, err.Error(), "subcategories")
		_, err = svc.CreateProduct(ctx, catalog.ProductInput{Name: ptr("Kenya AA"), CategoryID: &deep.ID}, nil)
		require.NoError(t, err)
		err = svc.DeleteCategory(ctx, deep.ID)
		require.ErrorIs(t, err, catalog.ErrInvalid)
		require.Contains(t, err.Error(), "products")
		require.NoError(t, svc.DeleteCategory(ctx, ground.ID))
		require.ErrorIs(t, svc.DeleteCategory(ctx, ground.ID), catalog.ErrNotFound)
		checkTree(t, client)
	})
}

// snapshotTree is every category's fields that a refused write must not
// change.
func snapshotTree(t *testing.T, client *ent.Client) []string {
	t.Helper()
	all, err := client.Category.Query().Order(ent.Asc(category.FieldID)).All(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	out := make([]string, len(all))
	for i, c := range all {
		parent := "-"
		if c.ParentID != nil {
			parent = strconv.Itoa(*c.ParentID)
		}
		out[i] = strings.Join([]string{c.Name, c.Slug, c.Path, strconv.Itoa(c.Depth), strconv.Itoa(c.Position), parent}, "|")
	}
	return out
}

func TestCategoryValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc, client := newService(t, db)
		tests := []struct {
			name  string
			in    catalog.CategoryInput
			kind  error
			field string
		}{
			{"no name", catalog.CategoryInput{}, catalog.ErrRequired, "input.name"},
			{"blank name", catalog.CategoryInput{Name: ptr("  ")}, catalog.ErrRequired, "input.name"},
			{"long name", catalog.CategoryInput{Name: ptr(strings.Repeat("x", 201))}, catalog.ErrInvalid, "input.name"},
			{"long in bytes", catalog.CategoryInput{Name: ptr(strings.Repeat("ж", 101))}, catalog.ErrInvalid, "input.name"},
			{"bad slug", catalog.CategoryInput{Name: ptr("A"), Slug: ptr("Not A Slug")}, catalog.ErrInvalid, "input.slug"},
			{"negative position", catalog.CategoryInput{Name: ptr("A"), Position: ptr(-1)}, catalog.ErrInvalid, "input.position"},
			{"no parent", catalog.CategoryInput{Name: ptr("A"), ParentID: ptr(1)}, catalog.ErrNotFound, "input.parentID"},
		}
		for _, tt := range tests {
			_, err := svc.CreateCategory(ctx, tt.in)
			require.ErrorIs(t, err, tt.kind, tt.name)
			var ie *catalog.InputError
			require.ErrorAs(t, err, &ie)
			require.Equal(t, tt.field, strings.Join(ie.Problems[0].Field, "."), tt.name)
		}
		n, err := client.Category.Query().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "refused creations wrote nothing")
	})
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Café Crème 250g":        "cafe-creme-250g",
		"  --Hello,   World!-- ": "hello-world",
		"Кофе":                   "kofe",
		"Ugali & Sukuma":         "ugali-sukuma",
		"!!!":                    "",
		"北京":                     "bei-jing",
	}
	for in, want := range tests {
		require.Equal(t, want, catalog.Slugify(in), in)
	}
	require.LessOrEqual(t, len(catalog.Slugify(strings.Repeat("word ", 100))), 80)
}

// kes is the store currency of these tests.
func kes(t testing.TB) money.Currency {
	t.Helper()
	c, err := money.StoreCurrency("KES")
	require.NoError(t, err)
	return c
}

// TestPriceMinor: prices are read in the store's currency, with its
// decimals, and every refusal says what to fix.
func TestPriceMinor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, in string
		want     int64
		err      string
	}{
		{"KES", "1299.00", 129900, ""},
		{"KES", "0", 0, ""},
		{"KES", "5.5", 550, ""},
		{"KES", "1.500", 150, ""},
		{"KES", "1.005", 0, "a price has at most two decimals"},
		{"KES", "-1", 0, "a price cannot be negative"},
		{"KES", "-1.005", 0, "a price cannot be negative"},
		{"KES", "100000000", 10000000000, ""},
		{"KES", "100000000.01", 0, "a price is at most 100000000.00"},
		{"KES", "1e40", 0, "a price is at most 100000000.00"},
		{"UGX", "1500", 1500, ""},
		{"UGX", "15.00", 15, ""},
		{"UGX", "1500.5", 0, "a price has no decimals"},
		{"UGX", "100000001", 0, "a price is at most 100000000"},
		{"KES", "abc", 0, `a price is a decimal number, such as "1299.00"`},
	}
	for _, tt := range tests {
		cur, err := money.StoreCurrency(tt.code)
		require.NoError(t, err)
		got, err := catalog.PriceMinor(cur, tt.in)
		if tt.err != "" {
			require.EqualError(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc, client := newService(t, db)
		cat, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: ptr("Phones")})
		require.NoError(t, err)
		price := func(s string) *string { return ptr(s) }
		p, err := svc.CreateProduct(ctx, catalog.ProductInput{
			Name:       ptr("Simu Bora X"),
			Status:     ptr(product.StatusACTIVE),
			CategoryID: &cat.ID,
			Variants: []catalog.VariantInput{
				{SKU: ptr("SB-X-64"), Name: ptr("64 GB"), Price: price("15000"), StockOnHand: ptr(5),
					Options: []schematype.VariantOption{{Name: "Storage", Value: "64 GB"}}},
				{SKU: ptr("SB-X-128"), Name: ptr("128 GB"), Price: price("19999.50")},
			},
		}, nil)
		require.NoError(t, err)
		require.Equal(t, "simu-bora-x", p.Slug)
		require.Equal(t, int64(1500000), p.MinPriceMinor)
		require.Equal(t, int64(1999950), p.MaxPriceMinor)
		checkLedger(t, client)

		// Refused creations write nothing: a taken SKU, duplicates, bad
		// prices and options, all reported at once.
		_, err = svc.CreateProduct(ctx, catalog.ProductInput{
			Name:       ptr("Other"),
			CategoryID: &cat.ID,
			Variants: []catalog.VariantInput{
				{SKU: ptr("NEW-1"), Name: ptr("a"), Price: price("1")},
				{SKU: ptr("NEW-1"), Name: ptr("b"), Price: price("-1")},
				{SKU: ptr("C"), Name: ptr("c"), Price: price("1.001"),
					Options: []schematype.VariantOption{{Name: "Size", Value: "M"}, {Name: "size", Value: "L"}}},
			},
		}, nil)
		var ie *catalog.InputError
		require.ErrorAs(t, err, &ie)
		var fields []string
		for _, pr := range ie.Problems {
			fields = append(fields, strings.Join(pr.Field, "."))
		}
		require.ElementsMatch(t, []string{"input.variants.1.sku", "input.variants.1.price", "input.variants.2.price", "input.variants.2.options.1.name"}, fields)
		_, err = svc.CreateProduct(ctx, catalog.ProductInput{
			Name: ptr("Other"), CategoryID: &cat.ID,
			Variants: []catalog.VariantInput{{SKU: ptr("NEW-2"), Name: ptr("a"), Price: price("1"), StockOnHand: ptr(3)}, {SKU: ptr("SB-X-64"), Name: ptr("b"), Price: price("1")}},
		}, nil)
		require.ErrorIs(t, err, catalog.ErrTaken)
		n, err := client.Product.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = client.StockMovement.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the refused product's opening stock was rolled back")

		// Variant writes keep the price range current.
		v, err := svc.CreateVariant(ctx, p.ID, catalog.VariantInput{SKU: ptr("SB-X-32"), Name: ptr("32 GB"), Price: price("9999")}, nil)
		require.NoError(t, err)
		require.Equal(t, 2, v.Position)
		requireRange(t, client, p.ID, 999900, 1999950)
		_, err = svc.UpdateVariant(ctx, v.ID, catalog.VariantInput{Price: price("25000")})
		require.NoError(t, err)
		requireRange(t, client, p.ID, 1500000, 2500000)
		_, err = svc.UpdateVariant(ctx, v.ID, catalog.VariantInput{SKU: ptr("SB-X-64")})
		require.ErrorIs(t, err, catalog.ErrTaken)
		_, err = svc.UpdateVariant(ctx, v.ID, catalog.VariantInput{SKU: ptr("SB-X-32-B"), OptionsSet: true,
			Options: []schematype.VariantOption{{Name: " Colour ", Value: "Red"}}})
		require.NoError(t, err)
		got, err := client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Equal(t, "SB-X-32-B", got.Sku)
		require.Equal(t, []schematype.VariantOption{{Name: "Colour", Value: "Red"}}, got.Options)

		// Product updates and archiving.
		up, err := svc.UpdateProduct(ctx, p.ID, catalog.ProductInput{Name: ptr("Simu Bora X2"), Description: ptr("Better")})
		require.NoError(t, err)
		require.Equal(t, "simu-bora-x", up.Slug, "renaming keeps the slug")
		_, err = svc.UpdateProduct(ctx, p.ID, catalog.ProductInput{CategoryID: ptr(cat.ID + 12345)})
		require.ErrorIs(t, err, catalog.ErrNotFound)
		second, err := svc.CreateProduct(ctx, catalog.ProductInput{Name: ptr("Simu Bora X"), CategoryID: &cat.ID}, nil)
		require.NoError(t, err)
		require.Equal(t, "simu-bora-x-2", second.Slug)
		_, err = svc.UpdateProduct(ctx, second.ID, catalog.ProductInput{Slug: ptr("simu-bora-x")})
		require.ErrorIs(t, err, catalog.ErrTaken)
		ar, err := svc.ArchiveProduct(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, product.StatusARCHIVED, ar.Status)
		_, err = svc.ArchiveProduct(ctx, p.ID+99999)
		require.ErrorIs(t, err, catalog.ErrNotFound)
	})
}

func requireRange(t *testing.T, client *ent.Client, id int, lo, hi int64) {
	t.Helper()
	p, err := client.Product.Get(viewer.System(context.Background(), "test: set up"), id)
	require.NoError(t, err)
	require.Equal(t, [2]int64{lo, hi}, [2]int64{p.MinPriceMinor, p.MaxPriceMinor})
}

// checkLedger asserts that the ledger explains every stock level: each
// variant's movements sum to its stock on hand.
func checkLedger(t *testing.T, client *ent.Client) {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	vs, err := client.ProductVariant.Query().All(ctx)
	require.NoError(t, err)
	for _, v := range vs {
		deltas, err := client.StockMovement.Query().Where(stockmovement.VariantID(v.ID)).Select(stockmovement.FieldDelta).Ints(ctx)
		require.NoError(t, err)
		sum := 0
		for _, d := range deltas {
			sum += d
		}
		require.Equal(t, v.StockOnHand, sum, "ledger of variant %s", v.Sku)
	}
}

func TestAdjustStock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc, client := newService(t, db)
		cat, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: ptr("Tea")})
		require.NoError(t, err)
		_, err = svc.CreateProduct(ctx, catalog.ProductInput{Name: ptr("Chai"), CategoryID: &cat.ID,
			Variants: []catalog.VariantInput{{SKU: ptr("CHAI"), Name: ptr("500 g"), Price: ptr("350"), StockOnHand: ptr(10)}}}, nil)
		require.NoError(t, err)
		v, err := client.ProductVariant.Query().Where(productvariant.Sku("CHAI")).Only(ctx)
		require.NoError(t, err)
		require.NoError(t, client.ProductVariant.UpdateOneID(v.ID).SetReserved(4).Exec(ctx))

		got, err := svc.AdjustStock(ctx, v.ID, 5, "delivery", nil)
		require.NoError(t, err)
		require.Equal(t, 15, got.StockOnHand)
		got, err = svc.AdjustStock(ctx, v.ID, -11, "stock count", nil)
		require.NoError(t, err)
		require.Equal(t, 4, got.StockOnHand, "down to what is reserved")

		tests := []struct {
			delta  int
			reason string
			kind   error
		}{
			{-1, "breakage", catalog.ErrInsufficientStock},
			{0, "nothing", catalog.ErrInvalid},
			{1, "  ", catalog.ErrRequired},
			{2_000_000, "typo", catalog.ErrInvalid},
		}
		for _, tt := range tests {
			_, err := svc.AdjustStock(ctx, v.ID, tt.delta, tt.reason, nil)
			require.ErrorIs(t, err, tt.kind, "delta %d", tt.delta)
		}
		_, err = svc.AdjustStock(ctx, v.ID+999, 1, "x", nil)
		require.ErrorIs(t, err, catalog.ErrNotFound)

		// Up to the bound of creation, not beyond: 4 + (MaxStock - 4) is
		// the most, and one more unit is refused.
		got, err = svc.AdjustStock(ctx, v.ID, catalog.MaxStock-4, "container", nil)
		require.NoError(t, err)
		require.Equal(t, catalog.MaxStock, got.StockOnHand)
		_, err = svc.AdjustStock(ctx, v.ID, 1, "one more", nil)
		require.ErrorIs(t, err, catalog.ErrInvalid)
		got, err = svc.AdjustStock(ctx, v.ID, 4-catalog.MaxStock, "recount", nil)
		require.NoError(t, err)
		require.Equal(t, 4, got.StockOnHand)

		moves, err := client.StockMovement.Query().Where(stockmovement.VariantID(v.ID)).Order(ent.Asc(stockmovement.FieldID)).All(ctx)
		require.NoError(t, err)
		require.Len(t, moves, 5)
		require.Equal(t, []int{10, 15, 4}, []int{moves[0].ResultingLevel, moves[1].ResultingLevel, moves[2].ResultingLevel})
		require.Equal(t, "stock count", moves[2].Reason)
		checkLedger(t, client)
	})
}

func TestSearchTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "", want: []string{}},
		{in: "  !!! ... ", want: []string{}},
		{in: "Kettle, 1.7L!", want: []string{"kettle", "1", "7l"}},
		{in: `"a" OR b:* & NEAR(c)`, want: []string{"a", "or", "b", "near", "c"}},
		{in: "Ñandú 北京", want: []string{"ñandú", "北京"}},
		{in: strings.Repeat("w ", 20), want: []string{"w", "w", "w", "w", "w", "w", "w", "w"}},
		{in: strings.Repeat("x", 201), err: true},
	}
	for _, tt := range tests {
		got, err := catalog.SearchTerms(tt.in)
		if tt.err {
			require.ErrorIs(t, err, catalog.ErrInvalid, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, append([]string{}, got...), tt.in)
	}
}
