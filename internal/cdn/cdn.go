// Package cdn tags cacheable answers with the entities they show and
// purges exactly those tags from a CDN when the entities change.
//
// Tags are the global IDs clients see (graph/scalar), plus CatalogTag on
// every tagged answer so that one purge can drop the whole catalogue.
// Hooks on the ent client (Register) react to every write of a product,
// variant or category: in the write's own transaction they insert one
// River job (PurgeArgs) naming the IDs written, with InsertTx. A write
// that rolls back (to a savepoint too) therefore purges nothing, and a
// committed one always has its purge queued, whatever crashes afterwards.
// The Worker sends each job to the CDN's purge API, retried by River until
// the CDN accepts it.
//
// The hooks are registered at run time, like the notification outbox's,
// because they need the River client.
package cdn

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// CatalogTag is on every tagged answer: purging it drops them all.
const CatalogTag = "catalog"

// PurgeArgs is the job that purges tags from the CDN.
type PurgeArgs struct {
	Tags []string `json:"tags"`
}

// Kind implements river.JobArgs.
func (PurgeArgs) Kind() string { return "cdn_purge" }

// Inserter enqueues jobs, in a transaction or not; *jobs.Client is one.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// DefaultMaxAttempts gives a purge about a day of River's retries.
const DefaultMaxAttempts = 20

// Purger enqueues purges of what catalogue writes change.
type Purger struct {
	jobs        Inserter
	maxAttempts int
}

// NewPurger returns a Purger enqueueing with jobs; maxAttempts zero means
// DefaultMaxAttempts.
func NewPurger(jobs Inserter, maxAttempts int) *Purger {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return &Purger{jobs: jobs, maxAttempts: maxAttempts}
}

// Register adds the purge hooks to client. Call it once, where the client
// is built, and only when a CDN purge endpoint is configured.
func (p *Purger) Register(client *ent.Client) {
	client.Product.Use(p.hook)
	client.ProductVariant.Use(p.hook)
	client.Category.Use(p.hook)
}

type idsMutation interface {
	IDs(context.Context) ([]int, error)
	ID() (int, bool)
}

// hook enqueues, after a successful write, a purge of the rows written
// (before and after, for a variant moved to another product): a variant
// write also purges its product, whose answers show the variant's price
// and stock.
func (p *Purger) hook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		im, ok := m.(idsMutation)
		if !ok {
			return next.Mutate(ctx, m)
		}
		sys := viewer.SystemContext(ctx)
		var ids []int
		if !m.Op().Is(ent.OpCreate) {
			before, err := im.IDs(sys)
			if err != nil {
				return nil, fmt.Errorf("cdn: rows written: %w", err)
			}
			ids = before
			if vm, ok := m.(*ent.ProductVariantMutation); ok && len(before) > 0 {
				products, err := vm.Client().ProductVariant.Query().Where(productvariant.IDIn(before...)).
					Select(productvariant.FieldProductID).Ints(sys)
				if err != nil {
					return nil, fmt.Errorf("cdn: products of variants written: %w", err)
				}
				ids = append(ids, products...)
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		if id, ok := im.ID(); ok {
			ids = append(ids, id)
		}
		if vm, ok := m.(*ent.ProductVariantMutation); ok {
			if pid, ok := vm.ProductID(); ok {
				ids = append(ids, pid)
			}
		}
		if err := p.enqueue(ctx, m, ids); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// enqueue inserts one purge job for ids in the transaction ctx runs in. In
// an ent transaction opened without database.InTx it inserts once that
// commits; outside any transaction, at once (the write is committed).
func (p *Purger) enqueue(ctx context.Context, m ent.Mutation, ids []int) error {
	tags := tagsOf(ids)
	if len(tags) == 0 {
		return nil
	}
	params := []river.InsertManyParams{{Args: PurgeArgs{Tags: tags}, InsertOpts: &river.InsertOpts{MaxAttempts: p.maxAttempts}}}
	if tx, err := database.SQLTx(ctx); err == nil {
		if _, err := p.jobs.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("cdn: enqueue purge: %w", err)
		}
		return nil
	}
	if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
		if tx, err := txm.Tx(); err == nil {
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					if err := next.Commit(ctx, tx); err != nil {
						return err
					}
					if _, err := p.jobs.InsertMany(context.WithoutCancel(ctx), params); err != nil {
						return fmt.Errorf("cdn: enqueue purge: %w", err)
					}
					return nil
				})
			})
			return nil
		}
	}
	if _, err := p.jobs.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("cdn: enqueue purge: %w", err)
	}
	return nil
}

// tagsOf returns the distinct global IDs of ids, in order.
func tagsOf(ids []int) []string {
	seen := make(map[int]bool, len(ids))
	var tags []string
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			tags = append(tags, scalar.EncodeID(id))
		}
	}
	return tags
}
