package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// The operations of bench/loadgen (the HTTP benchmark), sent the same way.
const (
	benchQ1 = `query Q1 { products(first: 20) { edges { node { id name slug variants { id sku price { amount currencyCode } quantityAvailable } category { id name slug } } } } }`
	benchQ2 = `query Q2($slug: String!) { product(slug: $slug) { id name slug description variants { id sku name price { amount currencyCode } quantityAvailable } category { id name slug ancestors { id name slug } } } }`
	benchQ3 = `query Q3($slug: String!) { category(slug: $slug) { id name slug products(first: 20, includeSubcategories: true) { edges { node { id name slug priceRange { minVariantPrice { amount currencyCode } } } } } } }`
	// Q3b, the category page with variants: Q3 with each product's variants as in Q1.
	benchQ3b = `query Q3b($slug: String!) { category(slug: $slug) { id name slug products(first: 20, includeSubcategories: true) { edges { node { id name slug priceRange { minVariantPrice { amount currencyCode } } variants { id sku price { amount currencyCode } quantityAvailable } } } } } }`
)

// BenchmarkReadPath drives Q1-Q3b through the whole HTTP handler in
// process (no network) over the test database: SQLite, and PostgreSQL
// when TEST_DATABASE_URL is set. allocs/op and B/op are what to watch:
// they do not depend on what else the machine is doing.
//
//	go test ./server/api -run '^$' -bench ReadPath -benchmem -count=3 -benchtime=2s
func BenchmarkReadPath(b *testing.B) {
	for _, backend := range dbtest.Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			s := newStore(b, dbtest.Open(b, backend.URL), syntheticCatalog(200))
			ops := []struct {
				name, query string
				vars        func(i int) map[string]any
				check       func(b *testing.B, data json.RawMessage)
			}{
				{"Q1", benchQ1, nil, func(b *testing.B, data json.RawMessage) {
					var out struct {
						Products struct {
							Edges []struct {
								Node struct {
									Variants []struct {
										Price struct{ CurrencyCode string } `json:"price"`
									} `json:"variants"`
									Category struct{ Slug string } `json:"category"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"products"`
					}
					require.NoError(b, json.Unmarshal(data, &out))
					require.Len(b, out.Products.Edges, 20)
					for _, e := range out.Products.Edges {
						require.Len(b, e.Node.Variants, 3)
						require.Equal(b, "KES", e.Node.Variants[0].Price.CurrencyCode)
						require.NotEmpty(b, e.Node.Category.Slug)
					}
				}},
				{"Q2", benchQ2, func(i int) map[string]any {
					return map[string]any{"slug": fmt.Sprintf("product-%d", 1+i%200)}
				}, func(b *testing.B, data json.RawMessage) {
					var out struct {
						Product struct {
							Variants []struct{ SKU string } `json:"variants"`
							Category struct {
								Ancestors []struct{ Slug string } `json:"ancestors"`
							} `json:"category"`
						} `json:"product"`
					}
					require.NoError(b, json.Unmarshal(data, &out))
					require.Len(b, out.Product.Variants, 3)
					require.Len(b, out.Product.Category.Ancestors, 1)
				}},
				{"Q3", benchQ3, func(int) map[string]any {
					return map[string]any{"slug": "root"}
				}, func(b *testing.B, data json.RawMessage) {
					var out struct {
						Category struct {
							Products struct {
								Edges []struct{ Node struct{ Slug string } } `json:"edges"`
							} `json:"products"`
						} `json:"category"`
					}
					require.NoError(b, json.Unmarshal(data, &out))
					require.Len(b, out.Category.Products.Edges, 20)
				}},
				{"Q3b", benchQ3b, func(int) map[string]any {
					return map[string]any{"slug": "root"}
				}, func(b *testing.B, data json.RawMessage) {
					var out struct {
						Category struct {
							Products struct {
								Edges []struct {
									Node struct {
										Slug     string
										Variants []struct {
											SKU   string
											Price struct{ CurrencyCode string } `json:"price"`
										} `json:"variants"`
									}
								} `json:"edges"`
							} `json:"products"`
						} `json:"category"`
					}
					require.NoError(b, json.Unmarshal(data, &out))
					require.Len(b, out.Category.Products.Edges, 20)
					for _, e := range out.Category.Products.Edges {
						require.Len(b, e.Node.Variants, 3)
						require.NotEmpty(b, e.Node.Variants[0].SKU)
						require.Equal(b, "KES", e.Node.Variants[0].Price.CurrencyCode)
					}
				}},
			}
			for _, op := range ops {
				// A few distinct bodies, encoded before timing.
				bodies := make([][]byte, 16)
				for i := range bodies {
					req := map[string]any{"query": op.query, "operationName": op.name}
					if op.vars != nil {
						req["variables"] = op.vars(i)
					}
					var err error
					bodies[i], err = json.Marshal(req)
					require.NoError(b, err)
				}
				serve := func(body []byte) *httptest.ResponseRecorder {
					req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					s.api.ServeHTTP(rec, req)
					return rec
				}
				b.Run(op.name, func(b *testing.B) {
					// Every body answers in full, with its cost, before
					// anything is timed.
					for _, body := range bodies {
						rec := serve(body)
						require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
						var resp gqlResponse
						require.NoError(b, json.Unmarshal(rec.Body.Bytes(), &resp))
						require.Empty(b, resp.Errors)
						require.Contains(b, resp.Extensions, "cost")
						op.check(b, resp.Data)
					}
					b.ReportAllocs()
					for i := 0; b.Loop(); i++ {
						if rec := serve(bodies[i%len(bodies)]); rec.Code != http.StatusOK {
							b.Fatalf("status %d: %s", rec.Code, rec.Body)
						}
					}
				})
			}
		})
	}
}

