package seed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/app/apptest"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, err := json.Marshal(seed.Generate(2_000))
	require.NoError(t, err)
	b, err := json.Marshal(seed.Generate(2_000))
	require.NoError(t, err)
	require.Equal(t, a, b)
	// A smaller catalogue is a prefix of a larger one of the same shape.
	small := seed.Generate(300)
	require.Equal(t, small.Products, seed.Generate(2_000).Products[:300])
}

func TestGenerateShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		products, children, leaves int
	}{
		{300, 5, 4},
		{2_000, 5, 4},
		{20_000, 10, 10},
		{200_000, 20, 20},
	} {
		t.Run(fmt.Sprint(tc.products), func(t *testing.T) {
			t.Parallel()
			cat := seed.Generate(tc.products)
			require.NoError(t, cat.Validate())
			require.Len(t, cat.Products, tc.products)
			require.Len(t, cat.Categories, 5+5*tc.children+5*tc.children*tc.leaves)

			depth := map[int]int{}
			kids := map[int]int{}
			for _, c := range cat.Categories {
				depth[c.ID] = c.Depth
				if c.ParentID != nil {
					kids[*c.ParentID]++
					require.Equal(t, depth[*c.ParentID]+1, c.Depth, c.Slug)
				}
			}
			for _, c := range cat.Categories {
				want := map[int]int{0: tc.children, 1: tc.leaves, 2: 0}[c.Depth]
				require.Equal(t, want, kids[c.ID], c.Slug)
			}
			perLeaf := map[int]int{}
			for i, p := range cat.Products {
				require.Equal(t, fmt.Sprintf("product-%06d", i+1), p.Slug)
				require.Equal(t, 2, depth[p.CategoryID], p.Slug)
				perLeaf[p.CategoryID]++
				require.Len(t, p.Variants, 3)
				for j, size := range []string{"S", "M", "L"} {
					v := p.Variants[j]
					require.Equal(t, fmt.Sprintf("P%06d-%s", i+1, size), v.SKU)
					require.Equal(t, 100, v.StockOnHand)
					require.Positive(t, v.Price)
				}
			}
			// Products spread evenly over the leaves.
			leaves := 5 * tc.children * tc.leaves
			require.Len(t, perLeaf, min(leaves, tc.products))
			for id, n := range perLeaf {
				require.InDelta(t, tc.products/leaves, n, 1, "leaf %d", id)
			}
		})
	}
}

// TestGenerateMatchesBenchCatalogShape: at 2,000 products the tree is the
// benchmark catalogue's, slug for slug, with as many products in each
// category.
func TestGenerateMatchesBenchCatalogShape(t *testing.T) {
	t.Parallel()
	f, err := os.Open(benchCatalog)
	if os.IsNotExist(err) {
		t.Skip("no benchmark catalogue next to the repository")
	}
	require.NoError(t, err)
	defer f.Close()
	bench, err := seed.Parse(f)
	require.NoError(t, err)
	gen := seed.Generate(2_000)

	tree := func(c *seed.Catalog) (slugs []string, counts map[string]int) {
		byID := map[int]string{}
		counts = map[string]int{}
		for _, cat := range c.Categories {
			byID[cat.ID] = cat.Slug
			parent := ""
			if cat.ParentID != nil {
				parent = byID[*cat.ParentID]
			}
			slugs = append(slugs, parent+">"+cat.Slug)
		}
		for _, p := range c.Products {
			counts[byID[p.CategoryID]]++
		}
		return slugs, counts
	}
	benchSlugs, benchCounts := tree(bench)
	genSlugs, genCounts := tree(gen)
	require.Equal(t, benchSlugs, genSlugs)
	require.Equal(t, benchCounts, genCounts)
}

// TestGenerateSearchWords: the documented search words find the documented
// number of products, through the catalogue's search, on both databases.
func TestGenerateSearchWords(t *testing.T) {
	t.Parallel()
	const n = 640
	cat := seed.Generate(n)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc := apptest.New(t, apptest.Config(t, db))
		res, err := seed.Load(ctx, svc.Client, cat)
		require.NoError(t, err)
		require.Equal(t, wantResult(cat), res)
		res, err = seed.Load(ctx, svc.Client, cat)
		require.NoError(t, err)
		require.Equal(t, seed.Result{}, res, "a second load creates nothing")

		for _, tc := range []struct {
			query string
			want  int
		}{
			{"rapid", n / 20},
			{"Sturdy", n / 20},
			{"tembo", n / 16},
			{"rapid neema", n / 320},
			{"sturdy kibo", n / 320},
			{"product", 0},
		} {
			page, err := svc.Catalog.Search(ctx, tc.query, 0, 1000)
			require.NoError(t, err, tc.query)
			require.Equal(t, tc.want, page.Total, tc.query)
			require.Len(t, page.IDs, tc.want, tc.query)
			for _, id := range page.IDs {
				p := svc.Client.Product.GetX(ctx, id)
				for _, w := range strings.Fields(strings.ToLower(tc.query)) {
					require.Contains(t, strings.ToLower(p.Name), w, tc.query)
				}
			}
		}
	})
}
