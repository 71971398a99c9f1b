package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// Two anonymous catalogue answers about every product: one that shows no
// stock (names and prices) and one that does (quantityAvailable).
const (
	noStockQuery = `query NoStock { products(first: 100) { edges { node { id name variants { sku price { amount } } } } } }`
	stockQuery   = `query Stock { products(first: 100) { edges { node { id variants { sku quantityAvailable } } } } }`
	// The stock field behind a fragment spread and an inline fragment.
	stockFragmentQuery = `query StockByFragment { products(first: 100) { edges { node { ...Avail } } } }
fragment Avail on Product { id variants { sku ... on ProductVariant { quantityAvailable } } }`
)

type productsView struct {
	Products struct {
		Edges []struct {
			Node struct {
				ID, Name string
				Variants []struct {
					SKU               string `json:"sku"`
					Price             struct{ Amount string }
					QuantityAvailable int `json:"quantityAvailable"`
				}
			}
		}
	}
}

// sku finds a variant's price and quantity in the view.
func (v productsView) sku(sku string) (price string, available int, name string) {
	for _, e := range v.Products.Edges {
		for _, pv := range e.Node.Variants {
			if pv.SKU == sku {
				return pv.Price.Amount, pv.QuantityAvailable, e.Node.Name
			}
		}
	}
	return "", -1, ""
}

// readAnon answers query anonymously and counts the SQL it ran: none
// means a cache hit.
func readAnon(t *testing.T, s *store, query string) (productsView, int64) {
	t.Helper()
	s.count.Reset()
	_, out := s.sendRaw(map[string]any{"query": query}, nil)
	require.Empty(t, out.Errors)
	var v productsView
	require.NoError(t, json.Unmarshal(out.Data, &v))
	return v, s.count.Count()
}

// TestStockMovesKeepCachedCatalogue: an order's stock moves (reserve on
// placeOrder, release on cancel) leave cached answers that show no stock
// in the cache, while answers that show stock are never stale; a price or
// name change still invalidates both.
func TestStockMovesKeepCachedCatalogue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{CatalogCache: cache.NewMemory(8<<20, time.Minute, time.Now)}, true)
		v := stocked(t, s, 10)
		warm := func(query string) productsView {
			t.Helper()
			readAnon(t, s, query)
			got, n := readAnon(t, s, query)
			require.Zero(t, n, "an unchanged catalogue is answered from the cache")
			return got
		}
		before := warm(noStockQuery)
		warm(stockQuery)
		warm(stockFragmentQuery)

		buyer, _ := s.asCustomer(t, "buyer")
		cart := buyer.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 3)}})
		placed := decodePlace(t, buyer.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(cart.Cart.ID, "stock-cache-1")))
		require.Empty(t, placed.PlaceOrder.UserErrors)
		require.NotNil(t, placed.PlaceOrder.Order)

		// (a) The answer without stock survives the order.
		after, n := readAnon(t, s, noStockQuery)
		require.Zero(t, n, "a reservation does not invalidate an answer that shows no stock")
		require.Equal(t, before, after)
		// (b) The answer with stock shows the reservation at once.
		got, n := readAnon(t, s, stockQuery)
		require.Positive(t, n, "a reservation invalidates answers that show stock")
		_, avail, _ := got.sku(v.Sku)
		require.Equal(t, 7, avail)
		got, n = readAnon(t, s, stockFragmentQuery)
		require.Positive(t, n, "stock asked for through fragments counts too")
		_, avail, _ = got.sku(v.Sku)
		require.Equal(t, 7, avail)

		// Releasing (the customer cancels) is a stock move as well.
		warm(stockQuery)
		var cancel struct {
			CancelOrder struct{ UserErrors []userError } `json:"cancelOrder"`
		}
		buyer.op("CancelOrder", map[string]any{"id": placed.PlaceOrder.Order.ID}, &cancel)
		require.Empty(t, cancel.CancelOrder.UserErrors)
		_, n = readAnon(t, s, noStockQuery)
		require.Zero(t, n, "a release does not invalidate an answer that shows no stock")
		got, _ = readAnon(t, s, stockQuery)
		_, avail, _ = got.sku(v.Sku)
		require.Equal(t, 10, avail, "the released units are available again, at once")

		// (c) A price change, and a name change, still invalidate.
		warm(noStockQuery)
		warm(stockQuery)
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, s.client.ProductVariant.UpdateOneID(v.ID).SetPriceMinor(123400).Exec(ctx))
		got, n = readAnon(t, s, noStockQuery)
		require.Positive(t, n)
		price, _, _ := got.sku(v.Sku)
		require.Equal(t, "1234.00", price)
		_, n = readAnon(t, s, stockQuery)
		require.Positive(t, n, "a catalogue write invalidates answers that show stock too")

		warm(noStockQuery)
		require.NoError(t, s.client.Product.UpdateOneID(v.ProductID).SetName("Renamed Kettle").Exec(ctx))
		got, n = readAnon(t, s, noStockQuery)
		require.Positive(t, n)
		_, _, name := got.sku(v.Sku)
		require.Equal(t, "Renamed Kettle", name)
	})
}

