package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/globalid"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/internal/webhook"
)

// TestCrashedServerDeliversWebhookOnce: an order placed (and committed)
// while the server that would deliver its webhook is dead (killed with
// SIGKILL) reaches the receiver once, when the next server process
// starts; the event delivered before the kill is not sent again.
func TestCrashedServerDeliversWebhookOnce(t *testing.T) {
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := dbtest.Open(t, b.URL)
			ctx := context.Background()
			require.NoError(t, jobs.Migrate(ctx, db))
			inserter, err := jobs.New(db, jobs.Config{})
			require.NoError(t, err)
			client, err := app.NewClient(app.Config{DB: db, Log: slog.New(slog.DiscardHandler), Jobs: inserter})
			require.NoError(t, err)

			var mu sync.Mutex
			seen := map[string]int{} // order ID → accepted order.placed events
			ids := map[string]int{}  // webhook-id → accepted requests
			secret := webhook.NewSecret()
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				wh, err := standardwebhooks.NewWebhook(secret)
				if err != nil || wh.Verify(body, r.Header) != nil {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				var p struct {
					Type string `json:"type"`
					Data struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				_ = json.Unmarshal(body, &p)
				mu.Lock()
				defer mu.Unlock()
				ids[r.Header.Get("webhook-id")]++
				if p.Type == string(webhook.OrderPlaced) {
					seen[p.Data.ID]++
				}
			}))
			t.Cleanup(rcv.Close)
			_, err = client.WebhookSubscription.Create().SetURL(rcv.URL).SetEventTypes([]string{string(webhook.OrderPlaced)}).
				SetSecret(secret).Save(viewer.System(ctx, "test: set up"))
			require.NoError(t, err)
			count := func(orderID int) int {
				mu.Lock()
				defer mu.Unlock()
				return seen[globalid.Encode(orderID)]
			}
			gw := smstest.New(t)

			first := placeOrder(t, client, "+254711000001")
			server := startWebhookServer(t, b.URL, gw)
			require.Eventually(t, func() bool { return count(first.ID) == 1 }, 30*time.Second, 20*time.Millisecond)
			kill(t, server)

			// Committed while no server runs: delivered after the restart.
			second := placeOrder(t, client, "+254711000002")
			startWebhookServer(t, b.URL, gw)
			require.Eventually(t, func() bool { return count(second.ID) == 1 }, 30*time.Second, 20*time.Millisecond)
			require.Equal(t, 1, count(first.ID), "not sent again after the restart")
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, ids, 2)
			for id, n := range ids {
				require.Equal(t, 1, n, "event %s", id)
			}
		})
	}
}

// startWebhookServer is startServer with webhook requests allowed to the
// test's receiver on 127.0.0.1.
func startWebhookServer(t *testing.T, dbURL string, gw *smstest.Server) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"DATABASE_URL="+dbURL, "HTTP_ADDR=127.0.0.1:0", "SEED_DEMO=false", "DATA_DIR="+t.TempDir(),
		"AT_USERNAME="+smstest.Username, "AT_API_KEY="+smstest.APIKey, "AT_BASE_URL="+gw.URL(),
		"JOBS_POLL_INTERVAL=20ms", "NOTIFY_RETRY_BASE=1ms", "NOTIFY_RETRY_MAX=5ms", "LOG_LEVEL=error",
		"SMTP_URL=", "WEBHOOK_ALLOW_LOOPBACK=true", "WEBHOOK_RETRY_BASE=10ms", "WEBHOOK_RETRY_MAX=50ms")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}
