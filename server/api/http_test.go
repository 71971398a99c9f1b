package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// exchange is one HTTP request and its answer, body read (and not
// decompressed: the test sets Accept-Encoding itself).
type exchange struct {
	status int
	header http.Header
	body   []byte
}

func (e exchange) answer(t *testing.T) gqlResponse {
	t.Helper()
	var out gqlResponse
	require.NoError(t, json.Unmarshal(e.body, &out), "body: %s", e.body)
	return out
}

// hasData reports whether the answer has a data entry at all.
func (e exchange) hasData(t *testing.T) bool {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(e.body, &m))
	_, ok := m["data"]
	return ok
}

// do sends a request to the store; header values override the defaults
// (Accept-Encoding: identity, Content-Type: application/json for a body).
func (s *store) do(method, path string, body string, header map[string]string) exchange {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	require.NoError(s.t, err)
	req.Header.Set("Accept-Encoding", "identity")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return exchange{status: resp.StatusCode, header: resp.Header, body: b}
}

// getQuery is the path of a GraphQL GET.
func getQuery(query, opName string, vars map[string]any) string {
	q := url.Values{"query": {query}}
	if opName != "" {
		q.Set("operationName", opName)
	}
	if vars != nil {
		b, _ := json.Marshal(vars)
		q.Set("variables", string(b))
	}
	return "/graphql?" + q.Encode()
}

// logBuffer collects a store's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestMalformedBodies: a body that is not one JSON object is 400 with a
// fixed message that neither echoes the body nor names a Go type; the
// same request well formed is answered.
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		ok := s.do(http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, nil)
		require.Equal(t, http.StatusOK, ok.status)
		require.JSONEq(t, `{"__typename":"Query"}`, string(ok.answer(t).Data))

		const marker = "zebra-secret-marker"
		for name, body := range map[string]string{
			"truncated":         `{"query":"{ __typename } ` + marker,
			"batch":             `[{"query":"{ __typename }"},{"query":"{ ` + marker + ` }"}]`,
			"query not string":  `{"query":{"` + marker + `":1}}`,
			"variables string":  `{"query":"{ __typename }","variables":"` + marker + `"}`,
			"not an object":     `"` + marker + `"`,
			"trailing data":     `{"query":"{ __typename }"} {"` + marker + `":1}`,
			"operationName num": `{"query":"{ __typename }","operationName":12345}`,
		} {
			for _, accept := range []string{graph.MediaJSON, graph.MediaGraphQLResponse} {
				got := s.do(http.MethodPost, "/graphql", body, map[string]string{"Accept": accept})
				require.Equal(t, http.StatusBadRequest, got.status, name)
				require.Equal(t, accept+"; charset=utf-8", got.header.Get("Content-Type"), name)
				out := got.answer(t)
				require.Equal(t, []string{graph.CodeBadUserInput}, out.codes(), name)
				require.False(t, got.hasData(t), "%s: a request error has no data entry", name)
				for _, leak := range []string{marker, "json:", "Go value", "map[", "RawParams", "body:", "string"} {
					require.NotContains(t, out.Errors[0].Message, leak, name)
				}
			}
		}
		got := s.do(http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, map[string]string{"Content-Type": "text/plain"})
		require.Equal(t, http.StatusUnsupportedMediaType, got.status)
		require.Equal(t, []string{graph.CodeBadUserInput}, got.answer(t).codes())
		got = s.do(http.MethodGet, "/graphql?query=%zz", "", nil)
		require.Equal(t, http.StatusBadRequest, got.status)
		require.NotContains(t, string(got.body), "%zz")
	})
}

