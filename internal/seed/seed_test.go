package seed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/stockmovement"
	"github.com/savannah-commerce/savannah/internal/app/apptest"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// benchCatalog is the shared benchmark catalogue, next to the repository.
const benchCatalog = "../../../shared/bench/catalog.json"

func demoCatalog(t *testing.T) *seed.Catalog {
	t.Helper()
	cat, err := seed.Parse(bytes.NewReader(seed.Demo()))
	require.NoError(t, err)
	return cat
}

// wantResult is what loading cat into an empty store creates.
func wantResult(cat *seed.Catalog) seed.Result {
	r := seed.Result{CategoriesCreated: len(cat.Categories), ProductsCreated: len(cat.Products)}
	for _, p := range cat.Products {
		r.VariantsCreated += len(p.Variants)
	}
	return r
}

func TestLoadDemo(t *testing.T) {
	t.Parallel()
	cat := demoCatalog(t)
	require.Equal(t, seed.Result{CategoriesCreated: 34, ProductsCreated: 42, VariantsCreated: 87}, wantResult(cat),
		"the demo catalogue changed; update this test")
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up") // inspects every row, stock ledger included
		client := apptest.New(t, apptest.Config(t, db)).Client     // the production client and hooks

		empty, err := seed.IsEmpty(ctx, client)
		require.NoError(t, err)
		require.True(t, empty)

		res, err := seed.Load(ctx, client, cat)
		require.NoError(t, err)
		require.Equal(t, wantResult(cat), res)

		empty, err = seed.IsEmpty(ctx, client)
		require.NoError(t, err)
		require.False(t, empty)

		checkStore(t, client, cat)
		before := takeSnapshot(t, client)

		res, err = seed.Load(ctx, client, cat)
		require.NoError(t, err)
		require.Equal(t, seed.Result{}, res, "a second load creates nothing")
		require.Equal(t, before, takeSnapshot(t, client), "a second load changes nothing")
	})
}

func TestLoadExtendsExistingStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up") // inspects every row, stock ledger included
		client := apptest.New(t, apptest.Config(t, db)).Client     // the production client and hooks
		cat := demoCatalog(t)
		_, err := seed.Load(ctx, client, cat)
		require.NoError(t, err)

		// A new leaf under an existing category, with a new product; and a
		// cheaper new variant of an existing product.
		more := demoCatalog(t)
		parent := more.Categories[len(more.Categories)-1]
		leaf := seed.Category{ID: 1000, Slug: "new-leaf", Name: "New leaf", ParentID: &parent.ID, Position: 9}
		more.Categories = append(more.Categories, leaf)
		more.Products = append(more.Products, seed.Product{
			ID: 1000, Slug: "new-product", Name: "New product", CategoryID: leaf.ID,
			Variants: []seed.Variant{{SKU: "NEW-1", Name: "New product one", Size: "one", Price: 500, StockOnHand: 3}},
		})
		extended := &more.Products[0]
		extended.Variants = append(extended.Variants, seed.Variant{
			SKU: "EXTRA-1", Name: extended.Name + " extra", Size: "extra", Price: 1, StockOnHand: 7, TrackInventory: true,
		})

		res, err := seed.Load(ctx, client, more)
		require.NoError(t, err)
		require.Equal(t, seed.Result{CategoriesCreated: 1, ProductsCreated: 1, VariantsCreated: 2}, res)
		checkStore(t, client, more)

		p := client.Product.Query().Where(product.Slug(extended.Slug)).OnlyX(ctx)
		require.Equal(t, int64(1), p.MinPriceMinor, "the new, cheaper variant widens the price range")
		v := client.ProductVariant.Query().Where(productvariant.Sku("EXTRA-1")).OnlyX(ctx)
		require.Equal(t, len(extended.Variants)-1, v.Position)
	})
}