// TestStockCheckConstraint: the database itself holds 0 <= reserved <=
// stock_on_hand on both dialects, and a move that reaches the constraint
// is refused as INSUFFICIENT_STOCK without SQL text and without writing
// anything; the same checkout then succeeds once nothing breaks the rule.
func TestStockCheckConstraint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		ctx := viewer.System(context.Background(), "test: set up")
		v := stocked(t, s, 5)

		// Straight to the database: refused past the invariant, accepted
		// on its edge.
		require.Error(t, s.client.ProductVariant.UpdateOneID(v.ID).SetReserved(6).Exec(ctx))
		require.NoError(t, s.client.ProductVariant.UpdateOneID(v.ID).SetReserved(5).Exec(ctx))
		require.Error(t, s.client.ProductVariant.UpdateOneID(v.ID).AddStockOnHand(-1).Exec(ctx))
		require.NoError(t, s.client.ProductVariant.UpdateOneID(v.ID).SetReserved(0).Exec(ctx))

		// A writer that would over-reserve behind the inventory's back
		// (a hook inflating every reservation) meets the constraint.
		var inflate atomic.Bool
		s.client.ProductVariant.Use(func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if vm, ok := m.(*ent.ProductVariantMutation); ok && inflate.Load() {
					if q, ok := vm.AddedReserved(); ok && q > 0 {
						vm.AddReserved(1000)
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		buyer, _ := s.asCustomer(t, "buyer")
		cart := buyer.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}})
		inflate.Store(true)
		resp := buyer.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(cart.Cart.ID, "check-1"))
		raw, err := json.Marshal(resp)
		require.NoError(t, err)
		for _, leak := range []string{"CHECK", "check constraint", "product_variant_stock", "SQL", "sqlite", "pq:"} {
			require.NotContains(t, string(raw), leak)
		}
		refused := decodePlace(t, resp)
		require.Nil(t, refused.PlaceOrder.Order)
		require.Len(t, refused.PlaceOrder.UserErrors, 1)
		require.Equal(t, "INSUFFICIENT_STOCK", refused.PlaceOrder.UserErrors[0].Code)
		got, err := s.client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Equal(t, [2]int{5, 0}, [2]int{got.StockOnHand, got.Reserved}, "nothing reserved")
		orders, err := s.client.Order.Query().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, orders, "nothing written")

		inflate.Store(false)
		placed := decodePlace(t, buyer.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(cart.Cart.ID, "check-1")))
		require.Empty(t, placed.PlaceOrder.UserErrors)
		require.NotNil(t, placed.PlaceOrder.Order)
		got, err = s.client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Equal(t, [2]int{5, 2}, [2]int{got.StockOnHand, got.Reserved})
	})
}