// TestIntrospectionOff: with introspection off, asking for the schema is
// the client's mistake (GRAPHQL_VALIDATION_FAILED, nothing logged at
// ERROR), no validation message suggests a name, and ordinary queries
// still run; with it on, both introspection and suggestions work.
func TestIntrospectionOff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		logs := &logBuffer{}
		off := newStoreWith(t, db, demoCatalog(t), storeSetup{app: func(d *app.Config) {
			d.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}})
		on := newStoreWith(t, db, nil, storeSetup{introspection: true})

		for _, q := range []string{
			`{ __schema { queryType { name } } }`,
			`{ __type(name: "Product") { name } }`,
			`query { ...F } fragment F on Query { __schema { types { name } } }`,
			`{ ... on Query { __type(name: "Cart") { fields { name } } } }`,
		} {
			out := off.post(q, "", nil)
			require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, out.codes(), q)
			require.Contains(t, out.Errors[0].Message, "introspection is disabled")
			require.Empty(t, out.Data, "a request error has no data entry")

			out = on.post(q, "", nil)
			require.Empty(t, out.Errors, q)
		}
		require.NotContains(t, logs.String(), "level=ERROR")
		out := off.post(`{ __typename products(first: 1) { totalCount } }`, "", nil)
		require.Empty(t, out.Errors, "__typename and ordinary fields still run")

		typos := []string{
			`{ produts(first: 1) { totalCount } }`,                                                         // field
			`{ products(frist: 1) { totalCount } }`,                                                        // argument
			`{ products(first: 1, orderBy: {field: NAM}) { totalCount } }`,                                 // enum value
			`{ products(first: 1, orderBy: {feld: NAME}) { totalCount } }`,                                 // input field
			`query($o: ProductOrdr) { products(orderBy: $o) { totalCount } }`,                              // type
			`{ products(first: 1) { edges { node { ... on Produc { id } } } } }`,                           // fragment type
			`{ products(first: 1) { edges { node { nme } } } }`,                                            // nested field
			`query($d: OrderDirection) { products(orderBy: {field: NAME, direction: $d}) { totalCount } }`, // value below
		}
		for i, q := range typos {
			vars := map[string]any(nil)
			if i == len(typos)-1 {
				vars = map[string]any{"d": "ASCC"}
			}
			out := off.post(q, "", vars)
			require.NotEmpty(t, out.Errors, q)
			raw, err := json.Marshal(out.Errors)
			require.NoError(t, err)
			require.NotContains(t, strings.ToLower(string(raw)), "did you mean", q)
			require.NotContains(t, string(raw), "ASC\"", q)
		}
		out = on.post(typos[0], "", nil)
		require.Contains(t, out.Errors[0].Message, "Did you mean", "with introspection on, suggestions help")
	})
}

// TestGETConventions: a mutation by GET is 405 with Allow: POST; a query
// by GET is answered.
func TestGETConventions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		got := s.do(http.MethodGet, getQuery(s.ops["CartCreate"], "CartCreate", nil), "", nil)
		require.Equal(t, http.StatusMethodNotAllowed, got.status)
		require.Equal(t, "POST", got.header.Get("Allow"))
		require.Equal(t, []string{graph.CodeBadUserInput}, got.answer(t).codes())
		n, err := s.client.Cart.Query().Count(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)
		require.Zero(t, n, "the mutation did not run")

		got = s.do(http.MethodGet, getQuery(s.ops["ProductList"], "ProductList", map[string]any{"first": 2}), "", nil)
		require.Equal(t, http.StatusOK, got.status)
		require.Empty(t, got.answer(t).Errors)
		got = s.do(http.MethodPost, "/graphql", mustJSON(t, map[string]any{"query": s.ops["CartCreate"], "operationName": "CartCreate"}), nil)
		require.Equal(t, http.StatusOK, got.status)
		require.Empty(t, got.answer(t).Errors, "the mutation by POST runs")
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestStrictVariableCoercion: variables coerce as the GraphQL spec says,
// not as loosely as gqlparser would; each refusal is paired with the
// value that works.
func TestStrictVariableCoercion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		const bySlug = `query($s: String!) { product(slug: $s) { id } }`
		const list = `query($n: Int, $o: ProductOrder, $w: ProductWhereInput) { products(first: $n, orderBy: $o, where: $w) { totalCount } }`
		tests := []struct {
			name      string
			query     string
			bad, good map[string]any
		}{
			{"number for String", bySlug, map[string]any{"s": 5}, map[string]any{"s": "5"}},
			{"boolean for String", bySlug, map[string]any{"s": true}, map[string]any{"s": "true"}},
			{"string for Int", list, map[string]any{"n": "2"}, map[string]any{"n": 2}},
			{"fraction for Int", list, map[string]any{"n": 2.5}, map[string]any{"n": 2.0}},
			{"Int beyond 32 bits", list, map[string]any{"n": int64(1) << 31}, map[string]any{"n": 100}},
			{"enum in lower case", list, map[string]any{"o": map[string]any{"field": "name"}}, map[string]any{"o": map[string]any{"field": "NAME"}}},
			{"number for nested String", list, map[string]any{"w": map[string]any{"nameHasPrefix": 7}}, map[string]any{"w": map[string]any{"nameHasPrefix": "7"}}},
		}
		for _, tt := range tests {
			out := s.post(tt.query, "", tt.bad)
			require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, out.codes(), tt.name)
			out = s.post(tt.query, "", tt.good)
			require.Empty(t, out.Errors, tt.name)
		}
	})
}