func TestLoadBenchCatalog(t *testing.T) {
	t.Parallel()
	f, err := os.Open(benchCatalog)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not found", benchCatalog)
	}
	require.NoError(t, err)
	defer f.Close()
	cat, err := seed.Parse(f)
	require.NoError(t, err)

	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up") // inspects every row, stock ledger included
		counter := database.NewCountingDriver(db.Driver())
		cfg := apptest.Config(t, db)
		cfg.Driver = counter
		client := apptest.New(t, cfg).Client

		start := time.Now()
		res, err := seed.Load(ctx, client, cat)
		elapsed := time.Since(start)
		require.NoError(t, err)
		require.Equal(t, seed.Result{CategoriesCreated: 130, ProductsCreated: 2000, VariantsCreated: 6000}, res)
		t.Logf("loaded %d categories, %d products, %d variants in %v with %d statements",
			res.CategoriesCreated, res.ProductsCreated, res.VariantsCreated, elapsed.Round(time.Millisecond), counter.Count())
		// Batched: a statement per product would be over 2,000.
		require.Less(t, counter.Count(), int64(400), "statements for the first load")

		require.Equal(t, 130, client.Category.Query().CountX(ctx))
		require.Equal(t, 2000, client.Product.Query().CountX(ctx))
		require.Equal(t, 6000, client.ProductVariant.Query().CountX(ctx))
		checkStore(t, client, cat)

		counter.Reset()
		start = time.Now()
		res, err = seed.Load(ctx, client, cat)
		require.NoError(t, err)
		require.Equal(t, seed.Result{}, res)
		t.Logf("second load: %v with %d statements", time.Since(start).Round(time.Millisecond), counter.Count())
	})
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(c map[string]any)
		want string // in the error
	}{
		{
			name: "wrong format",
			edit: func(c map[string]any) { c["format"] = "bench-catalog/2" },
			want: `format "bench-catalog/2"`,
		},
		{
			name: "unknown category",
			edit: func(c map[string]any) { productAt(c, 0)["categoryId"] = 999 },
			want: "unknown category 999",
		},
		{
			name: "child before its parent",
			edit: func(c map[string]any) {
				cats := c["categories"].([]any)
				cats[0], cats[1] = cats[1], cats[0]
			},
			want: "is not listed before it",
		},
		{
			name: "empty category slug",
			edit: func(c map[string]any) { c["categories"].([]any)[0].(map[string]any)["slug"] = "" },
			want: "empty slug",
		},
		{
			name: "malformed product slug",
			edit: func(c map[string]any) { productAt(c, 0)["slug"] = "Not A Slug" },
			want: `"Not A Slug": slug:`,
		},
		{
			name: "empty sku",
			edit: func(c map[string]any) { variant(c, 0, 0)["sku"] = "" },
			want: "empty sku",
		},
		{
			name: "duplicate sku",
			edit: func(c map[string]any) { variant(c, 1, 0)["sku"] = variant(c, 0, 0)["sku"] },
			want: "duplicate sku",
		},
		{
			name: "duplicate product slug",
			edit: func(c map[string]any) { productAt(c, 1)["slug"] = productAt(c, 0)["slug"] },
			want: "duplicate slug",
		},
		{
			name: "negative price",
			edit: func(c map[string]any) { variant(c, 0, 0)["price"] = -1 },
			want: "price:",
		},
		{
			name: "unknown currency",
			edit: func(c map[string]any) { c["currency"] = "KSH" },
			want: `currency: unknown currency: "KSH"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var raw map[string]any
			require.NoError(t, json.Unmarshal(seed.Demo(), &raw))
			tt.edit(raw)
			b, err := json.Marshal(raw)
			require.NoError(t, err)

			_, err = seed.Parse(bytes.NewReader(b))
			require.ErrorIs(t, err, seed.ErrInvalidCatalog)
			require.ErrorContains(t, err, tt.want)
		})
	}

	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		cat := demoCatalog(t)
		require.Equal(t, "KES", cat.Currency)
	})
	t.Run("not JSON", func(t *testing.T) {
		t.Parallel()
		_, err := seed.Parse(strings.NewReader("{"))
		require.ErrorIs(t, err, seed.ErrInvalidCatalog)
	})
}

// TestForStore: a catalogue loads only into a store of its currency; the
// demo keeps its figures in the store's currency and decimals.
func TestForStore(t *testing.T) {
	t.Parallel()
	require.NoError(t, demoCatalog(t).ForStore("KES", false))

	cat := demoCatalog(t)
	require.ErrorIs(t, cat.ForStore("UGX", false), seed.ErrOtherCurrency)
	require.Error(t, cat.ForStore("KWD", true), "not a store currency")

	kes, ugx := demoCatalog(t), demoCatalog(t)
	require.NoError(t, ugx.ForStore("UGX", true))
	require.Equal(t, "UGX", ugx.Currency)
	v, w := kes.Products[0].Variants[0], ugx.Products[0].Variants[0]
	require.Equal(t, v.Price/100, w.Price, "KES %d.00 is UGX %d", v.Price/100, w.Price)
	require.NoError(t, ugx.Validate())

	// A price with cents has no exact UGX figure: refused, nothing changed.
	odd := demoCatalog(t)
	odd.Products[1].Variants[0].Price = 129950
	require.ErrorContains(t, odd.ForStore("UGX", true), "UGX amounts have no decimals")
	require.Equal(t, "KES", odd.Currency)
	require.Equal(t, kes.Products[0].Variants[0].Price, odd.Products[0].Variants[0].Price)
}

func productAt(c map[string]any, i int) map[string]any {
	return c["products"].([]any)[i].(map[string]any)
}

func variant(c map[string]any, p, v int) map[string]any {
	return productAt(c, p)["variants"].([]any)[v].(map[string]any)
}

// checkStore checks the invariants of a seeded store, and that it holds
// the catalogue cat.
func checkStore(t *testing.T, client *ent.Client, cat *seed.Catalog) {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up") // inspects every row, stock ledger included

	// The whole category tree: paths and depths follow the parents.
	cats := client.Category.Query().AllX(ctx)
	byID := make(map[int]*ent.Category, len(cats))
	for _, c := range cats {
		byID[c.ID] = c
	}
	for _, c := range cats {
		if c.ParentID == nil {
			require.Equal(t, fmt.Sprintf("/%d/", c.ID), c.Path, c.Slug)
			require.Zero(t, c.Depth, c.Slug)
			continue
		}
		parent := byID[*c.ParentID]
		require.NotNil(t, parent, c.Slug)
		require.Equal(t, fmt.Sprintf("%s%d/", parent.Path, c.ID), c.Path, c.Slug)
		require.Equal(t, parent.Depth+1, c.Depth, c.Slug)
	}

	// Every category, product and variant of the file is there, where the
	// file puts it.
	catSlugs := make(map[int]string, len(cat.Categories)) // by the file's ID
	bySlug := make(map[string]*ent.Category, len(cats))
	for _, c := range cats {
		bySlug[c.Slug] = c
	}
	for _, c := range cat.Categories {
		catSlugs[c.ID] = c.Slug
		got := bySlug[c.Slug]
		require.NotNil(t, got, c.Slug)
		require.Equal(t, c.Position, got.Position, c.Slug)
		if c.ParentID != nil {
			require.Equal(t, bySlug[catSlugs[*c.ParentID]].ID, *got.ParentID, c.Slug)
		}
	}
	products := client.Product.Query().WithVariants().WithCategory().AllX(ctx)
	stored := make(map[string]*ent.Product, len(products))
	for _, p := range products {
		stored[p.Slug] = p
	}
	for _, p := range cat.Products {
		got := stored[p.Slug]
		require.NotNil(t, got, p.Slug)
		require.Equal(t, product.StatusACTIVE, got.Status, p.Slug)
		require.Equal(t, catSlugs[p.CategoryID], got.Edges.Category.Slug, p.Slug)
		skus := make(map[string]*ent.ProductVariant, len(got.Edges.Variants))
		for _, v := range got.Edges.Variants {
			skus[v.Sku] = v
		}
		for i, v := range p.Variants {
			gv := skus[v.SKU]
			require.NotNil(t, gv, v.SKU)
			require.Equal(t, v.Price, gv.PriceMinor, v.SKU)
			require.Equal(t, v.StockOnHand, gv.StockOnHand, v.SKU)
			require.Equal(t, v.TrackInventory, gv.TrackInventory, v.SKU)
			require.Equal(t, []schematype.VariantOption{{Name: "size", Value: v.Size}}, gv.Options, v.SKU)
			require.Equal(t, i, gv.Position, v.SKU)
		}
	}

	// Price ranges match the variants.
	for _, p := range products {
		if len(p.Edges.Variants) == 0 {
			continue
		}
		lo, hi := p.Edges.Variants[0].PriceMinor, p.Edges.Variants[0].PriceMinor
		for _, v := range p.Edges.Variants {
			lo, hi = min(lo, v.PriceMinor), max(hi, v.PriceMinor)
		}
		require.Equal(t, lo, p.MinPriceMinor, p.Slug)
		require.Equal(t, hi, p.MaxPriceMinor, p.Slug)
	}

	// The stock ledger adds up to the stock on hand.
	var sums []struct {
		VariantID int `json:"variant_id"`
		Sum       int `json:"sum"`
	}
	client.StockMovement.Query().
		GroupBy(stockmovement.FieldVariantID).
		Aggregate(ent.Sum(stockmovement.FieldDelta)).
		ScanX(ctx, &sums)
	ledger := make(map[int]int, len(sums))
	for _, s := range sums {
		ledger[s.VariantID] = s.Sum
	}
	for _, v := range client.ProductVariant.Query().AllX(ctx) {
		require.Equal(t, v.StockOnHand, ledger[v.ID], v.Sku)
	}
	require.Zero(t, client.StockMovement.Query().Where(stockmovement.ReasonNEQ(seed.StockReason)).CountX(ctx))
}

// snapshot is what a reload must not change: every row's key, the values
// seeding sets, and its updated_at.
type snapshot struct {
	Categories, Products, Variants, Movements []string
}

func takeSnapshot(t *testing.T, client *ent.Client) snapshot {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up") // inspects every row, stock ledger included
	var s snapshot
	for _, c := range client.Category.Query().Order(ent.Asc(category.FieldID)).AllX(ctx) {
		s.Categories = append(s.Categories, fmt.Sprint(c.ID, c.Slug, c.Path, c.Depth, c.Position, c.UpdatedAt.UnixNano()))
	}
	for _, p := range client.Product.Query().Order(ent.Asc(product.FieldID)).AllX(ctx) {
		s.Products = append(s.Products, fmt.Sprint(p.ID, p.Slug, p.CategoryID, p.MinPriceMinor, p.MaxPriceMinor, p.UpdatedAt.UnixNano()))
	}
	for _, v := range client.ProductVariant.Query().Order(ent.Asc(productvariant.FieldID)).AllX(ctx) {
		s.Variants = append(s.Variants, fmt.Sprint(v.ID, v.Sku, v.ProductID, v.PriceMinor, v.StockOnHand, v.UpdatedAt.UnixNano()))
	}
	for _, m := range client.StockMovement.Query().Order(ent.Asc(stockmovement.FieldID)).AllX(ctx) {
		s.Movements = append(s.Movements, fmt.Sprint(m.ID, m.VariantID, m.Delta, m.ResultingLevel))
	}
	return s
}

// TestLoadDemoTax seeds Kenya's VAT: 16 % standard, a zero-rated class
// with a few staples in it, an exempt class; loading again adds nothing.
func TestLoadDemoTax(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		client := apptest.New(t, apptest.Config(t, db)).Client
		_, err := seed.Load(ctx, client, demoCatalog(t))
		require.NoError(t, err)
		for range 2 {
			require.NoError(t, seed.LoadTax(ctx, client, seed.DemoTax()))
		}
		classes := client.TaxClass.Query().WithRates().AllX(ctx)
		require.Len(t, classes, 3)
		byCode := map[string]*ent.TaxClass{}
		for _, c := range classes {
			byCode[c.Code] = c
		}
		require.Equal(t, int64(1600), byCode["standard"].Edges.Rates[0].BasisPoints)
		require.Equal(t, int64(0), byCode["zero-rated"].Edges.Rates[0].BasisPoints)
		require.Empty(t, byCode["exempt"].Edges.Rates)
		zero := client.ProductVariant.Query().Where(productvariant.TaxClassID(byCode["zero-rated"].ID)).CountX(ctx)
		require.Positive(t, zero)
	})
}
