package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
)

type slowArgs struct{}

func (slowArgs) Kind() string { return "slow" }

// slowWorker runs until its context is cancelled.
type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started chan struct{}
}

func (w slowWorker) Work(ctx context.Context, _ *river.Job[slowArgs]) error {
	close(w.started)
	<-ctx.Done()
	return ctx.Err()
}

// TestStopCancelsWhatStillRuns: a job still running when Stop's context
// ends is cancelled and Stop says so (ErrCancelled), the client stops,
// and the job waits in the queue for the next worker. (With nothing
// running Stop is clean: every test that stops a client checks that.)
func TestStopCancelsWhatStillRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		require.NoError(t, jobs.Migrate(ctx, db))
		w := slowWorker{started: make(chan struct{})}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		c, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 10 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		_, err = c.Insert(ctx, slowArgs{}, nil)
		require.NoError(t, err)
		select {
		case <-w.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the job never started")
		}
		stop, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, jobs.Stop(stop, c), jobs.ErrCancelled)
		var state string
		require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT state FROM river_job WHERE kind = 'slow'").Scan(&state))
		require.Contains(t, []string{"retryable", "available"}, state, "the job is retried, not lost")

	})
}

type stubbornArgs struct{}

func (stubbornArgs) Kind() string { return "stubborn" }

// stubbornWorker ignores its context until released, as a long image
// encode does.
type stubbornWorker struct {
	river.WorkerDefaults[stubbornArgs]
	started, release chan struct{}
}

func (w stubbornWorker) Work(context.Context, *river.Job[stubbornArgs]) error {
	close(w.started)
	<-w.release
	return nil
}

// TestStopAbandonsWhatIgnoresCancellation: a job that ignores its
// cancellation does not hold the shutdown; Stop says it was abandoned
// (ErrAbandoned), and its row stays running for River's rescuer.
func TestStopAbandonsWhatIgnoresCancellation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		require.NoError(t, jobs.Migrate(ctx, db))
		w := stubbornWorker{started: make(chan struct{}), release: make(chan struct{})}
		defer close(w.release)
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		c, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 10 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		_, err = c.Insert(ctx, stubbornArgs{}, nil)
		require.NoError(t, err)
		select {
		case <-w.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the job never started")
		}
		stop, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, jobs.StopAbandoningAfter(stop, c, 200*time.Millisecond), jobs.ErrAbandoned)
		var state string
		require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT state FROM river_job WHERE kind = 'stubborn'").Scan(&state))
		require.Equal(t, "running", state, "left for the rescuer, not lost")
	})
}