// TestErrorMediaType: every refusal answers in the media type the client
// accepted, with the status GraphQL over HTTP asks of it; the 401 of a bad
// token too.
func TestErrorMediaType(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		for _, tt := range []struct {
			accept, mediaType string
			requestError      int
		}{
			{"", graph.MediaJSON, http.StatusOK},
			{"*/*", graph.MediaJSON, http.StatusOK},
			{"application/json", graph.MediaJSON, http.StatusOK},
			{"application/graphql-response+json", graph.MediaGraphQLResponse, http.StatusBadRequest},
			{"application/graphql-response+json, application/json;q=0.9", graph.MediaGraphQLResponse, http.StatusBadRequest},
		} {
			h := map[string]string{"Accept": tt.accept}
			ok := s.do(http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, h)
			require.Equal(t, http.StatusOK, ok.status, tt.accept)
			require.Equal(t, tt.mediaType+"; charset=utf-8", ok.header.Get("Content-Type"), tt.accept)

			for _, q := range []string{`{ products(first: 1) {`, `{ nope }`} {
				got := s.do(http.MethodPost, "/graphql", mustJSON(t, map[string]any{"query": q}), h)
				require.Equal(t, tt.requestError, got.status, "%s %s", tt.accept, q)
				require.Equal(t, tt.mediaType+"; charset=utf-8", got.header.Get("Content-Type"))
				require.False(t, got.hasData(t), "a request error has no data entry")
			}
			got := s.do(http.MethodPost, "/graphql", mustJSON(t, map[string]any{"query": `query($n: Int) { products(first: $n) { totalCount } }`, "variables": map[string]any{"n": "x"}}), h)
			require.Equal(t, tt.requestError, got.status, "variable coercion failure")

			h["Authorization"] = "Bearer not-a-token"
			got = s.do(http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, h)
			require.Equal(t, http.StatusUnauthorized, got.status)
			require.Equal(t, tt.mediaType+"; charset=utf-8", got.header.Get("Content-Type"), tt.accept)
			require.Equal(t, []string{"UNAUTHENTICATED"}, got.answer(t).codes())
		}
	})
}

// TestCompression: answers of about a kilobyte or more are compressed
// with zstd or gzip as Accept-Encoding allows, and decompress to the very
// same answer; small answers, clients that ask for nothing and WebSocket
// upgrades are left alone.
func TestCompression(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		body := mustJSON(t, map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList", "variables": map[string]any{"first": 50}})
		plain := s.do(http.MethodPost, "/graphql", body, nil)
		require.Equal(t, http.StatusOK, plain.status)
		require.Empty(t, plain.header.Get("Content-Encoding"))
		require.Greater(t, len(plain.body), 1024)
		want := plain.answer(t).Data

		for _, tt := range []struct{ accept, encoding string }{
			{"gzip", "gzip"},
			{"zstd", "zstd"},
			{"gzip, deflate, br, zstd", "zstd"},
		} {
			got := s.do(http.MethodPost, "/graphql", body, map[string]string{"Accept-Encoding": tt.accept})
			require.Equal(t, http.StatusOK, got.status)
			require.Equal(t, tt.encoding, got.header.Get("Content-Encoding"), tt.accept)
			require.Contains(t, got.header.Values("Vary"), "Accept-Encoding")
			require.Less(t, len(got.body), len(plain.body)/2, "compressed")
			var dec []byte
			if tt.encoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(got.body))
				require.NoError(t, err)
				dec, err = io.ReadAll(zr)
				require.NoError(t, err)
			} else {
				zr, err := zstd.NewReader(bytes.NewReader(got.body))
				require.NoError(t, err)
				dec, err = io.ReadAll(zr)
				zr.Close()
				require.NoError(t, err)
			}
			var out gqlResponse
			require.NoError(t, json.Unmarshal(dec, &out))
			require.JSONEq(t, string(want), string(out.Data))
		}
		small := s.do(http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, map[string]string{"Accept-Encoding": "gzip, zstd"})
		require.Equal(t, http.StatusOK, small.status)
		require.Empty(t, small.header.Get("Content-Encoding"), "under a kilobyte goes as it is")

		// A WebSocket upgrade that accepts compressed answers still
		// upgrades, and speaks plain frames.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/graphql", &websocket.DialOptions{
			Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader:   http.Header{"Accept-Encoding": {"gzip, zstd"}},
		})
		require.NoError(t, err)
		defer conn.CloseNow()
		require.Empty(t, resp.Header.Get("Content-Encoding"))
		require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: map[string]any{}}))
		var m wsMessage
		require.NoError(t, wsjson.Read(ctx, conn, &m))
		require.Equal(t, "connection_ack", m.Type)
	})
}

