package api_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

type searchPage struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Node struct {
			Name     string `json:"name"`
			Slug     string `json:"slug"`
			Category struct {
				Slug string `json:"slug"`
			} `json:"category"`
			PriceRange struct {
				Min money `json:"minVariantPrice"`
			} `json:"priceRange"`
			AvailableForSale bool `json:"availableForSale"`
		} `json:"node"`
	} `json:"edges"`
}

func (p searchPage) names() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.Name
	}
	return out
}

// TestSearch drives the storefront's Search operation on both databases:
// relevance, prefix matching of the last word, ACTIVE products only, an
// index kept current by product writes, pagination, and clean answers to
// odd queries.
func TestSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil).asStaff()
		var cat struct {
			P categoryPayload `json:"createCategory"`
		}
		s.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Jikoni"}}, &cat)
		ids := map[string]string{}
		for i, p := range []struct{ name, description, status string }{
			{"Travel mug", "Keeps chai hot for hours; pairs with any kettle.", "ACTIVE"},
			{"Stainless kettle stand", "Holds a kettle off the counter.", "ACTIVE"},
			{"Kettle", "Electric, 1.7 litres, auto shut-off.", "ACTIVE"},
			{"Kettle descaler", "Removes limescale from any kettle.", "DRAFT"},
			{"Sufuria", "Aluminium cooking pot.", "ACTIVE"},
		} {
			var out struct {
				P productPayload `json:"createProduct"`
			}
			s.op("CreateProduct", map[string]any{"input": map[string]any{
				"name": p.name, "description": p.description, "status": p.status, "categoryID": cat.P.Category.ID,
				"variants": []map[string]any{{"sku": "SKU-" + string(rune('A'+i)), "name": "Standard", "price": "1000", "stockOnHand": 3}},
			}}, &out)
			require.Empty(t, out.P.UserErrors)
			ids[p.name] = out.P.Product.ID
		}
		search := func(q string, vars ...any) searchPage {
			t.Helper()
			v := map[string]any{"query": q}
			for i := 0; i+1 < len(vars); i += 2 {
				v[vars[i].(string)] = vars[i+1]
			}
			var out struct {
				P searchPage `json:"searchProducts"`
			}
			s.op("Search", v, &out)
			return out.P
		}

		got := search("kettle")
		require.Equal(t, 3, got.TotalCount, "the draft product is not found")
		require.Equal(t, []string{"Kettle", "Stainless kettle stand", "Travel mug"}, got.names(),
			"an exact name first, then a name mention above a description mention")
		require.Equal(t, "jikoni", got.Edges[0].Node.Category.Slug)
		require.Equal(t, "1000.00", got.Edges[0].Node.PriceRange.Min.Amount)
		require.True(t, got.Edges[0].Node.AvailableForSale)

		require.Equal(t, []string{"Kettle", "Stainless kettle stand", "Travel mug"}, search("KETT").names(), "the last word is a prefix")
		require.Equal(t, []string{"Travel mug"}, search("travel m").names())
		require.Empty(t, search("trav mug").names(), "only the last word is a prefix")
		require.Equal(t, []string{"Stainless kettle stand"}, search("kettle, stand!").names(), "punctuation separates words")

		// Pages follow the ranking.
		var seen []string
		var after any
		for range 4 {
			p := search("kettle", "first", 1, "after", after)
			seen = append(seen, p.names()...)
			if !p.PageInfo.HasNextPage {
				break
			}
			after = *p.PageInfo.EndCursor
		}
		require.Equal(t, []string{"Kettle", "Stainless kettle stand", "Travel mug"}, seen)

		// The index follows product writes.
		var up struct {
			P productPayload `json:"updateProduct"`
		}
		s.op("UpdateProduct", map[string]any{"id": ids["Travel mug"], "input": map[string]any{"name": "Thermos flask", "description": "Vacuum flask."}}, &up)
		require.Empty(t, up.P.UserErrors)
		require.Equal(t, []string{"Thermos flask"}, search("thermos").names())
		require.Empty(t, search("mug").names())
		require.Equal(t, []string{"Kettle", "Stainless kettle stand"}, search("kettle").names())
		s.op("UpdateProduct", map[string]any{"id": ids["Kettle descaler"], "input": map[string]any{"status": "ACTIVE"}}, &up)
		var ar struct {
			P productPayload `json:"archiveProduct"`
		}
		s.op("ArchiveProduct", map[string]any{"id": ids["Kettle"]}, &ar)
		require.Equal(t, []string{"Kettle descaler", "Stainless kettle stand"}, search("kettle").names())

		// Odd queries answer cleanly.
		for _, q := range []string{"", "   ", "!!!", `"`, `a:* & | ! ( ) "' OR 1=1 --`, "*", "NEAR(a b)", "-kettle", "ñandú 北京"} {
			resp := s.post(s.ops["Search"], "Search", map[string]any{"query": q})
			require.Empty(t, resp.Errors, "query %q", q)
		}
		require.Zero(t, search("!!!").TotalCount)
		resp := s.post(s.ops["Search"], "Search", map[string]any{"query": ""})
		require.JSONEq(t, `{"searchProducts":{"totalCount":0,"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[]}}`, string(resp.Data))
		resp = s.post(s.ops["Search"], "Search", map[string]any{"query": strings.Repeat("kettle ", 40)})
		require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes(), "an overlong query")
		resp = s.post(s.ops["Search"], "Search", map[string]any{"query": "kettle", "first": 101})
		require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes())
		var list struct {
			Products struct {
				PageInfo struct {
					EndCursor string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"products"`
		}
		s.op("ProductList", map[string]any{"first": 1}, &list)
		resp = s.post(s.ops["Search"], "Search", map[string]any{"query": "kettle", "after": list.Products.PageInfo.EndCursor})
		require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes(), "a cursor of another connection")
	})
}
