package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/savannah-commerce/savannah/internal/database"
)

// queueStates are the states of jobs waiting or running, the ones a
// queue-depth alert is about; finished jobs are River's history.
var queueStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStateScheduled,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
}

// DefaultScrapeTimeout bounds the queue-depth query of one scrape: on
// SQLite it waits for the store's one connection, and a scrape must not
// queue behind a long transaction.
const DefaultScrapeTimeout = time.Second

// Metrics are the job queue's: its depth by state and kind, read from
// river_job when Prometheus scrapes, and the outcomes of the jobs a
// client works, counted from River's events.
type Metrics struct {
	db       *database.DB
	timeout  time.Duration
	log      *slog.Logger
	depth    *prometheus.Desc
	depthOK  *prometheus.Desc
	outcomes *prometheus.CounterVec
}

// NewMetrics registers the job metrics with reg. log (may be nil)
// receives a failed depth query.
func NewMetrics(reg prometheus.Registerer, db *database.DB, log *slog.Logger) *Metrics {
	m := &Metrics{
		db:      db,
		timeout: DefaultScrapeTimeout,
		log:     log,
		depth: prometheus.NewDesc("savannah_jobs_queue_depth",
			"Background jobs waiting (available, scheduled, retryable) or running, by state and kind.",
			[]string{"state", "kind"}, nil),
		depthOK: prometheus.NewDesc("savannah_jobs_queue_depth_up",
			"1 when the last scrape could read the queue depth, 0 when the query failed or timed out.",
			nil, nil),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_jobs_outcomes_total",
			Help: "Attempts of background jobs worked by this process, by kind and outcome: completed, retried (failed, will run again), discarded (failed its last attempt), cancelled, snoozed.",
		}, []string{"kind", "outcome"}),
	}
	reg.MustRegister(m, m.outcomes)
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.depth
	ch <- m.depthOK
}

// Collect implements prometheus.Collector: it counts the queue's jobs now.
// Every state of every kind seen is reported, zero included, so that a
// drained queue reads 0 rather than disappearing.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	counts, err := m.queueDepth(ctx)
	if err != nil {
		if m.log != nil {
			m.log.Warn("job queue depth unavailable", slog.Any("err", err))
		}
		ch <- prometheus.MustNewConstMetric(m.depthOK, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(m.depthOK, prometheus.GaugeValue, 1)
	for kind, byState := range counts {
		for _, st := range queueStates {
			ch <- prometheus.MustNewConstMetric(m.depth, prometheus.GaugeValue, float64(byState[st]), string(st), kind)
		}
	}
}

// queueDepth counts the waiting and running jobs by kind and state. The
// query is plain SQL that both databases run the same way.
func (m *Metrics) queueDepth(ctx context.Context) (map[string]map[rivertype.JobState]int, error) {
	rows, err := m.db.SQL.QueryContext(ctx,
		`SELECT kind, state, count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY kind, state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: queue depth: %w", err)
	}
	defer rows.Close()
	out := map[string]map[rivertype.JobState]int{}
	for rows.Next() {
		var kind, state string
		var n int
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return nil, fmt.Errorf("jobs: queue depth: %w", err)
		}
		if out[kind] == nil {
			out[kind] = map[rivertype.JobState]int{}
		}
		out[kind][rivertype.JobState(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: queue depth: %w", err)
	}
	return out, nil
}

// Watch counts the outcomes of the jobs c works, from River's events,
// until c stops. Call it before c.Start, on a client with Workers.
func (m *Metrics) Watch(c *Client) {
	events, _ := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	go func() {
		for ev := range events { // closed when the client stops
			if ev.Job == nil {
				continue
			}
			m.outcomes.WithLabelValues(ev.Job.Kind, outcome(ev)).Inc()
		}
	}()
}

func outcome(ev *river.Event) string {
	switch ev.Kind {
	case river.EventKindJobCompleted:
		return "completed"
	case river.EventKindJobCancelled:
		return "cancelled"
	case river.EventKindJobSnoozed:
		return "snoozed"
	}
	if ev.Job.State == rivertype.JobStateDiscarded {
		return "discarded"
	}
	return "retried"
}

// QueueCheck is the worker's readiness check: River's tables answer on
// the store's database (migrated, reachable).
type QueueCheck struct{ DB *database.DB }

// Ping implements the readiness check.
func (q QueueCheck) Ping(ctx context.Context) error {
	var one int
	err := q.DB.SQL.QueryRowContext(ctx, `SELECT 1 FROM river_job LIMIT 1`).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("jobs: queue: %w", err)
	}
	return nil
}
