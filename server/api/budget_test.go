package api_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
)

// syntheticCatalog is a two-level tree with n products of three variants,
// spread over four leaf categories.
func syntheticCatalog(n int) *seed.Catalog {
	root := 1
	cat := &seed.Catalog{Format: "bench-catalog/1", Currency: "KES",
		Categories: []seed.Category{{ID: root, Slug: "root", Name: "Root"}}}
	for i := 2; i <= 5; i++ {
		cat.Categories = append(cat.Categories, seed.Category{ID: i, Slug: fmt.Sprintf("leaf-%d", i), Name: fmt.Sprintf("Leaf %d", i), ParentID: &root, Depth: 1, Position: i})
	}
	for i := 1; i <= n; i++ {
		p := seed.Product{ID: i, Slug: fmt.Sprintf("product-%d", i), Name: fmt.Sprintf("Product %d", i), CategoryID: 2 + i%4}
		for j, size := range []string{"S", "M", "L"} {
			p.Variants = append(p.Variants, seed.Variant{
				SKU: fmt.Sprintf("P%04d-%s", i, size), Name: p.Name + " " + size, Size: size,
				Price: int64(1000*i + 100*j), StockOnHand: 10, TrackInventory: true,
			})
		}
		cat.Products = append(cat.Products, p)
	}
	return cat
}

// TestStatementBudget holds the read path to a fixed number of SQL
// statements, whatever the page size: one per list level plus the count.
func TestStatementBudget(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(100))

		list10 := s.statements("ProductList", map[string]any{"first": 10})
		list100 := s.statements("ProductList", map[string]any{"first": 100})
		// Products, their count, their categories, their variants (which
		// also answer availableForSale).
		require.Equal(t, int64(4), list100, "ProductList with 100 products")
		require.Equal(t, list10, list100, "ProductList must not grow with the page")

		page5 := s.statements("CategoryPage", map[string]any{"slug": "root", "first": 5})
		page100 := s.statements("CategoryPage", map[string]any{"slug": "root", "first": 100})
		require.Equal(t, page5, page100, "CategoryPage must not grow with the page")
		// The category, ancestors (none for a root: no query), children,
		// products and their count, categories, availability.
		require.LessOrEqual(t, page100, int64(6))

		tree := s.statements("CategoryTree", nil)
		require.Equal(t, int64(3), tree, "one query per level of the tree")

		detail := s.statements("ProductDetail", map[string]any{"slug": "product-7"})
		// The product with its category and variants, then the ancestors.
		require.LessOrEqual(t, detail, int64(4))

		search10 := s.statements("Search", map[string]any{"query": "product", "first": 10})
		search100 := s.statements("Search", map[string]any{"query": "product", "first": 100})
		// The count, the ranked page of IDs, the products with their
		// categories, their variants.
		require.Equal(t, int64(5), search100, "Search with 100 products")
		require.Equal(t, search10, search100, "Search must not grow with the page")
	})
}
