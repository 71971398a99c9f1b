package api_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
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

// TestSearchMatchesModel drives searchProducts on both databases over a
// catalogue with many ties and shared words, and checks every answer
// against a model of the documented rule (catalog.Search): every word
// held, the last also as a prefix; ranked by the words' places summed
// (the name's first word 2, a later word of the name 1, the description
// 0), then the shorter name, then the older product; totalCount exact;
// pages by cursor in that order. Then the index follows creates, renames,
// description edits, status changes and deletes.
func TestSearchMatchesModel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil).asStaff()
		var cat struct {
			P categoryPayload `json:"createCategory"`
		}
		s.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Jikoni"}}, &cat)

		type item struct {
			id                string
			name, description string
			status            string
			deleted           bool
		}
		var items []*item
		vocab := []string{"kettle", "kettlebell", "mug", "steel", "travel", "blue", "Red"}
		pick := func(seed, n int) string {
			var ws []string
			for j := range n {
				ws = append(ws, vocab[(seed*7+j*3+seed*j)%len(vocab)])
			}
			return strings.Join(ws, " ")
		}
		create := func(name, description, status string) *item {
			t.Helper()
			var out struct {
				P productPayload `json:"createProduct"`
			}
			s.op("CreateProduct", map[string]any{"input": map[string]any{
				"name": name, "description": description, "status": status, "categoryID": cat.P.Category.ID,
				"variants": []map[string]any{{"sku": fmt.Sprintf("SKU-%d", len(items)), "name": "Standard", "price": "1000", "stockOnHand": 3}},
			}}, &out)
			require.Empty(t, out.P.UserErrors)
			it := &item{id: out.P.Product.ID, name: name, description: description, status: status}
			items = append(items, it)
			return it
		}
		for i := range 36 {
			status := "ACTIVE"
			if i%5 == 3 {
				status = "DRAFT"
			}
			create(pick(i, 1+i%4), pick(i+11, i%6)+", ok.", status)
		}

		// The model: words as the index splits them, the rule as
		// documented.
		words := func(text string) []string {
			return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		}
		expect := func(query string) []string {
			q := words(query)
			type hit struct {
				name          string
				score, length int
				order         int
			}
			var hits []hit
			for order, it := range items {
				if it.deleted || it.status != "ACTIVE" {
					continue
				}
				name, desc := words(it.name), words(it.description)
				if score, ok := dbtest.SearchScore(q, name, desc); ok {
					hits = append(hits, hit{it.name, score, len(name), order})
				}
			}
			slices.SortFunc(hits, func(a, b hit) int {
				return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.length, b.length), cmp.Compare(a.order, b.order))
			})
			out := []string{}
			for _, h := range hits {
				out = append(out, h.name)
			}
			return out
		}
		// all pages through a search, seven at a time, and checks the
		// count on every page.
		all := func(query string) []string {
			t.Helper()
			got := []string{}
			var after any
			for range 20 {
				var out struct {
					P searchPage `json:"searchProducts"`
				}
				s.op("Search", map[string]any{"query": query, "first": 7, "after": after}, &out)
				require.Equal(t, len(expect(query)), out.P.TotalCount, "totalCount of %q", query)
				got = append(got, out.P.names()...)
				if !out.P.PageInfo.HasNextPage {
					return got
				}
				after = *out.P.PageInfo.EndCursor
			}
			t.Fatalf("%q: too many pages", query)
			return nil
		}
		queries := []string{"kettle", "kett", "k", "mug", "steel", "red", "b", "travel mug", "mug travel", "steel kett",
			"blue red", "kettle kettle", "mug mug m", "red steel travel blue", "ok", "ok b", "nothing", "kettle nothing"}
		check := func(when string) {
			t.Helper()
			for _, q := range queries {
				require.Equal(t, expect(q), all(q), "%s: %q", when, q)
			}
		}
		require.NotEmpty(t, expect("kett"))
		require.Greater(t, len(expect("b")), 7, "the model spans pages")
		check("as created")

		// The index follows every write that changes what it holds.
		renamed := items[4]
		var up struct {
			P productPayload `json:"updateProduct"`
		}
		s.op("UpdateProduct", map[string]any{"id": renamed.id, "input": map[string]any{"name": "Mug kettle"}}, &up)
		require.Empty(t, up.P.UserErrors)
		renamed.name = "Mug kettle"
		s.op("UpdateProduct", map[string]any{"id": items[5].id, "input": map[string]any{"description": "Steel travel."}}, &up)
		items[5].description = "Steel travel."
		s.op("UpdateProduct", map[string]any{"id": items[3].id, "input": map[string]any{"status": "ACTIVE"}}, &up)
		items[3].status = "ACTIVE"
		s.op("UpdateProduct", map[string]any{"id": items[6].id, "input": map[string]any{"status": "DRAFT"}}, &up)
		items[6].status = "DRAFT"
		var ar struct {
			P productPayload `json:"archiveProduct"`
		}
		s.op("ArchiveProduct", map[string]any{"id": items[7].id}, &ar)
		items[7].status = "ARCHIVED"
		create("Blue kettle", "", "ACTIVE")
		gone := items[8]
		ctx := viewer.System(context.Background(), "test: delete a product")
		var goneID int
		for _, x := range s.client.Product.Query().Where(product.Name(gone.name)).AllX(ctx) {
			if scalar.EncodeID(x.ID) == gone.id {
				goneID = x.ID
			}
		}
		require.NotZero(t, goneID)
		s.client.Product.DeleteOneID(goneID).ExecX(ctx)
		gone.deleted = true
		check("after the writes")
	})
}
