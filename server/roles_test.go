package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// running is a serve process run in this test process.
type running struct {
	base string
	logs *logBuffer
	stop context.CancelFunc
	done chan error
}

// startServe runs `serve args…` with env until the test ends, and waits
// until it listens.
func startServe(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{logs: &logBuffer{}, stop: cancel, done: make(chan error, 1)}
	full := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "SHUTDOWN_TIMEOUT": "10s", "DATA_DIR": t.TempDir(), "LOG_LEVEL": "info"}
	for k, v := range env {
		full[k] = v
	}
	go func() { r.done <- run(ctx, append([]string{"serve"}, args...), envOf(full), r.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Logf("server stopped: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	})
	require.Eventually(t, func() bool {
		if l := r.logs.find("listening"); l != nil {
			r.base = "http://" + l["addr"].(string)
			return true
		}
		select {
		case err := <-r.done:
			t.Fatalf("server exited: %v\n%s", err, r.logs.buf.String())
		default:
		}
		return false
	}, 90*time.Second, 10*time.Millisecond, "server did not start")
	return r
}

// wait stops the process as SIGTERM does and returns its result.
func (r *running) shutdown(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
		return nil
	}
}

func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(r.base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// jobStates counts river_job rows by kind and state.
func jobStates(t *testing.T, db *database.DB) map[string]int {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT kind, state, count(*) FROM river_job GROUP BY kind, state`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind, state string
		var n int
		require.NoError(t, rows.Scan(&kind, &state, &n))
		out[kind+"/"+state] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// TestRoles: an api process serves GraphQL and runs no jobs; a worker
// process serves only its probes and metrics, and runs the queued
// notifications and the periodic tasks; bad roles are refused.
func TestRoles(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := dbtest.Open(t, b.URL)
			require.NoError(t, jobs.Migrate(context.Background(), db))
			gw := smstest.New(t)
			env := map[string]string{
				"DATABASE_URL": b.URL, "SEED_DEMO": "false", "JOBS_POLL_INTERVAL": "20ms",
				"AT_USERNAME": smstest.Username, "AT_API_KEY": smstest.APIKey, "AT_BASE_URL": gw.URL(),
			}

			apiProc := startServe(t, env, "--role", "api")
			code, body := apiProc.get(t, "/readyz")
			require.Equal(t, http.StatusOK, code, body)
			resp, err := http.Post(apiProc.base+"/graphql", "application/json", strings.NewReader(`{"query":"{ categoryTree { id } }"}`))
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)

			// An order's notifications are queued with it; the api
			// process leaves them queued and schedules no periodic task.
			inserter, err := jobs.New(db, jobs.Config{})
			require.NoError(t, err)
			client, err := app.NewClient(app.Config{DB: db, Log: slog.New(slog.DiscardHandler), Jobs: inserter})
			require.NoError(t, err)
			placeOrder(t, client, "+254711000077")
			time.Sleep(time.Second) // 50 poll intervals: long enough for a worker to have taken the job, were one running
			require.Equal(t, map[string]int{"notification_deliver/available": 2}, jobStates(t, db), "the api role runs no jobs")

			worker := startServe(t, env, "--role", "worker")
			code, body = worker.get(t, "/readyz")
			require.Equal(t, http.StatusOK, code, body)
			code, _ = worker.get(t, "/healthz")
			require.Equal(t, http.StatusOK, code)
			code, body = worker.get(t, "/metrics")
			require.Equal(t, http.StatusOK, code)
			require.Contains(t, body, "go_goroutines")
			code, _ = worker.get(t, "/graphql")
			require.Equal(t, http.StatusNotFound, code, "a worker serves no API")

			msgs := gw.WaitMessages(t, 1, 30*time.Second)
			require.Equal(t, "+254711000077", msgs[0].To)
			require.Eventually(t, func() bool {
				s := jobStates(t, db)
				return s["notification_deliver/completed"] == 2 && s["periodic_task/completed"] == 5 // checkout 3, auth 1, media 1
			}, 30*time.Second, 20*time.Millisecond, "the worker delivers and runs each periodic task on start")
			require.NoError(t, worker.shutdown(t))
			require.NoError(t, apiProc.shutdown(t))
			require.Len(t, gw.Messages(), 1, "delivered once")
		})
	}

	for _, args := range [][]string{{"serve", "--role", "cron"}, {"serve", "--nope"}} {
		err := run(context.Background(), args, envOf(map[string]string{"DATABASE_URL": "sqlite://" + t.TempDir() + "/x.db"}), io.Discard)
		require.Error(t, err, "%v", args)
	}
	err := run(context.Background(), []string{"serve"}, envOf(map[string]string{"SERVER_ROLE": "cron"}), io.Discard)
	require.ErrorContains(t, err, "SERVER_ROLE")
}

// placeOrder writes an order with a phone and no email, as the system:
// its outbox hooks queue the customer's SMS and the admin copy.
func placeOrder(t *testing.T, client *ent.Client, phone string) *ent.Order {
	t.Helper()
	o, err := writeOrder(client, phone)
	require.NoError(t, err)
	return o
}

// writeOrder is placeOrder for goroutines: it returns its error.
func writeOrder(client *ent.Client, phone string) (*ent.Order, error) {
	var o *ent.Order
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	sys := viewer.System(context.Background(), "test: set up")
	err := database.InTx(sys, client, func(ctx context.Context) error {
		var err error
		o, err = ent.FromContext(ctx).Order.Create().SetNumber("SV-" + hex.EncodeToString(rnd[:])).
			SetCurrency("KES").SetSubtotalMinor(99900).SetTotalMinor(99900).
			SetPhone(phone).SetEmail("amina@example.com").
			SetShippingAddress(schematype.AddressSnapshot{Line1: "Moi Avenue 1", City: "Nairobi", CountryCode: "KE"}).
			SetIdempotencyKey(hex.EncodeToString(rnd[:])).Save(ctx)
		return err
	})
	return o, err
}

// TestShutdownFinishesInFlightRequests: requests the server has started
// reading when SIGTERM arrives all complete with full answers; readiness
// fails during the drain; subscriptions get a clean close frame; the
// process exits without error.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	srv := startServe(t, map[string]string{
		"DATABASE_URL":         "sqlite://" + t.TempDir() + "/shop.db",
		"SHUTDOWN_DRAIN_DELAY": "2s",
	})

	// A subscription connection, acknowledged.
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.base, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	defer ws.CloseNow()
	require.NoError(t, wsjson.Write(ctx, ws, map[string]any{"type": "connection_init"}))
	var ack map[string]any
	require.NoError(t, wsjson.Read(ctx, ws, &ack))
	require.Equal(t, "connection_ack", ack["type"])

	// In-flight requests: each sends its headers with Expect:
	// 100-continue; the server's 100 Continue means the GraphQL handler is
	// running and reading the body, which is held back until after SIGTERM.
	const inFlight = 8
	transport := &http.Transport{ExpectContinueTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	var started sync.WaitGroup
	started.Add(inFlight)
	bodies := make([]*io.PipeWriter, inFlight)
	type answer struct {
		code int
		body string
		err  error
	}
	answers := make(chan answer, inFlight)
	for i := range inFlight {
		pr, pw := io.Pipe()
		bodies[i] = pw
		req, err := http.NewRequest(http.MethodPost, srv.base+"/graphql", pr)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Expect", "100-continue")
		req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got100Continue: started.Done}))
		go func() {
			resp, err := client.Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			answers <- answer{resp.StatusCode, string(b), err}
		}()
	}
	started.Wait()

	srv.stop() // as SIGTERM does
	require.Eventually(t, func() bool { return srv.logs.find("shutting down") != nil }, 10*time.Second, 5*time.Millisecond)
	code, _ := srv.get(t, "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code, "readiness fails first, while the listener still accepts")

	for i, pw := range bodies {
		_, err := fmt.Fprintf(pw, `{"query":"{ categoryTree { slug } }","operationName":null,"variables":{"n":%d}}`, i)
		require.NoError(t, err)
		require.NoError(t, pw.Close())
	}
	for range inFlight {
		a := <-answers
		require.NoError(t, a.err)
		require.Equal(t, http.StatusOK, a.code, a.body)
		require.Contains(t, a.body, `"slug":"electronics"`)
	}

	_, _, err = ws.Read(ctx)
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "the subscription socket is closed with 1001 (going away), after which clients reconnect: %v", err)

	select {
	case err := <-srv.done:
		srv.done <- err
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	require.NotNil(t, srv.logs.find("stopped"))
}
