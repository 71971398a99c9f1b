package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/cost/costtest"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/server/api"
)

// refusedBeforeSQL sends a query and requires it refused with code,
// before any SQL statement ran, within the time given.
func refusedBeforeSQL(t *testing.T, s *store, body map[string]any, code string, within time.Duration) gqlResponse {
	t.Helper()
	s.count.Reset()
	start := time.Now()
	_, out := s.sendRaw(body, nil)
	elapsed := time.Since(start)
	require.Equal(t, []string{code}, out.codes(), "%v", out.Errors)
	require.True(t, len(out.Data) == 0 || string(out.Data) == "null", "no data: %s", out.Data)
	require.Zero(t, s.count.Count(), "refused before any resolver ran: %v", s.count.Statements())
	require.Less(t, elapsed, within)
	return out
}

// TestFragmentBombRefused: documents whose fragments double at every
// level, at the root and below a field, are refused in milliseconds;
// a query built of fragments the ordinary way is answered and costed as
// if written out.
func TestFragmentBombRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, syntheticCatalog(5), api.Protection{}, false)
		for _, below := range []bool{false, true} {
			doc := costtest.Doubling(40, below)
			require.Less(t, len(doc), 2000)
			out := refusedBeforeSQL(t, s, map[string]any{"query": doc}, "QUERY_TOO_COMPLEX", 50*time.Millisecond)
			require.Contains(t, out.Errors[0].Message, "more than", "below a field: %v", below)
		}

		// The same fragments, spread the ordinary way.
		const query = `query { ...Root }
			fragment Root on Query { products(first: 3) { ...Page } }
			fragment Page on ProductConnection { totalCount edges { node { ...Card } } }
			fragment Card on Product { id name category { ...Cat } variants { ...Variant } ...Card2 }
			fragment Card2 on Product { slug category { ...Cat } }
			fragment Cat on Category { id name }
			fragment Variant on ProductVariant { id sku }`
		_, out := s.sendRaw(map[string]any{"query": query}, nil)
		require.Empty(t, out.Errors)
		var data struct {
			Products struct {
				Edges []struct {
					Node struct{ ID, Slug string }
				}
			}
		}
		require.NoError(t, json.Unmarshal(out.Data, &data))
		require.Len(t, data.Products.Edges, 3)
		require.NotEmpty(t, data.Products.Edges[0].Node.Slug)
		// 2 + 3 × (product 1 + category 1 + variants 3 + category again 1)
		require.Equal(t, 2+3*(1+1+3+1), out.cost(t).RequestedQueryCost)
	})
}

// TestNodesCostedByIDs: nodes(ids:) is costed one item per ID and more
// IDs than a page holds are refused before any SQL; a few are answered.
func TestNodesCostedByIDs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, syntheticCatalog(5), api.Protection{}, false)
		var list struct {
			Products struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		s.op("ProductList", map[string]any{"first": 5}, &list)
		require.Len(t, list.Products.Edges, 5)
		ids := make([]any, 0, 101)
		for _, e := range list.Products.Edges {
			ids = append(ids, e.Node.ID)
		}
		const query = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { category { id } } } }`

		_, out := s.sendRaw(map[string]any{"query": query, "variables": map[string]any{"ids": ids}}, nil)
		require.Empty(t, out.Errors)
		var got struct{ Nodes []struct{ ID string } }
		require.NoError(t, json.Unmarshal(out.Data, &got))
		require.Len(t, got.Nodes, 5)
		require.Equal(t, ids[0], got.Nodes[0].ID)
		require.Equal(t, 5*(1+1), out.cost(t).RequestedQueryCost)

		for len(ids) < 101 {
			ids = append(ids, ids[len(ids)%5])
		}
		out = refusedBeforeSQL(t, s, map[string]any{"query": query, "variables": map[string]any{"ids": ids}}, "BAD_USER_INPUT", time.Second)
		require.Equal(t, `argument "ids" of nodes has 101 items, more than the limit of 100`, out.Errors[0].Message)
	})
}

// productFilter nests a filter on products depth levels deep through
// not, and, has...With and or in turn.
func productFilter(depth int, product bool) map[string]any {
	switch {
	case depth == 0:
		return map[string]any{"nameHasPrefix": "Product"}
	case depth%4 == 0:
		return map[string]any{"not": map[string]any{"not": productFilter(depth-1, product)}}
	case depth%4 == 1:
		return map[string]any{"and": []any{productFilter(depth-1, product), map[string]any{"nameNEQ": "x"}}}
	case depth%4 == 2 && product:
		return map[string]any{"hasCategoryWith": []any{map[string]any{"hasProductsWith": []any{productFilter(depth-1, true)}}}}
	}
	return map[string]any{"or": []any{productFilter(depth-1, product)}}
}

// TestWhereBounded: a where argument nested too deep or with too many
// terms is BAD_USER_INPUT naming the argument, on every database, before
// any SQL; filters within the bounds are answered as before.
func TestWhereBounded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, syntheticCatalog(5), api.Protection{}, false)
		const query = `query($where: ProductWhereInput) { products(first: 10, where: $where) { totalCount } }`
		count := func(where map[string]any) int {
			t.Helper()
			_, out := s.sendRaw(map[string]any{"query": query, "variables": map[string]any{"where": where}}, nil)
			require.Empty(t, out.Errors)
			var got struct{ Products struct{ TotalCount int } }
			require.NoError(t, json.Unmarshal(out.Data, &got))
			return got.Products.TotalCount
		}
		wide := func(n int) map[string]any {
			or := make([]any, n)
			for i := range or {
				or[i] = map[string]any{"slug": fmt.Sprint("product-", i+1)}
			}
			return map[string]any{"or": or}
		}

		require.Equal(t, 5, count(map[string]any{"nameHasPrefix": "Product"}))
		require.Equal(t, 3, count(wide(3)))
		require.Equal(t, 5, count(wide(45)), "45 alternatives: 90 terms")
		require.Equal(t, 5, count(productFilter(3, true)), "4 levels")
		require.Equal(t, 0, count(map[string]any{"not": productFilter(3, true)}), "5 levels")

		for name, where := range map[string]map[string]any{
			"deep":      productFilter(4, true),
			"very deep": productFilter(1000, true),
			"wide":      wide(51),
			"very wide": wide(5000),
		} {
			// Generous: 5,000 terms decoded under -race on a loaded
			// machine take a second or two; the bound is there to catch
			// work that grows faster than the input.
			out := refusedBeforeSQL(t, s, map[string]any{"query": query, "variables": map[string]any{"where": where}}, "BAD_USER_INPUT", 5*time.Second)
			require.Contains(t, out.Errors[0].Message, `argument "where" of products`, name)
		}
		// Written in the document rather than in variables.
		literal := `{ products(where: {not: {not: {not: {not: {not: {not: {slug: "x"}}}}}}}) { totalCount } }`
		out := refusedBeforeSQL(t, s, map[string]any{"query": literal}, "BAD_USER_INPUT", time.Second)
		require.Equal(t, `argument "where" of products nests filters deeper than the limit of 5 levels`, out.Errors[0].Message)
	})
}
