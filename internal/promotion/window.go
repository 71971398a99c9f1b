package promotion

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/database"
)

// Inserter enqueues a job in a transaction; *jobs.Client is one.
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// WindowArgs is the job that runs at one of a promotion's window
// boundaries (scheduled at starts_at and at ends_at): it recomputes the
// catalogue's sale prices (Resale), so a sale starts and ends on time on
// every replica. It carries the boundary only for logs and uniqueness;
// the work looks at every promotion, so a moved window's stale job does
// no harm.
type WindowArgs struct {
	PromotionID int       `json:"promotion_id"`
	At          time.Time `json:"at"`
}

// Kind implements river.JobArgs.
func (WindowArgs) Kind() string { return "promotion_window" }

// WindowWorker runs WindowArgs jobs.
type WindowWorker struct {
	river.WorkerDefaults[WindowArgs]
	client  *ent.Client
	dialect string
	now     func() time.Time
}

// NewWindowWorker returns the worker of window jobs over client, on a
// database of dialect d, with now as the clock (nil: time.Now).
func NewWindowWorker(client *ent.Client, d string, now func() time.Time) *WindowWorker {
	if now == nil {
		now = time.Now
	}
	return &WindowWorker{client: client, dialect: d, now: now}
}

// Work implements river.Worker: Resale of every product, in one
// transaction.
func (w *WindowWorker) Work(ctx context.Context, _ *river.Job[WindowArgs]) error {
	return database.InTx(ctx, w.client, func(ctx context.Context) error {
		_, err := Resale(ctx, ent.FromContext(ctx), w.dialect, w.now())
		return err
	})
}

// schedule enqueues, in the transaction in ctx, the window jobs of p's
// boundaries still ahead of now.
func (s *Service) schedule(ctx context.Context, p *ent.Promotion) error {
	if s.jobs == nil {
		return nil
	}
	now := s.now()
	for _, at := range []*time.Time{p.StartsAt, p.EndsAt} {
		if at == nil || !at.After(now) {
			continue
		}
		tx, err := database.SQLTx(ctx)
		if err != nil {
			return err
		}
		if _, err := s.jobs.InsertTx(ctx, tx, WindowArgs{PromotionID: p.ID, At: *at}, &river.InsertOpts{
			ScheduledAt: *at,
			UniqueOpts:  river.UniqueOpts{ByArgs: true},
		}); err != nil {
			return fmt.Errorf("schedule promotion window: %w", err)
		}
	}
	return nil
}
