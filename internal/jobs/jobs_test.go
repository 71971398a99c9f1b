package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/jobs/jobstest"
)

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan int
}

func (w *pingWorker) Work(_ context.Context, j *river.Job[pingArgs]) error {
	w.done <- j.Args.N
	return nil
}

// A job inserted in a committed transaction runs; one inserted in a
// rolled-back transaction never exists. River's schema migrates twice
// without complaint.
func TestInsertTxAndRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		require.NoError(t, jobs.Migrate(ctx, db))
		require.NoError(t, jobs.Migrate(ctx, db), "idempotent")

		w := &pingWorker{done: make(chan int, 4)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		c, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 10 * time.Millisecond})
		require.NoError(t, err)

		insert := func(n int, commit bool) {
			tx, err := db.SQL.BeginTx(ctx, nil)
			require.NoError(t, err)
			_, err = c.InsertTx(ctx, tx, pingArgs{N: n}, nil)
			require.NoError(t, err)
			if commit {
				require.NoError(t, tx.Commit())
			} else {
				require.NoError(t, tx.Rollback())
			}
		}
		insert(1, false)
		insert(2, true)

		require.NoError(t, c.Start(ctx))
		select {
		case n := <-w.done:
			require.Equal(t, 2, n)
		case <-time.After(20 * time.Second):
			t.Fatal("the committed job did not run")
		}
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(stopCtx, c))
		drv, err := jobs.Driver(db)
		require.NoError(t, err)
		// Exactly one ping job, the committed one: the rolled-back job
		// never existed.
		job := rivertest.RequireInserted(ctx, t, drv, pingArgs{}, &rivertest.RequireInsertedOpts{State: rivertype.JobStateCompleted})
		require.Equal(t, 2, job.Args.N)
		require.Empty(t, w.done)
	})
}

func TestUnsupportedDialect(t *testing.T) {
	_, err := jobs.New(&database.DB{Dialect: "mysql"}, jobs.Config{})
	require.ErrorContains(t, err, "mysql")
	require.ErrorContains(t, jobs.Migrate(context.Background(), &database.DB{Dialect: "mysql"}), "mysql")
}

// TestPeriodic: a periodic task runs when the worker starts (and then
// every period), by its name; its count and error reach the job's
// outcome. Tasks are checked when they are registered.
func TestPeriodic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		require.NoError(t, jobs.Migrate(ctx, db))
		ran := make(chan string, 8)
		workers := river.NewWorkers()
		schedule, err := jobs.Periodic(workers, slog.New(slog.NewTextHandler(io.Discard, nil)),
			jobs.Task{Name: "tidy", Every: time.Hour, Run: func(context.Context) (int, error) { ran <- "tidy"; return 3, nil }},
			jobs.Task{Name: "broken", Every: time.Hour, Run: func(context.Context) (int, error) { ran <- "broken"; return 0, errors.New("provider down") }},
		)
		require.NoError(t, err)
		require.Len(t, schedule, 2)
		c, err := jobs.New(db, jobs.Config{Workers: workers, PeriodicJobs: schedule, PollInterval: 10 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		seen := map[string]bool{}
		for len(seen) < 2 {
			select {
			case name := <-ran:
				seen[name] = true
			case <-time.After(30 * time.Second):
				t.Fatalf("periodic tasks did not run on start: ran %v", seen)
			}
		}
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(stopCtx, c))

		// Each ran once (a period is an hour), and the failed run is not
		// retried: it is discarded, and the next period runs it again.
		require.Equal(t, map[rivertype.JobState]int{rivertype.JobStateCompleted: 1, rivertype.JobStateDiscarded: 1}, jobstest.States(t, c, "periodic_task"))
		require.Empty(t, ran)
	})

	workers := river.NewWorkers()
	_, err := jobs.Periodic(workers, slog.Default(), jobs.Task{Name: "x", Run: func(context.Context) (int, error) { return 0, nil }})
	require.Error(t, err, "no period")
	run := func(context.Context) (int, error) { return 0, nil }
	_, err = jobs.Periodic(river.NewWorkers(), slog.Default(), jobs.Task{Name: "x", Every: time.Minute, Run: run}, jobs.Task{Name: "x", Every: time.Hour, Run: run})
	require.ErrorContains(t, err, "twice")
}
