package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/api"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/logging"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/telemetry"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// metric finds the series of name with exactly labels in reg, or nil.
func metric(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// counter is the value of a counter series; 0 when it does not exist.
func counter(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	if m := metric(t, reg, name, labels); m != nil {
		return m.GetCounter().GetValue()
	}
	return 0
}

// histogram is the sample count and sum of a histogram series.
func histogram(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (uint64, float64) {
	t.Helper()
	if m := metric(t, reg, name, labels); m != nil {
		return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
	}
	return 0, 0
}

func opLabels(name, typ string) map[string]string {
	return map[string]string{"operation": name, "type": typ}
}

func errLabels(name, code string) map[string]string {
	return map[string]string{"operation": name, "code": code}
}

// TestGraphQLOperationMetrics: every operation is counted by name and
// type with its duration and requested cost, every error by its code,
// refusals included, and client-chosen names cannot grow the label set.
func TestGraphQLOperationMetrics(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var reg *prometheus.Registry
		limiter := ratelimit.New(ratelimit.NewMemory(time.Now), slowPolicy(1000))
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{
			protection: api.Protection{RateLimit: limiter, Limits: graph.Limits{MaxCost: 1000}},
			deps:       func(d *api.Deps) { reg = d.Registry },
		})
		const ops, dur, cost, errs = "savannah_graphql_operations_total", "savannah_graphql_operation_duration_seconds",
			"savannah_graphql_operation_requested_cost", "savannah_graphql_errors_total"

		// A query that runs: counted, timed, its cost the one it answered.
		out := s.post(s.ops["ProductList"], "ProductList", map[string]any{"first": 5})
		require.Empty(t, out.Errors)
		requested := out.cost(t).RequestedQueryCost
		require.Positive(t, requested)
		require.Equal(t, 1.0, counter(t, reg, ops, opLabels("ProductList", "query")))
		n, _ := histogram(t, reg, dur, map[string]string{"operation": "ProductList"})
		require.Equal(t, uint64(1), n)
		n, sum := histogram(t, reg, cost, map[string]string{"operation": "ProductList"})
		require.Equal(t, uint64(1), n)
		require.Equal(t, float64(requested), sum, "the cost Protection measured, reported once")

		// Over a limit: refused, counted under its name and code.
		var deep strings.Builder
		deep.WriteString("query Deep { categoryTree ")
		for range 20 {
			deep.WriteString("{ children ")
		}
		deep.WriteString("{ id }" + strings.Repeat(" }", 20) + " }")
		out = s.post(deep.String(), "Deep", nil)
		require.Equal(t, []string{graph.CodeQueryTooComplex}, out.codes())
		require.Equal(t, 1.0, counter(t, reg, errs, errLabels("Deep", graph.CodeQueryTooComplex)))
		require.Equal(t, 1.0, counter(t, reg, ops, opLabels("Deep", "query")))

		// Rate limited: the bucket of 1000 runs dry within a few costly
		// queries.
		limited := 0
		for i := 0; i < 20 && limited == 0; i++ {
			out = s.post(s.ops["ProductList"], "ProductList", map[string]any{"first": 100})
			if len(out.Errors) > 0 {
				require.Equal(t, []string{graph.CodeRateLimited}, out.codes())
				limited++
			}
		}
		require.Equal(t, 1, limited)
		require.Equal(t, 1.0, counter(t, reg, errs, errLabels("ProductList", graph.CodeRateLimited)))

		// A hash the server does not know: the name was never validated,
		// so it takes no label of its own.
		_, out = s.sendRaw(map[string]any{"operationName": "Ghost", "extensions": map[string]any{
			"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("ab", 32)}}}, nil)
		require.Equal(t, []string{graph.CodePersistedQueryNotFound}, out.codes())
		require.Equal(t, 1.0, counter(t, reg, errs, errLabels("other", graph.CodePersistedQueryNotFound)))
		require.Equal(t, 1.0, counter(t, reg, ops, opLabels("other", "unknown")))
		require.Nil(t, metric(t, reg, ops, opLabels("Ghost", "unknown")))

		// Anonymous, and a name too long to be a label.
		out = s.post(`{ __typename }`, "", nil)
		require.Empty(t, out.Errors)
		require.Equal(t, 1.0, counter(t, reg, ops, opLabels("anonymous", "query")))
		long := "Q" + strings.Repeat("x", 64)
		out = s.post("query "+long+" { __typename }", long, nil)
		require.Empty(t, out.Errors)
		require.Equal(t, 1.0, counter(t, reg, ops, opLabels("other", "query")))

		// A validation error, and a mutation refused for want of a
		// customer.
		out = s.post(`query Broken { nope }`, "Broken", nil)
		require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, out.codes())
		require.Equal(t, 1.0, counter(t, reg, errs, errLabels("other", "GRAPHQL_VALIDATION_FAILED")))
		out = s.post(s.ops["UpdateProfile"], "UpdateProfile", map[string]any{"input": map[string]any{"name": "x"}})
		require.Equal(t, []string{graph.CodeUnauthenticated}, out.codes())
		require.Equal(t, 1.0, counter(t, reg, ops, opLabels("UpdateProfile", "mutation")))
		require.Equal(t, 1.0, counter(t, reg, errs, errLabels("UpdateProfile", graph.CodeUnauthenticated)))

		// An internal error.
		require.NoError(t, db.SQL.Close())
		out = s.post(s.ops["CategoryTree"], "CategoryTree", nil)
		require.Equal(t, []string{graph.CodeInternal}, out.codes())
		require.Equal(t, 1.0, counter(t, reg, errs, errLabels("CategoryTree", graph.CodeInternal)))
	})
}

// syncBuffer collects log output written from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes the JSON lines written so far.
func (b *syncBuffer) lines(t *testing.T) (raw string, lines []map[string]any) {
	t.Helper()
	b.mu.Lock()
	raw = b.buf.String()
	b.mu.Unlock()
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		lines = append(lines, m)
	}
	return raw, lines
}

