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
		var total int
		require.NoError(t, db.SQL.QueryRow(`SELECT count(*) FROM river_job`).Scan(&total))
		require.Equal(t, 1, total, "the rolled-back job never existed")
		require.Empty(t, w.done)
	})
}

func TestUnsupportedDialect(t *testing.T) {
	_, err := jobs.New(&database.DB{Dialect: "mysql"}, jobs.Config{})
	require.ErrorContains(t, err, "mysql")
	require.ErrorContains(t, jobs.Migrate(context.Background(), &database.DB{Dialect: "mysql"}), "mysql")
}
