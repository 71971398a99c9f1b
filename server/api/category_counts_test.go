package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestCategoryTotalCountExact: the category page's totalCount of a whole
// subtree, answered from the per-category counts, equals a count of the
// products after every kind of catalogue write (create, status change,
// move to another category, archive, delete, re-parenting a category,
// concurrent creates), for shoppers (ACTIVE products) and for staff
// (every product); and the stored counts never drift from the products.
func TestCategoryTotalCountExact(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sys := viewer.System(context.Background(), "test: inspect")
		shopper := newStore(t, db, seed.Generate(300))
		staff := shopper.asStaff()

		const totalQ = `query($slug: String!, $where: ProductWhereInput) { category(slug: $slug) { products(first: 2, includeSubcategories: true, where: $where) { totalCount edges { node { id } } } } }`
		total := func(s *store, slug string, where map[string]any) int {
			t.Helper()
			resp := s.post(totalQ, "", map[string]any{"slug": slug, "where": where})
			require.Empty(t, resp.Errors)
			var out struct {
				Category struct {
					Products struct{ TotalCount int } `json:"products"`
				} `json:"category"`
			}
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			return out.Category.Products.TotalCount
		}
		// bruteForce counts the products of the subtree of slug, every one
		// or the ACTIVE ones only.
		bruteForce := func(slug string, all bool) int {
			t.Helper()
			c := shopper.client.Category.Query().Where(category.Slug(slug)).OnlyX(sys)
			q := shopper.client.Product.Query().Where(product.HasCategoryWith(catalog.InSubtree(c.Path)))
			if !all {
				q = q.Where(product.StatusEQ(product.StatusACTIVE))
			}
			return q.CountX(sys)
		}
		// check compares, for every root and the categories named, the
		// totalCount each viewer gets with the brute-force count, and every
		// category's stored counts with its products.
		check := func(step string, slugs ...string) {
			t.Helper()
			slugs = append(slugs, "electronics", "home-and-kitchen", "fashion", "sports-and-outdoors", "health-and-beauty")
			for _, slug := range slugs {
				require.Equal(t, bruteForce(slug, false), total(shopper, slug, nil), "%s: shopper, %s", step, slug)
				require.Equal(t, bruteForce(slug, true), total(staff, slug, nil), "%s: staff, %s", step, slug)
			}
			for _, c := range shopper.client.Category.Query().AllX(sys) {
				own := shopper.client.Product.Query().Where(product.CategoryID(c.ID))
				require.Equal(t, own.Clone().CountX(sys), c.ProductCount, "%s: stored count of %s", step, c.Slug)
				require.Equal(t, own.Where(product.StatusEQ(product.StatusACTIVE)).CountX(sys), c.ActiveProductCount, "%s: stored active count of %s", step, c.Slug)
			}
		}
		check("after the seed", "phones", "phones-essentials", "bags-outlet")
		require.Equal(t, 60, total(shopper, "electronics", nil), "300 products over 5 roots")

		catID := func(slug string) string {
			resp := staff.post(`query($s: String!) { category(slug: $s) { id } }`, "", map[string]any{"s": slug})
			require.Empty(t, resp.Errors)
			var out struct{ Category struct{ ID string } }
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			return out.Category.ID
		}
		type payload struct {
			Product    *struct{ ID string }
			UserErrors []struct{ Message string }
		}
		mutate := func(field, args string, vars map[string]any) payload {
			t.Helper()
			resp := staff.post(fmt.Sprintf(`mutation(%s) { p: %s { product { id } userErrors { message } } }`, args, field), "", vars)
			require.Empty(t, resp.Errors)
			var out struct{ P payload }
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			require.Empty(t, out.P.UserErrors)
			return out.P
		}
		create := func(name, status, leaf string) string {
			t.Helper()
			return mutate("createProduct(input: $in)", "$in: CreateProductInput!", map[string]any{"in": map[string]any{
				"name": name, "status": status, "categoryID": catID(leaf),
			}}).Product.ID
		}
		update := func(id string, in map[string]any) {
			t.Helper()
			mutate("updateProduct(id: $id, input: $in)", "$id: ID!, $in: UpdateProductInput!", map[string]any{"id": id, "in": in})
		}

		active := create("Counted Phone", "ACTIVE", "phones-essentials")
		draft := create("Draft Phone", "DRAFT", "phones-essentials")
		check("after creates", "phones", "phones-essentials")

		update(draft, map[string]any{"status": "ACTIVE"})
		check("after publishing a draft", "phones", "phones-essentials")

		update(active, map[string]any{"categoryID": catID("bags-outlet")})
		check("after a move to another root", "phones-essentials", "bags", "bags-outlet")

		update(active, map[string]any{"categoryID": catID("bags-premium"), "status": "DRAFT"})
		check("after a move and a status change at once", "bags-outlet", "bags-premium")

		mutate("archiveProduct(id: $id)", "$id: ID!", map[string]any{"id": draft})
		check("after archiving", "phones", "phones-essentials")

		// Re-parenting a category carries its products' counts along.
		resp := staff.post(`mutation($id: ID!, $in: UpdateCategoryInput!) { updateCategory(id: $id, input: $in) { userErrors { message } } }`, "",
			map[string]any{"id": catID("laptops"), "in": map[string]any{"parentID": catID("fashion")}})
		require.Empty(t, resp.Errors)
		require.NotContains(t, string(resp.Data), "message")
		check("after re-parenting laptops under fashion", "laptops", "laptops-premium")
		require.Equal(t, 60+12, total(shopper, "fashion", nil), "fashion gained laptops' 12 products")

		// Deleting products (no mutation does; the system can).
		n, err := shopper.client.Product.Delete().Where(product.HasCategoryWith(category.Slug("cameras-outlet"))).Exec(sys)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		check("after deleting", "cameras", "cameras-outlet")

		// Concurrent creates in one leaf: every one counted.
		var wg sync.WaitGroup
		leaf := catID("audio-premium")
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := staff.postAsync(`mutation($in: CreateProductInput!) { createProduct(input: $in) { userErrors { message } } }`, "",
					map[string]any{"in": map[string]any{"name": fmt.Sprintf("Racing Headphones %d", i), "status": "ACTIVE", "categoryID": leaf}})
				if len(resp.Errors) > 0 || strings.Contains(string(resp.Data), "message") {
					t.Errorf("concurrent create %d: %v %s", i, resp.Errors, resp.Data)
				}
			}()
		}
		wg.Wait()
		check("after concurrent creates", "audio", "audio-premium")

		// A filtered query counts its own rows, exactly too.
		where := map[string]any{"nameContains": "Racing"}
		require.Equal(t, 8, total(shopper, "electronics", where))
		require.Equal(t, 0, total(shopper, "fashion", where))
	})
}
