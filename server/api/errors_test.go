package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// TestDatabaseFailure: when the database goes away, GraphQL answers
// INTERNAL_SERVER_ERROR with no SQL or driver text, and readiness turns 503.
func TestDatabaseFailure(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		resp, err := http.Get(s.srv.URL + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		var list struct {
			Products struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		s.op("ProductList", map[string]any{"first": 1}, &list)
		id := list.Products.Edges[0].Node.ID

		require.NoError(t, db.SQL.Close())

		// nodes(ids:) fails as loudly as a list: a failed read is not an
		// object that does not exist.
		out := s.post(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, "", map[string]any{"ids": []string{id, id}})
		require.Equal(t, []string{"INTERNAL_SERVER_ERROR"}, out.codes())

		out = s.post(s.ops["ProductList"], "ProductList", nil)
		require.Equal(t, []string{"INTERNAL_SERVER_ERROR"}, out.codes())
		raw, err := json.Marshal(out.Errors)
		require.NoError(t, err)
		for _, leak := range []string{"sql", "SELECT", "database is closed", "pq:", "goroutine", ".go:"} {
			require.NotContains(t, strings.ToLower(string(raw)), strings.ToLower(leak))
		}
		require.NotEmpty(t, out.Errors[0].Extensions["requestId"], "the request ID ties the answer to the log")

		resp, err = http.Get(s.srv.URL + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	})
}

func TestDrainTurnsReadinessOff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		s.api.Drain()
		resp, err := http.Get(s.srv.URL + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		resp, err = http.Get(s.srv.URL + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "liveness stays up while draining")
	})
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		tests := []struct {
			name, query string
			vars        map[string]any
			code        string
		}{
			{"parse error", "{ products(first: 1) {", nil, "GRAPHQL_PARSE_FAILED"},
			{"unknown field", "{ products { nope } }", nil, "GRAPHQL_VALIDATION_FAILED"},
			{"id and slug together", `{ product(id: "AAAAAAAAAAE", slug: "x") { id } }`, nil, "BAD_USER_INPUT"},
			{"neither id nor slug", `{ category { id } }`, nil, "BAD_USER_INPUT"},
			{"wrong variable type", `query($n: Int) { products(first: $n) { totalCount } }`, map[string]any{"n": "ten"}, "GRAPHQL_VALIDATION_FAILED"},
		}
		for _, tt := range tests {
			out := s.post(tt.query, "", tt.vars)
			require.Equal(t, []string{tt.code}, out.codes(), tt.name)
		}
		big := strings.NewReader(`{"query":"` + strings.Repeat(" ", 2<<20) + `{ categoryTree { id } }"}`)
		resp, err := http.Post(s.srv.URL+"/graphql", "application/json", big)
		require.NoError(t, err)
		resp.Body.Close()
		require.NotEqual(t, http.StatusOK, resp.StatusCode, "a body over 1 MB is refused")
	})
}

func TestMalformedCursor(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		out := s.post(s.ops["ProductList"], "ProductList", map[string]any{"after": "not-a-cursor"})
		require.Equal(t, []string{"BAD_USER_INPUT"}, out.codes())
		require.NotContains(t, out.Errors[0].Message, "msgpack")
	})
}
