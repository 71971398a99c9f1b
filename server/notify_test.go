package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// childEnv marks the test binary re-executed as `server serve`, so the
// crash test has a real process to kill by PID.
const childEnv = "SAVANNAH_TEST_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, nil, os.Getenv, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startServer runs `server serve` in a child process on dbURL, sending SMS
// to gw, and returns it; the test kills it.
func startServer(t *testing.T, dbURL string, gw *smstest.Server) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"DATABASE_URL="+dbURL, "HTTP_ADDR=127.0.0.1:0", "SEED_DEMO=false", "DATA_DIR="+t.TempDir(),
		"AT_USERNAME="+smstest.Username, "AT_API_KEY="+smstest.APIKey, "AT_BASE_URL="+gw.URL(),
		"JOBS_POLL_INTERVAL=20ms", "NOTIFY_RETRY_BASE=1ms", "NOTIFY_RETRY_MAX=5ms", "LOG_LEVEL=error",
		"SMTP_URL=", "NOTIFY_ADMIN_EMAILS=ops@savannah.example")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// kill ends the server as a crash does: SIGKILL, no shutdown.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
}

// TestCrashedServerDeliversOnce: an order committed while no worker runs
// (the server died after the commit) is delivered by the next server
// process, once; after that process is killed too, the one after it
// delivers only what is new.
func TestCrashedServerDeliversOnce(t *testing.T) {
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := dbtest.Open(t, b.URL)
			ctx := context.Background()
			require.NoError(t, jobs.Migrate(ctx, db))
			// This process only writes: its River client inserts, never runs.
			inserter, err := jobs.New(db, jobs.Config{})
			require.NoError(t, err)
			client, err := app.NewClient(app.Config{DB: db, Log: slog.New(slog.DiscardHandler), Jobs: inserter, AdminEmails: []string{"ops@savannah.example"}})
			require.NoError(t, err)
			gw := smstest.New(t)

			waitSent := func(o *ent.Order) {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for {
					ns, err := client.Notification.Query().Where(notification.OrderID(o.ID)).All(viewer.System(ctx, "test: set up"))
					require.NoError(t, err)
					sent := 0
					for _, n := range ns {
						if n.Status == notification.StatusSENT {
							sent++
						}
					}
					if len(ns) == 3 && sent == 3 {
						return
					}
					require.False(t, time.Now().After(deadline), "order %s: %d of %d notifications sent", o.Number, sent, len(ns))
					time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
				}
			}

			first := placeOrder(t, client, "+254711000001")
			first1 := startServer(t, b.URL, gw)
			waitSent(first)
			require.Len(t, gw.WaitMessages(t, 1, 10*time.Second), 1)
			kill(t, first1)

			second := placeOrder(t, client, "+254711000002")
			startServer(t, b.URL, gw)
			waitSent(second)
			msgs := gw.Messages()
			require.Len(t, msgs, 2, "each order's SMS once, none again after the restart")
			require.Equal(t, "+254711000001", msgs[0].To)
			require.Equal(t, "+254711000002", msgs[1].To)
			for _, n := range client.Notification.Query().AllX(viewer.System(ctx, "test: set up")) {
				require.Equal(t, 1, n.Attempts, "%s to %s", n.Template, n.Recipient)
			}
		})
	}
}
