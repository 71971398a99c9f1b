package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/telemetry"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSetupOffWithoutEndpoint(t *testing.T) {
	t.Parallel()
	tp, shutdown, err := telemetry.Setup(context.Background(), env(nil))
	require.NoError(t, err)
	require.Nil(t, tp)
	require.NoError(t, shutdown(context.Background()))

	_, _, err = telemetry.Setup(context.Background(), env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}))
	require.ErrorContains(t, err, "OTEL_EXPORTER_OTLP_ENDPOINT")
}

// collector stands in for an OpenTelemetry collector's OTLP/HTTP receiver.
type collector struct {
	mu       sync.Mutex
	requests []received
}

type received struct {
	method, path, contentType string
	body                      []byte
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, received{r.Method, r.URL.Path, r.Header.Get("Content-Type"), body})
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// TestSetupExportsToCollector: with the endpoint set, a traced SQL
// statement reaches the collector as protobuf on /v1/traces once the
// provider shuts down (which flushes the batch).
func TestSetupExportsToCollector(t *testing.T) {
	t.Parallel()
	col := &collector{}
	srv := httptest.NewServer(col) // 127.0.0.1
	t.Cleanup(srv.Close)

	ctx := context.Background()
	tp, shutdown, err := telemetry.Setup(ctx, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "OTEL_SERVICE_NAME": "savannah-test"}))
	require.NoError(t, err)
	require.NotNil(t, tp)

	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	client := ent.NewClient(ent.Driver(database.Instrument(db.Driver(), telemetry.SQLHook(tp, db.Dialect))))
	_, err = client.Category.Query().Count(viewer.System(ctx, "test: set up"))
	require.NoError(t, err)

	col.mu.Lock()
	require.Empty(t, col.requests, "batched until flushed")
	col.mu.Unlock()
	require.NoError(t, shutdown(ctx))

	col.mu.Lock()
	defer col.mu.Unlock()
	require.NotEmpty(t, col.requests)
	r := col.requests[0]
	require.Equal(t, http.MethodPost, r.method)
	require.Equal(t, "/v1/traces", r.path)
	require.Equal(t, "application/x-protobuf", r.contentType)
	require.NotEmpty(t, r.body)
	require.Contains(t, string(r.body), "savannah-test", "the resource names the service")
	require.Contains(t, string(r.body), "SELECT", "the statement's span")
}

// TestDriverTracesStatements: every statement gets a span with its text
// (never its arguments), inside transactions too, and transactions still
// expose their *sql.Tx to River.
func TestDriverTracesStatements(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		client := ent.NewClient(ent.Driver(database.Instrument(db.Driver(), telemetry.SQLHook(tp, db.Dialect))))
		ctx := viewer.System(context.Background(), "test: set up")

		_, err := client.Category.Create().SetName("Secret Name 123").SetSlug("secret-name-123").Save(ctx)
		require.NoError(t, err)
		require.NoError(t, database.InTx(ctx, client, func(ctx context.Context) error {
			if _, err := database.SQLTx(ctx); err != nil {
				return err
			}
			_, err := ent.FromContext(ctx).Category.Query().Count(ctx)
			return err
		}))

		var names []string
		for _, s := range rec.Ended() {
			names = append(names, s.Name())
			text := attr(s.Attributes(), "db.query.text")
			require.NotEmpty(t, text)
			require.NotContains(t, text, "Secret Name 123", "arguments stay out of spans")
		}
		require.Contains(t, names, "sql INSERT")
		require.Contains(t, names, "sql SELECT")
		require.GreaterOrEqual(t, len(names), 2)
	})
}

func attr(kvs []attribute.KeyValue, key string) string {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.AsString()
		}
	}
	return ""
}
