package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/onetimesecret"
	"github.com/savannah-commerce/savannah/internal/app/apptest"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/jobs/jobstest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestPurgeSecrets: the worker's purge_secrets periodic task, run by
// River as a worker runs it, deletes the one-time secrets nothing can
// redeem (used, replaced or expired) and keeps the live one.
func TestPurgeSecrets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		svc := apptest.New(t, apptest.Config(t, db))
		ctx := viewer.System(context.Background(), "test: set up")
		now := time.Now()
		secret := func(target string, expires time.Time, used *time.Time) *ent.OneTimeSecret {
			return svc.Client.OneTimeSecret.Create().
				SetPurpose(onetimesecret.PurposePASSWORD_RESET).SetTarget(target).
				SetSalt("salt").SetHash("hash").SetExpiresAt(expires).SetNillableUsedAt(used).
				SaveX(ctx)
		}
		earlier := now.Add(-time.Minute)
		live := secret("live@example.com", now.Add(time.Hour), nil)
		secret("used@example.com", now.Add(time.Hour), &earlier)
		secret("expired@example.com", now.Add(-time.Second), nil)
		secret("both@example.com", now.Add(-time.Hour), &earlier)

		workers := river.NewWorkers()
		schedule, err := jobs.Periodic(workers, slog.New(slog.NewTextHandler(io.Discard, nil)), authTasks(svc.Auth)...)
		require.NoError(t, err)
		c, err := jobs.New(db, jobs.Config{Workers: workers, PeriodicJobs: schedule, PollInterval: 10 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, c.Start(context.Background()))
		require.Eventually(t, func() bool {
			return jobstest.States(t, c, "periodic_task")[rivertype.JobStateCompleted] == 1
		}, 30*time.Second, 10*time.Millisecond, "the purge runs when the worker starts")
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(stopCtx, c))

		left, err := svc.Client.OneTimeSecret.Query().IDs(ctx)
		require.NoError(t, err)
		require.Equal(t, []int{live.ID}, left, "only the live secret is kept")

		// Run again: nothing more to delete, the live secret stays.
		n, err := svc.Auth.PurgeSecrets(context.Background(), now)
		require.NoError(t, err)
		require.Zero(t, n)
		// Once it expires, it goes too.
		n, err = svc.Auth.PurgeSecrets(context.Background(), now.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}