// TestRequestLogs: the lines of a request carry its ID, operation and
// customer, and a sign-in's password and tokens appear in none, even at
// debug level.
func TestRequestLogs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		out := &syncBuffer{}
		log := slog.New(logging.NewHandler(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})))
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{
			auth:          []func(*auth.ServiceConfig){func(c *auth.ServiceConfig) { c.Log = log }},
			introspection: true,
			deps:          func(d *api.Deps) { d.Log = log },
		})

		const password = "wildebeest-migration-2026"
		reg := s.register("obs@example.com", password, "Obs Erver", nil)
		require.Empty(t, reg.Register.UserErrors)
		login := s.login("obs@example.com", password)
		require.NotNil(t, login.Login.Token)
		bad := s.post(s.ops["Login"], "Login", map[string]any{"email": "obs@example.com", "password": password + "-wrong"})
		require.Empty(t, bad.Errors)
		raw, lines := out.lines(t)
		for _, secret := range []string{password, reg.Register.Token.AccessToken, reg.Register.Token.RefreshToken,
			login.Login.Token.AccessToken, login.Login.Token.RefreshToken, "obs@example.com"} {
			require.NotContains(t, raw, secret)
		}
		var access []map[string]any
		for _, l := range lines {
			if l["msg"] == "http request" {
				access = append(access, l)
			}
		}
		require.Len(t, access, 3)
		for i, op := range []string{"Register", "Login", "Login"} {
			require.Equal(t, op, access[i]["operation"])
			require.NotEmpty(t, access[i]["request_id"])
			require.NotContains(t, access[i], "customer_id", "no one was signed in")
		}

		// A signed-in request: its access line names the customer; a
		// failure logged inside it names the request, operation and
		// customer too, though the code that logs it gave only the error.
		me := s.as(login.Login.Token.AccessToken)
		require.Empty(t, me.post(s.ops["Me"], "Me", nil).Errors)
		require.NoError(t, db.SQL.Close())
		failed := me.post(s.ops["Me"], "Me", nil)
		require.Equal(t, []string{graph.CodeInternal}, failed.codes())
		requestID := failed.Errors[0].Extensions["requestId"]
		_, lines = out.lines(t)
		var accessMe, resolver []map[string]any
		for _, l := range lines {
			switch {
			case l["msg"] == "http request" && l["operation"] == "Me":
				accessMe = append(accessMe, l)
			case l["msg"] == "graphql resolver failed":
				resolver = append(resolver, l)
			}
		}
		require.Len(t, accessMe, 2)
		customerID := accessMe[0]["customer_id"]
		require.NotNil(t, customerID)
		require.Equal(t, customerID, accessMe[1]["customer_id"])
		require.Equal(t, requestID, accessMe[1]["request_id"])
		require.NotEmpty(t, resolver)
		for _, l := range resolver {
			require.Equal(t, requestID, l["request_id"])
			require.Equal(t, "Me", l["operation"])
			require.Equal(t, customerID, l["customer_id"])
		}
	})
}

