package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/app/apptest"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// store is a running API over a fresh database, with every SQL statement
// counted.
type store struct {
	t      testing.TB
	db     *database.DB
	client *ent.Client
	count  *database.CountingDriver
	api    *api.Server
	// services are the store's, built by the composition root.
	services *app.Services
	srv      *httptest.Server
	ops      map[string]string // contract operations by name, with their fragments
	auth     *auth.Service
	tokens   *auth.Tokens
	key      auth.SigningKey
	// bearer, when set, is sent as the access token of every request.
	bearer string
	// audited counts the audited mutations sent (see auditLedger).
	audited *auditLedger
}

// newStore starts the API; opts adjust the auth service (such as Redis
// stores instead of the database and in-process ones).
func newStore(t testing.TB, db *database.DB, cat *seed.Catalog, opts ...func(*auth.ServiceConfig)) *store {
	t.Helper()
	return newStoreWith(t, db, cat, storeSetup{auth: opts, introspection: true})
}

// storeSetup is what tests vary about the API a store runs.
type storeSetup struct {
	auth          []func(*auth.ServiceConfig)
	protection    api.Protection
	introspection bool
	// app has the last word on how the store is built (a bus, a tracer,
	// checkout's clock); deps on how it is served over HTTP.
	app  func(*app.Config)
	deps func(*api.Config)
}

// newStoreWith builds the store through the composition root
// (internal/app), as the server does, so every test runs the production
// client and hooks; only the driver under them counts statements.
func newStoreWith(t testing.TB, db *database.DB, cat *seed.Catalog, setup storeSetup) *store {
	t.Helper()
	ctx := context.Background()
	count := database.NewCountingDriver(db.Driver())
	cfg := apptest.Config(t, db)
	cfg.Driver = count
	cfg.CatalogCache = setup.protection.CatalogCache
	// The key is kept: social sign-in signs its state with it.
	key, err := auth.GenerateSigningKey()
	require.NoError(t, err)
	cfg.Auth.Tokens = auth.NewTokens("savannah-test", "savannah-test", key)
	for _, o := range setup.auth {
		o(&cfg.Auth)
	}
	if setup.app != nil {
		setup.app(&cfg)
	}
	client, err := app.NewClient(cfg)
	require.NoError(t, err)
	if cat != nil {
		_, err := seed.Load(ctx, client, cat)
		require.NoError(t, err)
	}
	svc, err := app.NewServices(client, cfg)
	require.NoError(t, err)
	hc := api.Config{
		Introspection: setup.introspection,
		Checks:        map[string]api.Checker{"database": db},
		Registry:      prometheus.NewRegistry(),
		Protection:    setup.protection,
	}
	if setup.deps != nil {
		setup.deps(&hc)
	}
	a := api.New(svc, hc)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	s := &store{t: t, db: db, client: client, count: count, api: a, services: svc, srv: srv, ops: contractOps(t), auth: svc.Auth, tokens: cfg.Auth.Tokens, key: key, audited: &auditLedger{sent: map[string]int{}}}
	// Before srv.Close: every audited mutation this store served must
	// have left its audit row.
	t.Cleanup(s.checkAudited)
	return s
}

// placed saves the order that create builds, as the system, in a
// transaction of client's: the production hooks notify of orders only in the
// transaction that writes them.
func placed(t testing.TB, client *ent.Client, create func(*ent.Client) *ent.OrderCreate) *ent.Order {
	t.Helper()
	var o *ent.Order
	require.NoError(t, database.InTx(viewer.System(context.Background(), "test: set up"), client, func(ctx context.Context) error {
		var err error
		o, err = create(ent.FromContext(ctx)).Save(ctx)
		return err
	}))
	return o
}

func demoCatalog(t *testing.T) *seed.Catalog {
	t.Helper()
	cat, err := seed.Parse(bytes.NewReader(seed.Demo()))
	require.NoError(t, err)
	return cat
}

// contractOps reads the contract documents (storefront, admin and those
// added since): each operation is
// sent as the clients send it, the whole document with an operation name.
func contractOps(t testing.TB) map[string]string {
	t.Helper()
	ops := map[string]string{}
	files, err := filepath.Glob("../../graph/testdata/contract/*.graphql")
	require.NoError(t, err)
	for _, file := range files {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`(?m)^(?:query|mutation|subscription) (\w+)`).FindAllStringSubmatch(string(src), -1) {
			_, dup := ops[m[1]]
			require.False(t, dup, "operation %s is in two contract files", m[1])
			ops[m[1]] = string(src)
		}
	}
	return ops
}

// userError is a payload's userErrors entry.
type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// gqlResponse is a GraphQL response with its errors' codes.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions map[string]any `json:"extensions"`
}

func (r gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// send sends a GraphQL request, with the store's access token if any, and
// decodes the response.
func (s *store) send(query, opName string, vars map[string]any) (gqlResponse, error) {
	var out gqlResponse
	body, err := json.Marshal(map[string]any{"query": query, "operationName": opName, "variables": vars})
	if err != nil {
		return out, err
	}
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+s.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return out, err
	}
	s.noteAudited(query, opName, out)
	return out, nil
}

// post sends a GraphQL request and decodes the response.
func (s *store) post(query, opName string, vars map[string]any) gqlResponse {
	s.t.Helper()
	out, err := s.send(query, opName, vars)
	require.NoError(s.t, err)
	return out
}

// postAsync is post for use from other goroutines: it reports failures in
// the response instead of stopping the test.
func (s *store) postAsync(query, opName string, vars map[string]any) gqlResponse {
	out, err := s.send(query, opName, vars)
	if err != nil {
		out.Errors = append(out.Errors, struct {
			Message    string         `json:"message"`
			Path       []any          `json:"path"`
			Extensions map[string]any `json:"extensions"`
		}{Message: err.Error()})
	}
	return out
}

// op runs a contract operation and decodes its data into v, failing on
// any error.
func (s *store) op(name string, vars map[string]any, v any) {
	s.t.Helper()
	doc, ok := s.ops[name]
	require.True(s.t, ok, "no contract operation %s", name)
	resp := s.post(doc, name, vars)
	require.Empty(s.t, resp.Errors, "%s answered errors", name)
	require.NoError(s.t, json.Unmarshal(resp.Data, v))
}

// statements runs a contract operation and returns how many SQL
// statements it took.
func (s *store) statements(name string, vars map[string]any) int64 {
	s.t.Helper()
	var sink map[string]any
	s.count.Reset()
	s.op(name, vars, &sink)
	n := s.count.Count()
	for i, q := range s.count.Statements() {
		s.t.Logf("%s statement %d: %s", name, i+1, q)
	}
	return n
}

// asStaff returns the store acting as a newly created STAFF member, for
// the admin operations of the contract.
func (s *store) asStaff() *store {
	s.t.Helper()
	c, err := s.client.Customer.Create().
		SetEmail(fmt.Sprintf("staff-%d@example.com", time.Now().UnixNano())).
		SetName("Staff").
		SetRole(customer.RoleSTAFF).
		Save(viewer.System(context.Background(), "test: set up"))
	require.NoError(s.t, err)
	tok, _, err := s.tokens.Issue(c.ID, customer.RoleSTAFF, 0)
	require.NoError(s.t, err)
	return s.as(tok)
}
