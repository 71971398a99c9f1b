package api_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/server/api"
)

// BenchmarkWire records the bytes on the wire and the time of the
// 50-product listing by GET, as it is, compressed with gzip and with
// zstd, and answered 304 to a CDN that holds its ETag (wire-B/op is the
// body's size).
//
//	go test ./server/api -run '^$' -bench Wire -benchtime=200x
func BenchmarkWire(b *testing.B) {
	db := dbtest.Open(b, dbtest.Backends(b)[0].URL)
	s := newStoreWith(b, db, syntheticCatalog(60), storeSetup{protection: api.Protection{CatalogCache: cache.NewMemory(8<<20, time.Minute, time.Now)}})
	path := getQuery(`query ProductList($first: Int) { products(first: $first) { totalCount edges { cursor node { id name slug description variants { id sku name price { amount currencyCode } quantityAvailable } category { id name slug } } } } }`, "ProductList", map[string]any{"first": 50})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(b *testing.B, header map[string]string) (*http.Response, int) {
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		require.NoError(b, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		require.NoError(b, err)
		n, err := io.Copy(io.Discard, resp.Body)
		require.NoError(b, err)
		resp.Body.Close()
		return resp, int(n)
	}
	first, _ := get(b, map[string]string{"Accept-Encoding": "identity"})
	require.Equal(b, http.StatusOK, first.StatusCode)
	etag := first.Header.Get("ETag")
	require.NotEmpty(b, etag)
	for _, tt := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"identity", map[string]string{"Accept-Encoding": "identity"}, http.StatusOK},
		{"gzip", map[string]string{"Accept-Encoding": "gzip"}, http.StatusOK},
		{"zstd", map[string]string{"Accept-Encoding": "zstd"}, http.StatusOK},
		{"cdn-304", map[string]string{"Accept-Encoding": "identity", "If-None-Match": etag}, http.StatusNotModified},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var bytes int
			for b.Loop() {
				resp, n := get(b, tt.header)
				require.Equal(b, tt.status, resp.StatusCode)
				bytes = n
			}
			b.ReportMetric(float64(bytes), "wire-B/op")
		})
	}
}
