package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// logBuffer collects the server's JSON log lines while it runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// find returns the first log line with the given message.
func (b *logBuffer) find(msg string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, line := range strings.Split(b.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	return nil
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestServeSeedsAndShutsDownGracefully(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logs := &logBuffer{}
			dataDir := t.TempDir()
			env := envOf(map[string]string{"DATABASE_URL": b.URL, "HTTP_ADDR": "127.0.0.1:0", "SHUTDOWN_TIMEOUT": "5s", "DATA_DIR": dataDir})
			done := make(chan error, 1)
			go func() { done <- run(ctx, nil, env, logs) }()

			var base string
			require.Eventually(t, func() bool {
				if l := logs.find("listening"); l != nil {
					base = "http://" + l["addr"].(string)
					return true
				}
				return false
			}, 90*time.Second, 10*time.Millisecond, "server did not start")
			require.NotNil(t, logs.find("seeded demo store"), "an empty database gets the demo store")
			require.NotNil(t, logs.find("generated a development JWT signing key; set JWT_PRIVATE_KEY in production"),
				"development makes its own signing key, loudly")
			require.FileExists(t, filepath.Join(dataDir, "jwt-signing-key.pem"))

			get := func(path string) (int, string) {
				resp, err := http.Get(base + path)
				require.NoError(t, err)
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			}
			code, _ := get("/healthz")
			require.Equal(t, http.StatusOK, code)
			code, body := get("/readyz")
			require.Equal(t, http.StatusOK, code, body)
			require.JSONEq(t, `{"database":"ok","migrations":"ok","queue":"ok"}`, body)
			code, body = get("/")
			require.Equal(t, http.StatusOK, code)
			require.Contains(t, body, "graphiql", "the playground")

			resp, err := http.Post(base+"/graphql", "application/json",
				strings.NewReader(`{"query":"{ products(first: 3) { totalCount edges { node { slug } } } }"}`))
			require.NoError(t, err)
			body2, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Contains(t, string(body2), `"totalCount":42`)

			// The published key set, and a signed-in request through it.
			code, body = get("/.well-known/jwks.json")
			require.Equal(t, http.StatusOK, code)
			require.Contains(t, body, `"crv":"Ed25519"`)
			resp, err = http.Post(base+"/graphql", "application/json", strings.NewReader(
				`{"query":"mutation { register(input: {email: \"serve@example.com\", password: \"kilimanjaro-sunrise-42\", name: \"S\"}) { token { accessToken } userErrors { code } } }"}`))
			require.NoError(t, err)
			var reg struct {
				Data struct {
					Register struct{ Token struct{ AccessToken string } }
				}
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&reg))
			resp.Body.Close()
			req, err := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":"{ me { email } }"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+reg.Data.Register.Token.AccessToken)
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			body2, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Contains(t, string(body2), `"email":"serve@example.com"`)

			code, body = get("/metrics")
			require.Equal(t, http.StatusOK, code)
			require.Contains(t, body, `savannah_http_requests_total{code="200",method="POST",route="/graphql"} 3`)
			require.Regexp(t, `(?m)^savannah_sql_statements_total [1-9]`, body, "statements are metered")
			require.Contains(t, body, `savannah_graphql_operations_total{operation="anonymous",type="query"} 2`)
			require.Contains(t, body, `savannah_graphql_operations_total{operation="anonymous",type="mutation"} 1`)
			require.Contains(t, body, "savannah_jobs_queue_depth_up 1")
			require.Contains(t, body, `go_sql_open_connections{db_name="savannah"}`)

			// The demo store ships: Nairobi has delivery and pickup.
			resp, err = http.Post(base+"/graphql", "application/json", strings.NewReader(
				`{"query":"{ shippingOptions(address: {countryCode: \"KE\", town: \"Nairobi\"}, subtotal: \"1000\") { method { name } price { amount } } }"}`))
			require.NoError(t, err)
			body2, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Contains(t, string(body2), `{"method":{"name":"Nairobi same-day delivery"},"price":{"amount":"250.00"}}`)
			require.Contains(t, string(body2), `"Pick up in Nairobi"`)

			// The logger adds the customer to the signed-in request's line.
			logs.mu.Lock()
			signedIn := regexp.MustCompile(`"msg":"http request".*"customer_id":[1-9]`).MatchString(logs.buf.String())
			logs.mu.Unlock()
			require.True(t, signedIn, "the access line of the signed-in request names the customer")

			cancel() // as SIGTERM does
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("server did not stop")
			}
			require.NotNil(t, logs.find("stopped"))
			_, err = http.Get(base + "/healthz")
			require.Error(t, err, "the listener is closed")
		})
	}
}

