package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// catalogQuery reads categories, products, variants, prices and stock:
// everything a catalogue write can change.
const catalogQuery = `query Catalog {
  categoryTree { id name }
  products(first: 100) { edges { node { id name variants { sku price { amount } quantityAvailable } } } }
}`

type catalogView struct {
	CategoryTree []struct{ ID, Name string } `json:"categoryTree"`
	Products     struct {
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

func (v catalogView) category(name string) bool {
	for _, c := range v.CategoryTree {
		if c.Name == name {
			return true
		}
	}
	return false
}

func (v catalogView) product(name string) bool {
	for _, e := range v.Products.Edges {
		if e.Node.Name == name {
			return true
		}
	}
	return false
}

// variant returns "price/quantity" of the variant with sku, or "".
func (v catalogView) variant(sku string) string {
	for _, e := range v.Products.Edges {
		for _, vr := range e.Node.Variants {
			if vr.SKU == sku {
				return fmt.Sprintf("%s/%d", vr.Price.Amount, vr.QuantityAvailable)
			}
		}
	}
	return ""
}

// read runs the catalogue query on s and returns the view and how many
// SQL statements s ran for it.
func read(t *testing.T, s *store) (catalogView, int64) {
	t.Helper()
	s.count.Reset()
	_, out := s.sendRaw(map[string]any{"query": catalogQuery, "operationName": "Catalog"}, nil)
	require.Empty(t, out.Errors)
	var v catalogView
	require.NoError(t, json.Unmarshal(out.Data, &v))
	return v, s.count.Count()
}

// noStaleReads performs every kind of catalogue write through writer and
// checks that reader's very next answer shows it, while unchanged
// catalogues are answered from the cache without SQL.
func noStaleReads(t *testing.T, writer, reader *store) {
	ctx := viewer.System(context.Background(), "test: set up") // catalogue writes straight through ent, as the system
	c := writer.client
	warm := func() catalogView {
		t.Helper()
		read(t, reader)
		v, n := read(t, reader)
		require.Zero(t, n, "an unchanged catalogue is answered from the cache")
		return v
	}
	fresh := func(what string, ok func(catalogView) bool) {
		t.Helper()
		v, n := read(t, reader)
		require.True(t, ok(v), "stale read after %s", what)
		require.Positive(t, n, "%s invalidated the cache", what)
	}

	warm()
	cat, err := c.Category.Create().SetName("Cache Test").SetSlug("cache-test").Save(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Category.UpdateOne(cat).SetPath(catalog.Path("", cat.ID)).Exec(ctx))
	fresh("create category", func(v catalogView) bool { return v.category("Cache Test") })

	warm()
	require.NoError(t, c.Category.UpdateOne(cat).SetName("Cache Test Renamed").Exec(ctx))
	fresh("update category", func(v catalogView) bool { return v.category("Cache Test Renamed") })

	warm()
	p, err := c.Product.Create().SetName("Cache Kettle").SetSlug("cache-kettle").SetStatus(product.StatusACTIVE).
		SetCategoryID(cat.ID).SetMinPriceMinor(150000).SetMaxPriceMinor(150000).Save(ctx)
	require.NoError(t, err)
	fresh("create product", func(v catalogView) bool { return v.product("Cache Kettle") })

	warm()
	require.NoError(t, c.Product.UpdateOne(p).SetName("Cache Kettle Pro").Exec(ctx))
	fresh("update product", func(v catalogView) bool { return v.product("Cache Kettle Pro") })

	warm()
	pv, err := c.ProductVariant.Create().SetProductID(p.ID).SetSku("CACHE-1").SetName("Standard").SetPriceMinor(150000).
		SetStockOnHand(4).SetTrackInventory(true).SetOptions([]schematype.VariantOption{}).Save(ctx)
	require.NoError(t, err)
	fresh("create variant", func(v catalogView) bool { return v.variant("CACHE-1") == "1500.00/4" })

	warm()
	require.NoError(t, c.ProductVariant.UpdateOne(pv).SetPriceMinor(129900).Exec(ctx))
	fresh("update variant", func(v catalogView) bool { return v.variant("CACHE-1") == "1299.00/4" })

	// A stock change, in a transaction as the stock service makes it: the
	// invalidation happens at commit.
	warm()
	tx, err := c.Tx(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.ProductVariant.UpdateOneID(pv.ID).AddStockOnHand(-3).Exec(ctx))
	require.NoError(t, tx.Commit())
	fresh("stock change", func(v catalogView) bool { return v.variant("CACHE-1") == "1299.00/1" })

	// A rolled-back write changes nothing and the cache may stay.
	warm()
	tx, err = c.Tx(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.ProductVariant.UpdateOneID(pv.ID).SetStockOnHand(99).Exec(ctx))
	require.NoError(t, tx.Rollback())
	v, _ := read(t, reader)
	require.Equal(t, "1299.00/1", v.variant("CACHE-1"))

	warm()
	require.NoError(t, c.ProductVariant.DeleteOne(pv).Exec(ctx))
	fresh("delete variant", func(v catalogView) bool { return v.variant("CACHE-1") == "" })

	warm()
	require.NoError(t, c.Product.DeleteOne(p).Exec(ctx))
	fresh("delete product", func(v catalogView) bool { return !v.product("Cache Kettle Pro") })

	warm()
	require.NoError(t, c.Category.DeleteOne(cat).Exec(ctx))
	fresh("delete category", func(v catalogView) bool { return !v.category("Cache Test Renamed") })
}

func TestCatalogCacheInProcess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{CatalogCache: cache.NewMemory(8<<20, time.Minute, time.Now)}, true)
		noStaleReads(t, s, s)

		// Signed-in requests are never cached.
		_, id := s.asCustomer(t, "shopper")
		tok, _, err := s.tokens.Issue(id, customer.RoleCUSTOMER, 0)
		require.NoError(t, err)
		read(t, s)
		for range 2 {
			s.count.Reset()
			_, out := s.sendRaw(map[string]any{"query": catalogQuery}, map[string]string{"Authorization": "Bearer " + tok})
			require.Empty(t, out.Errors)
			require.Positive(t, s.count.Count())
		}
		// Answers with errors are not cached.
		for range 2 {
			_, out := s.sendRaw(map[string]any{"query": `{ products(first: 101) { totalCount } }`}, nil)
			require.Equal(t, []string{"BAD_USER_INPUT"}, out.codes())
		}
	})
}