// TestOrdersPlacedMetric: an order counts once its transaction commits:
// not its idempotent replay, not a refused placement, not one whose
// caller's transaction rolled back.
func TestOrdersPlacedMetric(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		reg := prometheus.NewRegistry()
		var shop *checkout.Service
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{deps: func(d *api.Deps) {
			var err error
			shop, err = checkout.NewService(checkout.Config{Client: d.Client, Dialect: d.Dialect, Currency: d.Currency, Metrics: reg})
			require.NoError(t, err)
			d.Checkout = shop
		}})
		placed := func() float64 {
			return counter(t, reg, "savannah_orders_placed_total", map[string]string{"payment_method": "CASH_ON_DELIVERY"})
		}
		v := stocked(t, s, 5)
		me, customerID := s.asCustomer(t, "amina")
		crt := me.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})

		// The mutation's transaction commits: counted once, replay or not.
		for range 2 {
			p := decodePlace(t, me.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(crt.Cart.ID, "key-1")))
			require.Empty(t, p.PlaceOrder.UserErrors)
			require.Equal(t, 1.0, placed())
		}
		// Refused (the cart became an order): not counted.
		p := decodePlace(t, me.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(crt.Cart.ID, "key-2")))
		require.NotEmpty(t, p.PlaceOrder.UserErrors)
		require.Equal(t, 1.0, placed())

		// Placed inside a transaction that then rolls back: not counted.
		crt = me.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		ctx := viewer.With(context.Background(), viewer.Viewer{CustomerID: customerID, Role: viewer.Customer})
		undo := errors.New("undo")
		err := database.InTx(ctx, s.client, func(ctx context.Context) error {
			_, err := shop.PlaceOrder(ctx, checkout.PlaceOrderInput{
				CartToken: crt.Cart.ID, Method: payment.MethodCASH_ON_DELIVERY, IdempotencyKey: "key-3",
				Address: &schematype.AddressSnapshot{Name: "Amina", Line1: "Moi Avenue 1", City: "Nairobi", CountryCode: "KE"},
			})
			require.NoError(t, err)
			return undo
		})
		require.ErrorIs(t, err, undo)
		require.Equal(t, 1.0, placed())
	})
}

// TestTracing: a GraphQL request is one trace: the HTTP span named by its
// route, continuing the caller's traceparent, a span per resolver that
// runs code under it, and the SQL statements under those.
func TestTracing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{deps: func(d *api.Deps) {
			d.Tracer = tp
			d.Client = ent.NewClient(ent.Driver(database.Instrument(db.Driver(), telemetry.SQLHook(tp, db.Dialect))))
		}})
		const parent = "4bf92f3577b34da6a3ce929d0e0e4736"
		_, out := s.sendRaw(map[string]any{"query": s.ops["CategoryTree"], "operationName": "CategoryTree"},
			map[string]string{"traceparent": "00-" + parent + "-00f067aa0ba902b7-01"})
		require.Empty(t, out.Errors)

		spans := map[string]sdktrace.ReadOnlySpan{}
		for _, sp := range rec.Ended() {
			require.Equal(t, parent, sp.SpanContext().TraceID().String(), "%s continues the caller's trace", sp.Name())
			if _, seen := spans[sp.Name()]; !seen {
				spans[sp.Name()] = sp
			}
		}
		root, ok := spans["/graphql"]
		require.True(t, ok, "the request's span is named by its route: %v", spans)
		field, ok := spans["Query.categoryTree"]
		require.True(t, ok, "the resolver's span")
		require.Equal(t, root.SpanContext().SpanID(), field.Parent().SpanID())
		query, ok := spans["sql SELECT"]
		require.True(t, ok, "the statements' spans")
		require.Equal(t, field.SpanContext().SpanID(), query.Parent().SpanID())
		for name := range spans {
			require.NotContains(t, name, "CategoryTree.", "fields read off loaded objects are not traced")
			require.NotEqual(t, "Category.name", name)
		}
	})
}