// TestCDNCaching: an anonymous catalogue query by GET (whole or as a
// persisted-query hash) may be kept by a CDN for the catalogue cache's
// TTL, with a strong ETag and 304 on If-None-Match; a write changes the
// ETag. Anything signed in, with Authorization, a mutation or a POST is
// private, no-store.
func TestCDNCaching(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{CatalogCache: cache.NewMemory(8<<20, 2*time.Minute, time.Now)}, true)
		path := getQuery(s.ops["ProductList"], "ProductList", map[string]any{"first": 3})

		first := s.do(http.MethodGet, path, "", nil)
		require.Equal(t, http.StatusOK, first.status)
		require.Empty(t, first.answer(t).Errors)
		require.Equal(t, "public, max-age=120, stale-while-revalidate=120", first.header.Get("Cache-Control"))
		etag := first.header.Get("ETag")
		require.Regexp(t, `^"[A-Za-z0-9_-]+"$`, etag, "a strong ETag")
		vary := strings.Join(first.header.Values("Vary"), ", ")
		for _, h := range []string{"Accept", "Accept-Encoding", "Authorization"} {
			require.Contains(t, vary, h)
		}
		require.NotContains(t, string(first.body), "throttleStatus", "a shared answer carries nothing about one client")

		again := s.do(http.MethodGet, path, "", nil)
		require.Equal(t, etag, again.header.Get("ETag"), "the same answer has the same ETag")
		require.Equal(t, first.body, again.body)

		notModified := s.do(http.MethodGet, path, "", map[string]string{"If-None-Match": etag})
		require.Equal(t, http.StatusNotModified, notModified.status)
		require.Empty(t, notModified.body)
		require.Equal(t, etag, notModified.header.Get("ETag"))

		// Compressed, the ETag names the coding, and matches just the same.
		big := getQuery(s.ops["ProductList"], "ProductList", map[string]any{"first": 50})
		gz := s.do(http.MethodGet, big, "", map[string]string{"Accept-Encoding": "gzip"})
		require.Equal(t, "gzip", gz.header.Get("Content-Encoding"))
		require.True(t, strings.HasSuffix(gz.header.Get("ETag"), `-gzip"`), gz.header.Get("ETag"))
		gz304 := s.do(http.MethodGet, big, "", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gz.header.Get("ETag")})
		require.Equal(t, http.StatusNotModified, gz304.status)
		require.Equal(t, gz.header.Get("ETag"), gz304.header.Get("ETag"))

		// A write changes the answer, so the ETag: 200 with the new one.
		ctx := viewer.System(context.Background(), "test: set up")
		p, err := s.client.Product.Query().First(ctx)
		require.NoError(t, err)
		require.NoError(t, p.Update().SetName(p.Name+" (new)").Exec(ctx))
		changed := s.do(http.MethodGet, path, "", map[string]string{"If-None-Match": etag})
		require.Equal(t, http.StatusOK, changed.status)
		require.NotEqual(t, etag, changed.header.Get("ETag"))

		// By persisted-query hash: registered once by POST, then by GET.
		hash := graph.QueryHash(s.ops["ProductList"])
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		reg := s.do(http.MethodPost, "/graphql", mustJSON(t, map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList", "extensions": ext}), nil)
		require.Equal(t, cacheControlPrivate, reg.header.Get("Cache-Control"), "a POST is never shared")
		q := url.Values{"operationName": {"ProductList"}, "variables": {`{"first":3}`}, "extensions": {mustJSON(t, ext)}}
		byHash := s.do(http.MethodGet, "/graphql?"+q.Encode(), "", nil)
		require.Equal(t, http.StatusOK, byHash.status)
		require.Empty(t, byHash.answer(t).Errors)
		require.True(t, strings.HasPrefix(byHash.header.Get("Cache-Control"), "public, "))
		require.NotEmpty(t, byHash.header.Get("ETag"))

		// Private: signed in, an Authorization header, a non-catalogue
		// query, a mutation, a POST, an error.
		reg2 := s.register("cdn@example.com", "correct horse battery", "Cee Dee", nil)
		require.NotNil(t, reg2.Register.Token)
		tok := reg2.Register.Token.AccessToken
		for name, got := range map[string]exchange{
			"signed in":     s.do(http.MethodGet, path, "", map[string]string{"Authorization": "Bearer " + tok}),
			"not catalogue": s.do(http.MethodGet, getQuery(`{ node(id: "AAAAAAAAAAE") { id } }`, "", nil), "", nil),
			"mutation":      s.do(http.MethodGet, getQuery(s.ops["CartCreate"], "CartCreate", nil), "", nil),
			"POST":          s.do(http.MethodPost, "/graphql", mustJSON(t, map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList"}), nil),
			"error":         s.do(http.MethodGet, getQuery(`{ products(first: 1) { nope } }`, "", nil), "", nil),
		} {
			require.Equal(t, cacheControlPrivate, got.header.Get("Cache-Control"), name)
			require.Empty(t, got.header.Get("ETag"), name)
		}
	})
}

const cacheControlPrivate = "private, no-store"