// TestCatalogCacheSharedThroughRedis: a write through one instance is
// seen by the very next read on another.
func TestCatalogCacheSharedThroughRedis(t *testing.T) {
	t.Parallel()
	rdb := dbtest.Redis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		prefix := fmt.Sprintf("savannah:test:catalog:%s:%d:", t.Name(), time.Now().UnixNano())
		writer := protectedStore(t, db, demoCatalog(t), api.Protection{CatalogCache: cache.NewRedis(rdb, prefix, time.Minute, log)}, true)
		reader := protectedStore(t, db, nil, api.Protection{CatalogCache: cache.NewRedis(rdb, prefix, time.Minute, log)}, true)
		noStaleReads(t, writer, reader)
	})
}

// TestCachedAnswersAreStillMetered: a cache hit costs the client the same
// as a miss, and a client out of points gets 429, not the cached answer.
func TestCachedAnswersAreStillMetered(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := protectedStore(t, db, demoCatalog(t), api.Protection{
		CatalogCache:   cache.NewMemory(8<<20, time.Minute, time.Now),
		RateLimit:      ratelimit.New(ratelimit.NewMemory(time.Now), slowPolicy(1000)),
		TrustedProxies: loopback(),
	}, true)
	client := map[string]string{"X-Forwarded-For": "203.0.113.77"}
	body := map[string]any{"query": catalogQuery, "operationName": "Catalog"}
	_, first := s.sendRaw(body, client)
	require.Empty(t, first.Errors)
	_, second := s.sendRaw(body, client)
	require.Empty(t, second.Errors)
	require.Equal(t, first.cost(t).ActualQueryCost, second.cost(t).ActualQueryCost, "a hit is measured like a miss")
	require.Less(t, second.cost(t).ThrottleStatus.CurrentlyAvailable, first.cost(t).ThrottleStatus.CurrentlyAvailable)
	for range 50 {
		resp, out := s.sendRaw(body, client)
		if resp.StatusCode == http.StatusTooManyRequests {
			require.Equal(t, []string{"RATE_LIMITED"}, out.codes())
			require.True(t, len(out.Data) == 0 || string(out.Data) == "null", "no cached data for a refused request")
			return
		}
	}
	t.Fatal("the bucket never ran out")
}

// TestRateLimitFailsOpen: when the bucket store is down, shoppers are
// served rather than refused.
func TestRateLimitFailsOpen(t *testing.T) {
	t.Parallel()
	rdb := dbtest.Redis(t)
	opt := *rdb.Options()
	broken := redis.NewClient(&opt)
	require.NoError(t, broken.Close())
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := protectedStore(t, db, demoCatalog(t), api.Protection{RateLimit: ratelimit.New(ratelimit.NewRedis(broken, "x:"), slowPolicy(1000))}, true)
	resp, out := s.sendRaw(map[string]any{"query": `{ categoryTree { id } }`}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, out.Errors)
}

// TestCatalogCacheRequestsMetric: savannah_catalog_cache_requests_total
// counts an anonymous catalogue query answered from the cache as a hit,
// and as a miss the first asking, a signed-in viewer's (never cached) and
// the first after a write; other operations are not counted.
func TestCatalogCacheRequestsMetric(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{CatalogCache: cache.NewMemory(8<<20, time.Minute, time.Now)}, true)
		const hit, miss = `savannah_catalog_cache_requests_total{result="hit"}`, `savannah_catalog_cache_requests_total{result="miss"}`
		counted := func(hits, misses string) {
			t.Helper()
			require.Equal(t, hits, s.metric(t, hit), "hits")
			require.Equal(t, misses, s.metric(t, miss), "misses")
		}
		_, n := read(t, s)
		require.Positive(t, n)
		counted("0", "1")
		_, n = read(t, s)
		require.Zero(t, n)
		counted("1", "1")

		_, id := s.asCustomer(t, "shopper")
		tok, _, err := s.tokens.Issue(id, customer.RoleCUSTOMER, 0)
		require.NoError(t, err)
		_, out := s.sendRaw(map[string]any{"query": catalogQuery}, map[string]string{"Authorization": "Bearer " + tok})
		require.Empty(t, out.Errors)
		counted("1", "2")
		_, out = s.sendRaw(map[string]any{"query": `{ me { id } }`}, map[string]string{"Authorization": "Bearer " + tok})
		require.Empty(t, out.Errors)
		counted("1", "2") // not a catalogue query

		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, s.client.Category.UpdateOneID(s.client.Category.Query().FirstIDX(ctx)).SetName("Renamed").Exec(ctx))
		_, n = read(t, s)
		require.Positive(t, n)
		counted("1", "3")
		read(t, s)
		counted("2", "3")
	})
}
