// Package jobs runs Savannah's background jobs with River, on the same
// database as the store: River's tables are migrated next to ours, and a
// job is inserted in the transaction of the change that caused it
// (Client.InsertTx with database.SQLTx), so it exists exactly when that
// change committed.
//
// PostgreSQL goes through riverdatabasesql over lib/pq, which cannot
// LISTEN, so the client polls for new jobs every Config.PollInterval.
// SQLite goes through riversqlite over the store's single connection: every
// River query then waits for that connection, which is why the store keeps
// its transactions short and never uses the pool inside one.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/savannah-commerce/savannah/internal/database"
)

// Client is the River client of the store: its transactions are
// database/sql's, on both databases.
type Client = river.Client[*sql.Tx]

// DefaultPollInterval is how often a client looks for new jobs when
// Config.PollInterval is zero: short, because lib/pq gives River no
// notifications, and a placed order's SMS should not wait a second.
const DefaultPollInterval = 200 * time.Millisecond

// Config configures a Client.
type Config struct {
	// Workers are the job kinds this client runs. Nil makes an insert-only
	// client (it can enqueue but not Start).
	Workers *river.Workers
	// PeriodicJobs are scheduled by the client elected leader (see
	// Periodic); they need Workers.
	PeriodicJobs []*river.PeriodicJob
	// PollInterval is how often to look for new jobs; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// MaxWorkers is how many jobs run at once; zero means 4. On SQLite they
	// share the one connection, so more buys little.
	MaxWorkers int
	// Logger receives River's own log lines.
	Logger *slog.Logger
}

// Driver returns River's driver for db's dialect (tests pass it to
// rivertest's helpers).
func Driver(db *database.DB) (riverdriver.Driver[*sql.Tx], error) {
	switch db.Dialect {
	case dialect.Postgres:
		return riverdatabasesql.New(db.SQL), nil
	case dialect.SQLite:
		return riversqlite.New(db.SQL), nil
	default:
		return nil, fmt.Errorf("jobs: unsupported dialect %q", db.Dialect)
	}
}

// Migrate brings River's own tables (river_job and friends, tracked in
// river_migration, apart from the store's schema_migrations) up to date.
// It is idempotent, and runs wherever the store's migrations run.
func Migrate(ctx context.Context, db *database.DB) error {
	drv, err := Driver(db)
	if err != nil {
		return err
	}
	m, err := rivermigrate.New(drv, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// New returns a River client over db. Start it to run jobs; Stop it to stop
// fetching and let running jobs finish.
func New(db *database.DB, cfg Config) (*Client, error) {
	drv, err := Driver(db)
	if err != nil {
		return nil, err
	}
	rc := &river.Config{
		FetchPollInterval: cfg.PollInterval,
		Logger:            cfg.Logger,
		Workers:           cfg.Workers,
		PeriodicJobs:      cfg.PeriodicJobs,
	}
	if rc.FetchPollInterval <= 0 {
		rc.FetchPollInterval = DefaultPollInterval
	}
	// River's default cooldown (100ms) must not exceed the poll interval.
	rc.FetchCooldown = min(rc.FetchPollInterval, 100*time.Millisecond)
	if cfg.Workers != nil {
		n := cfg.MaxWorkers
		if n <= 0 {
			n = 4
		}
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
	}
	c, err := river.NewClient(drv, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return c, nil
}

// ErrCancelled: Stop cancelled jobs that were still running when its
// context ended. Nothing is lost (River retries them on the next worker),
// so a caller shutting down reports it rather than failing.
var ErrCancelled = errors.New("jobs: running jobs were cancelled at stop and will be retried")

// ErrAbandoned: jobs still running at Stop ignored their cancellation for
// a few seconds more (a long encode, say) and were left behind. Nothing is
// lost either: their rows stay running and River's rescuer makes them
// retryable after RescueStuckJobsAfter (an hour by default); the process
// may exit.
var ErrAbandoned = errors.New("jobs: running jobs ignored cancellation at stop and were abandoned; River rescues them later")

// Stop stops c gracefully: it stops fetching, lets running jobs finish
// until ctx ends, and then cancels what still runs (ErrCancelled: their
// jobs are retried later, so nothing is lost). Jobs that ignore the
// cancellation for abandonAfter more are left behind (ErrAbandoned).
// Any other error means the client did not stop.
func Stop(ctx context.Context, c *Client) error {
	return stop(ctx, c, 5*time.Second)
}

func stop(ctx context.Context, c *Client, abandonAfter time.Duration) error {
	err := c.Stop(ctx)
	if err == nil {
		return nil
	}
	hard, cancel := context.WithTimeout(context.Background(), abandonAfter)
	defer cancel()
	switch herr := c.StopAndCancel(hard); {
	case herr == nil:
		return ErrCancelled
	case errors.Is(herr, context.DeadlineExceeded) && hard.Err() != nil:
		return ErrAbandoned
	default:
		return errors.Join(fmt.Errorf("jobs: graceful stop: %w", err), herr)
	}
}