// TestReadPathPagesTogether: two pages of products in one query, resolved
// at the same time, each loading its products' variants up front and
// marshalled edge by edge without a goroutine per edge (graph/fastpath.go),
// answer in full, and the same from eight clients at once; a product
// page, whose variants are not loaded up front, answers as well.
func TestReadPathPagesTogether(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(30))
		const q = `query Two {
			a: products(first: 10) { edges { node { slug availableForSale variants { sku price { amount currencyCode } quantityAvailable } category { slug } } } }
			b: category(slug: "root") { products(first: 10, includeSubcategories: true) { edges { node { slug priceRange { minVariantPrice { amount } } variants { sku } } } } }
			p: product(slug: "product-3") { slug variants { sku price { amount } } category { slug ancestors { slug } } }
		}`
		want := s.post(q, "Two", nil)
		require.Empty(t, want.Errors)
		var out struct {
			A struct {
				Edges []struct {
					Node struct {
						AvailableForSale bool
						Variants         []struct{ SKU string }
						Category         struct{ Slug string }
					}
				}
			}
			B struct {
				Products struct {
					Edges []struct {
						Node struct{ Variants []struct{ SKU string } }
					}
				}
			}
			P struct {
				Variants []struct{ SKU string }
				Category struct{ Ancestors []struct{ Slug string } }
			}
		}
		require.NoError(t, json.Unmarshal(want.Data, &out))
		require.Len(t, out.A.Edges, 10)
		for _, e := range out.A.Edges {
			require.Len(t, e.Node.Variants, 3)
			require.True(t, e.Node.AvailableForSale)
			require.NotEmpty(t, e.Node.Category.Slug)
		}
		require.Len(t, out.B.Products.Edges, 10)
		for _, e := range out.B.Products.Edges {
			require.Len(t, e.Node.Variants, 3)
		}
		require.Len(t, out.P.Variants, 3)
		require.Len(t, out.P.Category.Ancestors, 1)

		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					got, err := s.send(q, "Two", nil)
					if assert.NoError(t, err) && assert.Empty(t, got.Errors) {
						assert.JSONEq(t, string(want.Data), string(got.Data))
					}
				}
			})
		}
		wg.Wait()
	})
}
