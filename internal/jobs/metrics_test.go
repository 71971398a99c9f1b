package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

type outcomeArgs struct{ Outcome string }

func (outcomeArgs) Kind() string { return "outcome" }

type outcomeWorker struct {
	river.WorkerDefaults[outcomeArgs]
}

// NextRetry keeps a failed job waiting, so the test sees it retryable.
func (outcomeWorker) NextRetry(*river.Job[outcomeArgs]) time.Time { return time.Now().Add(time.Hour) }

func (outcomeWorker) Work(_ context.Context, j *river.Job[outcomeArgs]) error {
	switch j.Args.Outcome {
	case "fail":
		return errors.New("provider down")
	case "cancel":
		return river.JobCancel(errors.New("nothing to do"))
	}
	return nil
}

// TestMetrics: the queue depth is read from river_job at scrape time, by
// state and kind, and every outcome of a worked job is counted.
func TestMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		require.NoError(t, jobs.Migrate(ctx, db))
		workers := river.NewWorkers()
		river.AddWorker(workers, outcomeWorker{})
		c, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 10 * time.Millisecond})
		require.NoError(t, err)
		reg := prometheus.NewPedanticRegistry()
		m := jobs.NewMetrics(reg, db, nil)

		// Before any job: the query works and reports nothing.
		require.NoError(t, testutil.GatherAndCompare(reg, stringsReader(`
# HELP savannah_jobs_queue_depth_up 1 when the last scrape could read the queue depth, 0 when the query failed or timed out.
# TYPE savannah_jobs_queue_depth_up gauge
savannah_jobs_queue_depth_up 1
`), "savannah_jobs_queue_depth_up", "savannah_jobs_queue_depth"))

		insert := func(outcome string, opts *river.InsertOpts) {
			_, err := c.Insert(ctx, outcomeArgs{Outcome: outcome}, opts)
			require.NoError(t, err)
		}
		insert("ok", nil)
		insert("ok", nil)
		insert("fail", &river.InsertOpts{MaxAttempts: 1})
		insert("fail", &river.InsertOpts{MaxAttempts: 5})
		insert("cancel", nil)
		insert("ok", &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		require.NoError(t, testutil.GatherAndCompare(reg, stringsReader(`
# HELP savannah_jobs_queue_depth Background jobs waiting (available, scheduled, retryable) or running, by state and kind.
# TYPE savannah_jobs_queue_depth gauge
savannah_jobs_queue_depth{kind="outcome",state="available"} 5
savannah_jobs_queue_depth{kind="outcome",state="retryable"} 0
savannah_jobs_queue_depth{kind="outcome",state="running"} 0
savannah_jobs_queue_depth{kind="outcome",state="scheduled"} 1
`), "savannah_jobs_queue_depth"))

		m.Watch(c)
		require.NoError(t, c.Start(ctx))
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = jobs.Stop(stopCtx, c)
		})
		outcomes := `
# HELP savannah_jobs_outcomes_total Attempts of background jobs worked by this process, by kind and outcome: completed, retried (failed, will run again), discarded (failed its last attempt), cancelled, snoozed.
# TYPE savannah_jobs_outcomes_total counter
savannah_jobs_outcomes_total{kind="outcome",outcome="cancelled"} 1
savannah_jobs_outcomes_total{kind="outcome",outcome="completed"} 2
savannah_jobs_outcomes_total{kind="outcome",outcome="discarded"} 1
savannah_jobs_outcomes_total{kind="outcome",outcome="retried"} 1
`
		require.Eventually(t, func() bool {
			return testutil.GatherAndCompare(reg, stringsReader(outcomes), "savannah_jobs_outcomes_total") == nil
		}, 20*time.Second, 10*time.Millisecond)
		require.NoError(t, testutil.GatherAndCompare(reg, stringsReader(outcomes), "savannah_jobs_outcomes_total"))

		// What waits now: the retry and the job scheduled for later.
		require.NoError(t, testutil.GatherAndCompare(reg, stringsReader(`
# HELP savannah_jobs_queue_depth Background jobs waiting (available, scheduled, retryable) or running, by state and kind.
# TYPE savannah_jobs_queue_depth gauge
savannah_jobs_queue_depth{kind="outcome",state="available"} 0
savannah_jobs_queue_depth{kind="outcome",state="retryable"} 1
savannah_jobs_queue_depth{kind="outcome",state="running"} 0
savannah_jobs_queue_depth{kind="outcome",state="scheduled"} 1
`), "savannah_jobs_queue_depth"))
	})
}

// TestQueueCheck: readiness fails until River's tables exist, and when
// the database is gone.
func TestQueueCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		check := jobs.QueueCheck{DB: db}
		require.Error(t, check.Ping(ctx), "River's tables are not migrated yet")
		require.NoError(t, jobs.Migrate(ctx, db))
		require.NoError(t, check.Ping(ctx))

		reg := prometheus.NewRegistry()
		jobs.NewMetrics(reg, db, nil)
		require.NoError(t, db.SQL.Close())
		require.Error(t, check.Ping(ctx))
		require.NoError(t, testutil.GatherAndCompare(reg, stringsReader(`
# HELP savannah_jobs_queue_depth_up 1 when the last scrape could read the queue depth, 0 when the query failed or timed out.
# TYPE savannah_jobs_queue_depth_up gauge
savannah_jobs_queue_depth_up 0
`), "savannah_jobs_queue_depth_up"))
	})
}
