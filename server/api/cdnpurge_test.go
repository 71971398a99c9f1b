package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/cdn"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/jobs/jobstest"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// purgeServer is a local CDN purge API (Cloudflare's purge by tag): it
// records the tags of every authorised POST {"tags":[…]}.
type purgeServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests [][]string
}

const purgeToken = "purge-token"

func newPurgeServer(t *testing.T) *purgeServer {
	ps := &purgeServer{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Tags []string `json:"tags"`
		}
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+purgeToken ||
			json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Tags) == 0 {
			http.Error(w, `{"success":false}`, http.StatusBadRequest)
			return
		}
		ps.mu.Lock()
		ps.requests = append(ps.requests, body.Tags)
		ps.mu.Unlock()
		_, _ = io.WriteString(w, `{"success":true,"errors":[],"messages":[],"result":{"id":"zone"}}`)
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *purgeServer) received() [][]string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return slices.Clone(ps.requests)
}

// newPurgingStore is a demo store whose catalogue writes purge the CDN at
// ps, through a started River client.
func newPurgingStore(t *testing.T, db *database.DB, ps *purgeServer) *store {
	t.Helper()
	require.NoError(t, jobs.Migrate(context.Background(), db))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := newStoreWith(t, db, demoCatalog(t), storeSetup{
		protection: api.Protection{CatalogCache: cache.NewMemory(8<<20, 2*time.Minute, time.Now)},
		app:        func(c *app.Config) { c.CDNPurge, c.CDNPurgeMaxAttempts = true, 2 },
	})
	// The demo catalogue's own purges, enqueued as it was loaded, are not
	// what the tests look at.
	_, err := db.SQL.Exec(`DELETE FROM river_job WHERE kind = 'cdn_purge'`)
	require.NoError(t, err)
	workers := river.NewWorkers()
	river.AddWorker(workers, cdn.NewWorker(cdn.WorkerConfig{URL: ps.URL + "/client/v4/zones/zone/purge_cache", Token: purgeToken}))
	rc, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 20 * time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, rc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(ctx, rc))
	})
	return s
}

// purgeJobs returns how many purge jobs exist and how many are finished,
// as River lists them.
func purgeJobs(t *testing.T, db *database.DB) (all, done int) {
	t.Helper()
	c, err := jobs.New(db, jobs.Config{}) // insert-only: lists jobs
	require.NoError(t, err)
	states := jobstest.States(t, c, "cdn_purge")
	return jobstest.Total(states), states[rivertype.JobStateCompleted]
}

// settledPurges waits until every purge job has completed.
func settledPurges(t *testing.T, db *database.DB, ps *purgeServer) [][]string {
	t.Helper()
	require.Eventually(t, func() bool { all, done := purgeJobs(t, db); return all == done },
		20*time.Second, 20*time.Millisecond, "purge jobs not settled")
	return ps.received()
}

// A cacheable answer carries the global IDs it shows as cache tags
// (Surrogate-Key and Cache-Tag, with "catalog" always); a signed-in one
// carries none. A product edit enqueues, in its transaction, one purge of
// exactly that product's tag (a variant edit, of the variant's and its
// product's), which reaches the CDN's purge API; a refused
// edit and a rolled-back write purge nothing.
func TestCDNPurge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ps := newPurgeServer(t)
		s := newPurgingStore(t, db, ps)
		ctx := viewer.System(context.Background(), "test: set up")
		prods, err := s.client.Product.Query().Order(ent.Asc(product.FieldID)).WithVariants().WithCategory().Limit(2).All(ctx)
		require.NoError(t, err)
		require.Len(t, prods, 2)
		p, other := prods[0], prods[1]
		require.NotEmpty(t, p.Edges.Variants)

		// Tags: the product, its variants, its category, and "catalog".
		path := getQuery(s.ops["ProductDetail"], "ProductDetail", map[string]any{"slug": p.Slug})
		anon := s.do(http.MethodGet, path, "", nil)
		require.Equal(t, http.StatusOK, anon.status)
		require.True(t, strings.HasPrefix(anon.header.Get("Cache-Control"), "public, "))
		keys := strings.Fields(anon.header.Get("Surrogate-Key"))
		require.Equal(t, strings.Join(keys, ","), anon.header.Get("Cache-Tag"), "the same tags in both headers")
		want := []string{cdn.CatalogTag, scalar.EncodeID(p.ID), scalar.EncodeID(p.Edges.Category.ID)}
		for _, v := range p.Edges.Variants {
			want = append(want, scalar.EncodeID(v.ID))
		}
		require.Subset(t, keys, want)
		require.NotContains(t, keys, scalar.EncodeID(other.ID))
		again := s.do(http.MethodGet, path, "", nil) // from the catalogue cache: no resolver ran
		require.Equal(t, anon.header.Get("Surrogate-Key"), again.header.Get("Surrogate-Key"))

		staff := s.asStaff()
		signedIn := s.do(http.MethodGet, path, "", map[string]string{"Authorization": "Bearer " + staff.bearer})
		require.Equal(t, http.StatusOK, signedIn.status)
		require.Empty(t, signedIn.header.Get("Surrogate-Key"), "a private answer is not tagged")
		require.Empty(t, signedIn.header.Get("Cache-Tag"))

		// A refused edit purges nothing.
		var up struct {
			P productPayload `json:"updateProduct"`
		}
		staff.op("UpdateProduct", map[string]any{"id": scalar.EncodeID(p.ID), "input": map[string]any{"slug": other.Slug}}, &up)
		requireUserError(t, up.P.UserErrors, "TAKEN", "input", "slug")
		// A write that rolls back after the product row changed purges
		// nothing either: its job rolled back with it.
		rollback := errors.New("changed my mind")
		err = database.InTx(ctx, s.client, func(ctx context.Context) error {
			require.NoError(t, ent.FromContext(ctx).Product.UpdateOneID(other.ID).SetName("Never").Exec(ctx))
			return rollback
		})
		require.ErrorIs(t, err, rollback)
		all, _ := purgeJobs(t, db)
		require.Zero(t, all)

		// The edit: one purge, of exactly the product's tag.
		staff.op("UpdateProduct", map[string]any{"id": scalar.EncodeID(p.ID), "input": map[string]any{"name": p.Name + " (new)"}}, &up)
		require.Empty(t, up.P.UserErrors)
		require.Equal(t, [][]string{{scalar.EncodeID(p.ID)}}, settledPurges(t, db, ps))

		// A variant edit (which also reprices its product) purges, in one
		// request, the variant and its product, nothing else.
		v := p.Edges.Variants[0]
		var uv struct {
			P variantPayload `json:"updateProductVariant"`
		}
		staff.op("UpdateVariant", map[string]any{"id": scalar.EncodeID(v.ID), "input": map[string]any{"price": "4321"}}, &uv)
		require.Empty(t, uv.P.UserErrors)
		want = []string{scalar.EncodeID(p.ID), scalar.EncodeID(v.ID)}
		slices.Sort(want)
		require.Equal(t, [][]string{{scalar.EncodeID(p.ID)}, want}, settledPurges(t, db, ps))
	})
}
