package database_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestSearchIndexWordOrder checks SearchIndex on a generated catalogue,
// where words are common (an adjective in 1 product of 20, a product
// type, a word of every description) or held by one product (its
// number), against a model of the documented rule: with the rare word
// first or last, a common word twice, a prefix that starts one word or
// several, pages from the first to past the last, and the count alone.
// The answers are the same on both databases, whichever source the
// database reads first.
func TestSearchIndexWordOrder(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		client := db.Client()
		catalog.IndexOnWrite(client, db.Dialect)
		cat := seed.Generate(640)
		_, err := seed.Load(ctx, client, cat)
		require.NoError(t, err)
		ids := map[string]int{} // slug → ID
		for _, p := range client.Product.Query().AllX(ctx) {
			ids[p.Slug] = p.ID
		}

		// The model: matches scored by dbtest.SearchScore, ranked by the
		// score, then the shorter name, then the ID.
		expect := func(words []string) []int {
			type hit struct{ score, length, id int }
			var hits []hit
			for _, p := range cat.Products {
				name, desc := database.SearchWords(p.Name), database.SearchWords(p.Description)
				if score, ok := dbtest.SearchScore(words, name, desc); ok {
					hits = append(hits, hit{score, len(name), ids[p.Slug]})
				}
			}
			slices.SortFunc(hits, func(a, b hit) int {
				return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.length, b.length), cmp.Compare(a.id, b.id))
			})
			out := []int{}
			for _, h := range hits {
				out = append(out, h.id)
			}
			return out
		}

		rare := fmt.Sprintf("%06d", 21) // product 21: "Rapid Nyota …"
		queries := []string{
			"rapid", "rapid nyota", "nyota rapid", rare + " rapid", "rapid " + rare, rare + " nairobi", "nairobi " + rare,
			"phone rapid", "rapid phone", "rapid rapid", "rapid nyota phone", "phone nyota rapid", "nairobi rapid nyo",
			"rapid ph", "rapid p", "nyota b", "nairobi 0000", "rapid nothing", "nothing rapid", "000",
		}
		for _, q := range queries {
			words := database.SearchWords(q)
			want := expect(words)
			for _, page := range []struct{ offset, limit int }{{0, 20}, {3, 7}, {len(want) - 2, 20}, {len(want), 20}, {len(want) + 5, 20}, {0, 0}} {
				if page.offset < 0 {
					continue
				}
				got, total, err := database.SearchIndex(ctx, client, db.Dialect, words, page.offset, page.limit)
				require.NoError(t, err, q)
				require.Equal(t, len(want), total, "count of %q at %d", q, page.offset)
				end := min(page.offset+page.limit, len(want))
				if page.offset >= len(want) || page.limit == 0 {
					require.Empty(t, got, "%q at %d", q, page.offset)
					continue
				}
				require.Equal(t, want[page.offset:end], got, "page of %q at %d", q, page.offset)
			}
		}
		require.Len(t, expect([]string{"rapid", "nyota"}), 2, "the catalogue as documented (640/320)")
		require.Len(t, expect([]string{rare, "rapid"}), 1)
		require.Greater(t, len(expect([]string{"rapid", "p"})), len(expect([]string{"rapid", "ph"})), "a prefix of several words")
	})
}