func TestSubcommands(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := viewer.System(context.Background(), "test: set up") // inspects the admin account
			env := envOf(map[string]string{"DATABASE_URL": b.URL})
			var out bytes.Buffer

			require.NoError(t, run(ctx, []string{"migrate"}, env, &out))
			require.NoError(t, run(ctx, []string{"migrate"}, env, &out), "migrate is idempotent")

			seed := []string{"seed", "--catalog", "../internal/seed/demo.json"}
			require.NoError(t, run(ctx, seed, env, &out))
			require.NoError(t, run(ctx, seed, env, &out), "seed is idempotent")
			require.Contains(t, out.String(), `"products_created":42`)
			require.Contains(t, out.String(), `"products_created":0`)
			// A generated catalogue, beside the demo one, idempotently too.
			out.Reset()
			generated := []string{"seed", "--generate", "300"}
			require.NoError(t, run(ctx, generated, env, &out))
			require.NoError(t, run(ctx, generated, env, &out), "seed --generate is idempotent")
			require.Contains(t, out.String(), `"products_created":300`)
			require.Contains(t, out.String(), `"products_created":0`)
			ugx := envOf(map[string]string{"DATABASE_URL": b.URL, "STORE_CURRENCY": "UGX"})
			require.ErrorContains(t, run(ctx, seed, ugx, io.Discard), "catalogue priced in another currency: KES, the store sells in UGX")

			admin := []string{"create-admin", "--email", " Admin@Example.COM ", "--password", "correct horse battery"}
			require.NoError(t, run(ctx, admin, env, &out))
			require.NoError(t, run(ctx, admin, env, &out), "a second run promotes the existing account")

			db := dbtest.Open(t, b.URL)
			c := db.Client().Customer.Query().OnlyX(ctx)
			require.Equal(t, "admin@example.com", c.Email, "stored normalised")
			require.Equal(t, customer.RoleADMIN, c.Role)
			require.NotContains(t, out.String(), "correct horse battery", "the password is never logged")

			tests := []struct {
				name string
				args []string
				want string
			}{
				{"short password", []string{"create-admin", "--email", "a@b.co", "--password", "short"}, "at least 10"},
				{"missing email", []string{"create-admin", "--password", "long enough password"}, "--email"},
				{"missing catalogue", []string{"seed"}, "--catalog"},
				{"unreadable catalogue", []string{"seed", "--catalog", "no-such-file.json"}, "no such file"},
				{"both catalogues", []string{"seed", "--catalog", "../internal/seed/demo.json", "--generate", "10"}, "exclude each other"},
				{"generated too large", []string{"seed", "--generate", "1000000"}, "want 1 to 999999"},
				{"unknown command", []string{"frobnicate"}, "unknown command"},
			}
			for _, tt := range tests {
				err := run(ctx, tt.args, env, io.Discard)
				require.ErrorContains(t, err, tt.want, tt.name)
			}
		})
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), nil, envOf(map[string]string{"DATABASE_URL": "mysql://nope"}), io.Discard)
	require.ErrorContains(t, err, "DATABASE_URL")
}

// TestServeExportsTraces: with OTEL_EXPORTER_OTLP_ENDPOINT set, the
// server's spans reach the collector by the time it has stopped.
func TestServeExportsTraces(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		bodies []string
	)
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		if r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			bodies = append(bodies, string(b))
		}
		mu.Unlock()
	}))
	t.Cleanup(col.Close)

	srv := startServe(t, map[string]string{
		"DATABASE_URL":     "sqlite://" + filepath.Join(t.TempDir(), "t.db"),
		"SHUTDOWN_TIMEOUT": "5s", "OTEL_EXPORTER_OTLP_ENDPOINT": col.URL,
	})
	base := srv.base
	resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"query Tree { categoryTree { name } }"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, srv.shutdown(t))

	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(bodies, "")
	for _, span := range []string{"/graphql", "Query.categoryTree", "sql SELECT"} {
		require.Contains(t, all, span)
	}
}