// countingCache counts the hits and misses of a catalogue cache.
type countingCache struct {
	cache.Catalog
	hits, misses atomic.Int64
}

func (c *countingCache) Get(ctx context.Context, key string) ([]byte, bool) {
	b, ok := c.Catalog.Get(ctx, key)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return b, ok
}

// BenchmarkCatalogCacheDuringCheckouts reads the catalogue anonymously
// (each product's page, by slug) while customers place orders without
// pause, and reports the catalogue cache's hit rate: for answers that
// show no stock (names, prices) and for answers that do
// (quantityAvailable). Every order reserves stock.
//
//	go test ./server/api -run '^$' -bench CatalogCacheDuringCheckouts -benchtime=400x
func BenchmarkCatalogCacheDuringCheckouts(b *testing.B) {
	queries := map[string]string{
		"no-stock":   `query P($slug: String!) { product(slug: $slug) { id name variants { sku price { amount } } priceRange { minVariantPrice { amount } } } }`,
		"with-stock": `query P($slug: String!) { product(slug: $slug) { id name variants { sku quantityAvailable } } }`,
	}
	for _, name := range []string{"no-stock", "with-stock"} {
		b.Run(name, func(b *testing.B) {
			db := dbtest.Open(b, dbtest.Backends(b)[0].URL)
			counted := &countingCache{Catalog: cache.NewMemory(32<<20, time.Hour, time.Now)}
			demo, err := seed.Parse(bytes.NewReader(seed.Demo()))
			require.NoError(b, err)
			s := newStoreWith(b, db, demo, storeSetup{protection: api.Protection{CatalogCache: counted}})
			ctx := viewer.System(context.Background(), "test: set up")
			slugs, err := s.client.Product.Query().Where(product.StatusEQ(product.StatusACTIVE)).
				Select(product.FieldSlug).Strings(ctx)
			require.NoError(b, err)
			// Plenty of one variant, so every checkout succeeds.
			v, err := s.client.ProductVariant.Query().First(ctx)
			require.NoError(b, err)
			require.NoError(b, v.Update().SetStockOnHand(1_000_000).SetReserved(0).SetTrackInventory(true).
				Exec(ctx))
			_, err = s.client.Product.Update().Where(product.ID(v.ProductID)).SetStatus(product.StatusACTIVE).Save(ctx)
			require.NoError(b, err)

			const buyers = 2
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var orders atomic.Int64
			for i := range buyers {
				c, err := s.client.Customer.Create().SetEmail(fmt.Sprintf("bench-buyer-%d@example.com", i)).
					SetName("Buyer").SetRole(customer.RoleCUSTOMER).Save(ctx)
				require.NoError(b, err)
				tok, _, err := s.tokens.Issue(c.ID, customer.RoleCUSTOMER, 0)
				require.NoError(b, err)
				buyer := s.as(tok)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := 0; ; n++ {
						select {
						case <-stop:
							return
						default:
						}
						resp := buyer.postAsync(s.ops["CartCreate"], "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
						var c map[string]cartPayload
						if json.Unmarshal(resp.Data, &c) != nil || c["cartCreate"].Cart.ID == "" {
							continue
						}
						resp = buyer.postAsync(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(c["cartCreate"].Cart.ID, fmt.Sprintf("bench-%d-%d", i, n)))
						if strings.Contains(string(resp.Data), `"number"`) {
							orders.Add(1)
						}
					}
				}()
			}
			counted.hits.Store(0)
			counted.misses.Store(0)
			b.ResetTimer()
			for i := range b.N {
				_, out := s.sendRaw(map[string]any{"query": queries[name], "variables": map[string]any{"slug": slugs[i%len(slugs)]}}, nil)
				if len(out.Errors) > 0 {
					b.Fatal(out.Errors)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			hits, misses := counted.hits.Load(), counted.misses.Load()
			b.ReportMetric(100*float64(hits)/float64(max(1, hits+misses)), "hit%")
			b.ReportMetric(float64(orders.Load()), "orders")
		})
	}
}
