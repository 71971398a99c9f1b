package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// protectedStore is a store whose API runs with the given protection and
// introspection switch.
func protectedStore(t *testing.T, db *database.DB, cat *seed.Catalog, p api.Protection, introspection bool) *store {
	t.Helper()
	return newStoreWith(t, db, cat, storeSetup{protection: p, introspection: introspection})
}

// sendRaw posts a GraphQL body with extra headers and returns the HTTP
// response (body read) and the decoded answer.
func (s *store) sendRaw(body map[string]any, header map[string]string) (*http.Response, gqlResponse) {
	s.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(s.t, err)
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/graphql", bytes.NewReader(raw))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var out gqlResponse
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp, out
}

type costExt struct {
	RequestedQueryCost int `json:"requestedQueryCost"`
	ActualQueryCost    int `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

func (r gqlResponse) cost(t *testing.T) costExt {
	t.Helper()
	raw, ok := r.Extensions["cost"]
	require.True(t, ok, "every response carries extensions.cost: %v", r.Extensions)
	b, err := json.Marshal(raw)
	require.NoError(t, err)
	var c costExt
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

// slowPolicy barely refills, so a test sees exactly what it spent.
func slowPolicy(capacity float64) ratelimit.Policy {
	return ratelimit.Policy{Name: "graphql", Capacity: capacity, RefillPerSecond: 0.0001}
}

func loopback() []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} }

// TestCostInEveryResponse: the requested cost is the static one, the
// actual cost counts what came back, and the difference is refunded.
func TestCostInEveryResponse(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		limiter := ratelimit.New(ratelimit.NewMemory(time.Now), slowPolicy(5000))
		s := protectedStore(t, db, demoCatalog(t), api.Protection{RateLimit: limiter, TrustedProxies: loopback()}, true)
		client := map[string]string{"X-Forwarded-For": "198.51.100.7"}

		_, out := s.sendRaw(map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList", "variables": map[string]any{"first": 5}}, client)
		require.Empty(t, out.Errors)
		var data struct {
			Products struct {
				Edges []struct {
					Node struct {
						Category *struct{ ID string }  `json:"category"`
						Variants []struct{ ID string } `json:"variants"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"products"`
		}
		require.NoError(t, json.Unmarshal(out.Data, &data))
		want := 2
		for _, e := range data.Products.Edges {
			want += 1 + len(e.Node.Variants)
			if e.Node.Category != nil {
				want++
			}
		}
		c := out.cost(t)
		require.Equal(t, 2+5*(1+1+3), c.RequestedQueryCost)
		require.Equal(t, want, c.ActualQueryCost)
		require.Equal(t, 5000.0, c.ThrottleStatus.MaximumAvailable)
		require.Equal(t, 0.0001, c.ThrottleStatus.RestoreRate)
		require.InDelta(t, 5000-want, c.ThrottleStatus.CurrentlyAvailable, 1, "charged the requested cost, refunded down to the actual")

		// Errors carry it too, and a refused query costs nothing.
		_, out = s.sendRaw(map[string]any{"query": "{ nope }"}, client)
		require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, out.codes())
		c2 := out.cost(t)
		require.Zero(t, c2.ActualQueryCost)
		require.InDelta(t, 5000-want, c2.ThrottleStatus.CurrentlyAvailable, 1)
	})
}

// TestQueryTooComplex: each limit refuses its kind of abuse with
// QUERY_TOO_COMPLEX before a single SQL statement runs.
func TestQueryTooComplex(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{
			Limits: graph.Limits{MaxCost: 1000, MaxDepth: 6, MaxAliases: 5, MaxRootFields: 4, MaxTokens: 400},
		}, true)
		aliases := "{ categoryTree {"
		for i := range 6 {
			aliases += fmt.Sprintf(" n%d: name", i)
		}
		aliases += " } }"
		cases := []struct {
			name, query, message string
		}{
			{"nested lists", `{ products(first: 100) { edges { node { variants { product { variants { id } } } } } } }`, "costs 1602"},
			{"depth", `{ product(slug: "x") { category { parent { parent { parent { parent { parent { parent { id } } } } } } } } }`, "nested deeper than the limit of 6"},
			{"aliases", aliases, "more than 5 aliases"},
			{"root fields", `{ categoryTree { id } product(slug: "a") { id } category(slug: "b") { id } searchProducts(query: "c") { totalCount } node(id: "x") { id } }`, "more than 4 root fields"},
			{"tokens", "{" + strings.Repeat(" __typename", 400) + " }", "more than 400 tokens"},
		}
		for _, c := range cases {
			s.count.Reset()
			start := time.Now()
			resp, out := s.sendRaw(map[string]any{"query": c.query}, nil)
			elapsed := time.Since(start)
			require.Equal(t, http.StatusOK, resp.StatusCode, c.name)
			require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, out.codes(), c.name)
			require.Contains(t, out.Errors[0].Message, c.message, c.name)
			require.True(t, len(out.Data) == 0 || string(out.Data) == "null", "%s: no data", c.name)
			require.Zero(t, s.count.Count(), "%s: refused before any resolver ran", c.name)
			require.Less(t, elapsed, time.Second, c.name)
			if c.name != "tokens" {
				// What was measured before the limit stopped the measure.
				out.cost(t)
			}
		}
	})
}

// limitedStores are n API instances over one rate-limit store, seeded
// once, with loopback as the trusted proxy so X-Forwarded-For picks the
// client.
func limitedStores(t *testing.T, db *database.DB, stores []ratelimit.Store, exempt []netip.Prefix) []*store {
	t.Helper()
	var out []*store
	for i, st := range stores {
		cat := demoCatalog(t)
		if i > 0 {
			cat = nil
		}
		out = append(out, protectedStore(t, db, cat, api.Protection{
			RateLimit:      ratelimit.New(st, slowPolicy(1000)),
			TrustedProxies: loopback(),
			Exempt:         exempt,
		}, true))
	}
	return out
}

// exhaust spends a client's bucket on s with ProductDetail-sized queries
// (each costs its full request as nothing matches) until refused, and
// returns the refusal.
func exhaust(t *testing.T, s *store, ip string) (*http.Response, gqlResponse) {
	t.Helper()
	// Requested 2 + 100 × (1 + 1 + 3), actual about the same: charges
	// hundreds a request on a 1,000 bucket.
	body := map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList", "variables": map[string]any{"first": 100}}
	for range 50 {
		resp, out := s.sendRaw(body, map[string]string{"X-Forwarded-For": ip})
		if resp.StatusCode == http.StatusTooManyRequests {
			return resp, out
		}
		require.Empty(t, out.Errors)
	}
	t.Fatal("the bucket never ran out")
	return nil, gqlResponse{}
}

func requireLimited(t *testing.T, resp *http.Response, out gqlResponse) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, []string{"RATE_LIMITED"}, out.codes())
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds")
	require.Positive(t, secs)
	require.Less(t, out.cost(t).ThrottleStatus.CurrentlyAvailable, 502.0)
}

func TestRateLimitInProcess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		stores := limitedStores(t, db, []ratelimit.Store{ratelimit.NewMemory(time.Now)}, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")})
		s := stores[0]
		resp, out := exhaust(t, s, "203.0.113.1")
		requireLimited(t, resp, out)

		// Another client has its own bucket.
		_, out = s.sendRaw(map[string]any{"query": `{ categoryTree { id } }`}, map[string]string{"X-Forwarded-For": "203.0.113.2"})
		require.Empty(t, out.Errors)
		// A client cannot escape by forging X-Forwarded-For behind a
		// trusted proxy: the proxy appends the real address last.
		big := map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList", "variables": map[string]any{"first": 100}}
		resp, _ = s.sendRaw(big, map[string]string{"X-Forwarded-For": "10.9.9.9, 203.0.113.1"})
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		// Exempt networks are never limited.
		for range 8 {
			_, out = s.sendRaw(big, map[string]string{"X-Forwarded-For": "192.0.2.10"})
			require.Empty(t, out.Errors)
		}
	})
}

// TestRateLimitSharedThroughRedis: two API instances over one Redis
// drain one bucket per client.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	t.Parallel()
	rdb := dbtest.Redis(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		prefix := fmt.Sprintf("savannah:test:%s:%d:", t.Name(), time.Now().UnixNano())
		stores := limitedStores(t, db, []ratelimit.Store{ratelimit.NewRedis(rdb, prefix), ratelimit.NewRedis(rdb, prefix)}, nil)
		resp, out := exhaust(t, stores[0], "203.0.113.50")
		requireLimited(t, resp, out)
		resp, out = stores[1].sendRaw(map[string]any{"query": stores[1].ops["ProductList"], "operationName": "ProductList", "variables": map[string]any{"first": 100}}, map[string]string{"X-Forwarded-For": "203.0.113.50"})
		requireLimited(t, resp, out)
		_, out = stores[1].sendRaw(map[string]any{"query": `{ categoryTree { id } }`}, map[string]string{"X-Forwarded-For": "203.0.113.51"})
		require.Empty(t, out.Errors)
	})
}

// TestPersistedQueriesOnly: in allow-list mode the contract's documents
// run, whole or by hash, and nothing else does.
func TestPersistedQueriesOnly(t *testing.T) {
	t.Parallel()
	docs, err := graph.LoadPersistedQueries("../../graph/testdata/contract")
	require.NoError(t, err)
	files, err := filepath.Glob("../../graph/testdata/contract/*.graphql")
	require.NoError(t, err)
	require.Len(t, docs, len(files), "one persisted document per contract file")
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{PersistedOnly: docs}, false)
		doc := s.ops["CategoryTree"]
		hash := graph.QueryHash(doc)
		byHash := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}

		cases := []struct {
			name string
			body map[string]any
			code string
		}{
			{"registered document", map[string]any{"query": doc, "operationName": "CategoryTree"}, ""},
			{"registered hash", map[string]any{"operationName": "CategoryTree", "extensions": byHash}, ""},
			{"registered document, matching hash", map[string]any{"query": doc, "operationName": "CategoryTree", "extensions": byHash}, ""},
			{"other document", map[string]any{"query": "{ categoryTree { id } }"}, "PERSISTED_QUERY_NOT_FOUND"},
			{"registered document with a changed byte", map[string]any{"query": doc + " ", "operationName": "CategoryTree"}, "PERSISTED_QUERY_NOT_FOUND"},
			{"unknown hash", map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("ab", 32)}}}, "PERSISTED_QUERY_NOT_FOUND"},
			{"document with another's hash", map[string]any{"query": "{ categoryTree { id } }", "extensions": byHash}, "PERSISTED_QUERY_NOT_FOUND"},
		}
		for _, c := range cases {
			_, out := s.sendRaw(c.body, nil)
			if c.code == "" {
				require.Empty(t, out.Errors, c.name)
				require.Contains(t, string(out.Data), "categoryTree", c.name)
			} else {
				require.Equal(t, []string{c.code}, out.codes(), c.name)
			}
		}
	})
}

// TestAutomaticPersistedQueries: a hash unknown to the server asks the
// client for the document; once sent, the hash alone works, also on GET,
// and through Redis on another instance.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	query := `{ categoryTree { id name } }`
	hash := graph.QueryHash(query)
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	check := func(t *testing.T, a, b *store) {
		_, out := a.sendRaw(map[string]any{"extensions": ext}, nil)
		require.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, out.codes())
		_, out = a.sendRaw(map[string]any{"query": query, "extensions": ext}, nil)
		require.Empty(t, out.Errors)
		_, out = b.sendRaw(map[string]any{"extensions": ext}, nil)
		require.Empty(t, out.Errors, "the hash alone now works")
		extJSON, err := json.Marshal(ext)
		require.NoError(t, err)
		resp, err := http.Get(b.srv.URL + "/graphql?extensions=" + string(extJSON))
		require.NoError(t, err)
		defer resp.Body.Close()
		var got gqlResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		require.Empty(t, got.Errors)
		require.Contains(t, string(got.Data), "categoryTree")
	}
	t.Run("in process", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
		s := protectedStore(t, db, demoCatalog(t), api.Protection{}, true)
		check(t, s, s)
	})
	t.Run("shared through redis", func(t *testing.T) {
		t.Parallel()
		rdb := dbtest.Redis(t)
		prefix := fmt.Sprintf("savannah:test:apq:%d:", time.Now().UnixNano())
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
		a := protectedStore(t, db, demoCatalog(t), api.Protection{APQCache: cache.NewRedisStrings(rdb, prefix, time.Minute, log)}, true)
		b := protectedStore(t, db, nil, api.Protection{APQCache: cache.NewRedisStrings(rdb, prefix, time.Minute, log)}, true)
		check(t, a, b)
	})
}

// TestHTTPHygiene: security headers everywhere, CORS only for configured
// origins, and no field suggestions once introspection is off.
func TestHTTPHygiene(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	open := protectedStore(t, db, demoCatalog(t), api.Protection{CORSOrigins: []string{"https://shop.example.com"}}, true)
	closed := protectedStore(t, db, nil, api.Protection{}, false)

	for _, path := range []string{"/graphql", "/", "/healthz"} {
		resp, err := http.Get(open.srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"), path)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", path)
	}
	resp, err := http.Get(open.srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "connect-src 'self'", "the playground may call the API")

	// Browsers name the headers of a preflight lower-case and sorted.
	preflight := func(origin, headers string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, open.srv.URL+"/graphql", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp = preflight("https://shop.example.com", "authorization,content-type")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, "https://shop.example.com", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	require.Equal(t, "authorization,content-type", resp.Header.Get("Access-Control-Allow-Headers"))
	require.Equal(t, "600", resp.Header.Get("Access-Control-Max-Age"))
	resp = preflight("https://shop.example.com", "authorization,content-type,x-evil")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "a header not allowed: the browser sends nothing")
	resp = preflight("https://evil.example.com", "content-type")
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp, _ = open.sendRaw(map[string]any{"query": "{ categoryTree { id } }"}, map[string]string{"Origin": "https://shop.example.com"})
	require.Equal(t, "https://shop.example.com", resp.Header.Get("Access-Control-Allow-Origin"))

	_, out := open.sendRaw(map[string]any{"query": "{ categoryTre { id } }"}, nil)
	require.Contains(t, out.Errors[0].Message, "Did you mean", "suggestions help developers while introspection is on")
	_, out = closed.sendRaw(map[string]any{"query": "{ categoryTre { id } }"}, nil)
	require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, out.codes())
	require.NotContains(t, out.Errors[0].Message, "Did you mean", "no suggestions when introspection is off")
	_, out = closed.sendRaw(map[string]any{"query": "{ __schema { types { name } } }"}, nil)
	require.NotEmpty(t, out.Errors, "introspection is off")
}

// TestBodyLimit: a body over 1 MB is refused with 413 and
// QUERY_TOO_COMPLEX, declared or streamed; one just under passes.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := protectedStore(t, db, nil, api.Protection{}, true)
	query := "{ categoryTree { id } }"
	pad := func(n int) string { return `{"query":"` + strings.Repeat(" ", n) + query + `"}` }
	over := pad(api.MaxBodyBytes)
	for name, body := range map[string]io.Reader{
		"declared length": strings.NewReader(over),
		"streamed":        io.MultiReader(strings.NewReader(over)), // no length: chunked
	} {
		resp, err := http.Post(s.srv.URL+"/graphql", "application/json", body)
		require.NoError(t, err, name)
		var out gqlResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out), name)
		resp.Body.Close()
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, name)
		require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, out.codes(), name)
	}
	under := pad(api.MaxBodyBytes - 100 - len(query))
	resp, err := http.Post(s.srv.URL+"/graphql", "application/json", strings.NewReader(under))
	require.NoError(t, err)
	var out gqlResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, out.Errors)
}

// TestUndecodableBody: a body that is not JSON is the client's mistake,
// answered 400 with a client code, not an internal error.
func TestUndecodableBody(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := protectedStore(t, db, nil, api.Protection{}, true)
	resp, err := http.Post(s.srv.URL+"/graphql", "application/json", strings.NewReader("not json"))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out gqlResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, []string{"BAD_USER_INPUT"}, out.codes())
}

// TestRateLimitBySignedInCustomer: a signed-in customer has one bucket
// wherever they connect from, apart from the address's anonymous bucket.
func TestRateLimitBySignedInCustomer(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	p := api.Protection{
		RateLimit:      ratelimit.New(ratelimit.NewMemory(time.Now), slowPolicy(1000)),
		TrustedProxies: loopback(),
	}
	s := protectedStore(t, db, demoCatalog(t), p, true)
	_, first := s.asCustomer(t, "first")
	_, second := s.asCustomer(t, "second")
	bearer := func(customerID int) string {
		tok, _, err := s.tokens.Issue(customerID, customer.RoleCUSTOMER, 0)
		require.NoError(t, err)
		return "Bearer " + tok
	}
	big := map[string]any{"query": s.ops["ProductList"], "operationName": "ProductList", "variables": map[string]any{"first": 100}}
	var limited bool
	for i := range 50 {
		// The same customer from a different address every time.
		resp, _ := s.sendRaw(big, map[string]string{"Authorization": bearer(first), "X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i+1)})
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	require.True(t, limited, "the customer's bucket follows them across addresses")
	resp, out := s.sendRaw(big, map[string]string{"Authorization": bearer(second), "X-Forwarded-For": "198.51.100.1"})
	require.Equal(t, http.StatusOK, resp.StatusCode, "another customer at the same address has their own bucket")
	require.Empty(t, out.Errors)
	resp, _ = s.sendRaw(big, map[string]string{"X-Forwarded-For": "198.51.100.1"})
	require.Equal(t, http.StatusOK, resp.StatusCode, "so does the address when anonymous")
}

// TestSignInAndRegistrationLimits: login and register have buckets of
// their own, per client address and far smaller than the cost budget;
// once one is empty that mutation is refused with 429 RATE_LIMITED before
// it runs, while browsing and the other mutation go on.
func TestSignInAndRegistrationLimits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := ratelimit.NewMemory(time.Now)
		s := protectedStore(t, db, demoCatalog(t), api.Protection{
			RateLimit:         ratelimit.New(st, slowPolicy(100000)),
			SignInLimit:       ratelimit.New(st, ratelimit.Policy{Name: "sign-in", Capacity: 3, RefillPerSecond: 0.0001}),
			RegistrationLimit: ratelimit.New(st, ratelimit.Policy{Name: "register", Capacity: 2, RefillPerSecond: 0.0001}),
			TrustedProxies:    loopback(),
			Exempt:            []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
		}, false)
		from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
		register := func(addr string, n int) (*http.Response, gqlResponse) {
			return s.sendRaw(map[string]any{"query": s.ops["Register"], "operationName": "Register", "variables": map[string]any{"input": map[string]any{
				"email": fmt.Sprintf("limit-%s-%d-%d@example.com", addr, n, time.Now().UnixNano()), "password": "correct horse battery", "name": "Limit",
			}}}, from(addr))
		}
		login := func(addr string) (*http.Response, gqlResponse) {
			return s.sendRaw(map[string]any{"query": s.ops["Login"], "operationName": "Login", "variables": map[string]any{"email": "nobody@example.com", "password": "wrong password"}}, from(addr))
		}

		for n := range 2 {
			resp, out := register("203.0.113.7", n)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Empty(t, out.codes(), "registration %d is within the limit", n)
		}
		resp, out := register("203.0.113.7", 2)
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		require.Equal(t, []string{"RATE_LIMITED"}, out.codes())
		secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		require.NoError(t, err)
		require.Positive(t, secs)
		n, err := s.client.Customer.Query().Where(customer.EmailHasPrefix("limit-203.0.113.7-")).Count(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)
		require.Equal(t, 2, n, "the two allowed registrations created accounts, the refused one none")

		// Sign-in has its own bucket: three wrong passwords are answered
		// as such, the fourth is refused before the password is checked.
		for range 3 {
			resp, out = login("203.0.113.7")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.NotContains(t, out.codes(), "RATE_LIMITED")
		}
		resp, out = login("203.0.113.7")
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		require.Equal(t, []string{"RATE_LIMITED"}, out.codes())

		// Browsing from the same address is unaffected, another address
		// has its own buckets, and exempt networks have none.
		_, out = s.sendRaw(map[string]any{"query": `{ categoryTree { id } }`}, from("203.0.113.7"))
		require.Empty(t, out.Errors)
		resp, out = register("203.0.113.8", 0)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Empty(t, out.codes())
		for n := range 4 {
			resp, out = register("192.0.2.9", n)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Empty(t, out.codes())
		}
	})
}
