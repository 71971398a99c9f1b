// Package cdn tags cacheable answers with the entities they show and
// purges exactly those tags from a CDN when the entities change.
//
// Tags are the global IDs clients see (graph/scalar), plus CatalogTag on
// every tagged answer so that one purge can drop the whole catalogue.
// Hooks on the ent client (Register) react to every write of a product,
// variant or category and collect the IDs written; just before the
// transaction commits, one River job (PurgeArgs) naming them all is
// inserted in it, with InsertTx. A transaction that rolls back therefore
// purges nothing, and a committed one always has its purge queued,
// whatever crashes afterwards.
// The Worker sends each job to the CDN's purge API, retried by River until
// the CDN accepts it.
//
// The hooks are registered at run time, like the notification outbox's,
// because they need the River client.
package cdn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/globalid"
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
	// pending holds, per open transaction, the tags its writes purge.
	mu      sync.Mutex
	pending map[*sql.Tx]map[string]bool
}

// NewPurger returns a Purger enqueueing with jobs; maxAttempts zero means
// DefaultMaxAttempts.
func NewPurger(jobs Inserter, maxAttempts int) *Purger {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return &Purger{jobs: jobs, maxAttempts: maxAttempts, pending: map[*sql.Tx]map[string]bool{}}
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
		sys := viewer.System(ctx, "cdn: find the rows a write purges")
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

// enqueue purges tags once the write is durable. In a transaction opened
// by database.InTx (or TxOpener: every GraphQL mutation's) it collects the
// tags of all the transaction's writes and inserts one job for them all,
// with InsertTx, just before the commit; a rollback drops them. A write
// undone by a rollback to a savepoint keeps its tags: the purge is of a
// little more, never less. In an ent transaction opened otherwise it
// inserts once that commits; outside any transaction, at once.
func (p *Purger) enqueue(ctx context.Context, m ent.Mutation, ids []int) error {
	tags := tagsOf(ids)
	if len(tags) == 0 {
		return nil
	}
	txm, ok := m.(interface{ Tx() (*ent.Tx, error) })
	if !ok {
		return p.insert(ctx, nil, tags)
	}
	tx, err := txm.Tx()
	if err != nil { // not in a transaction: the write is committed
		return p.insert(ctx, nil, tags)
	}
	sqlTx, err := database.SQLTx(ctx)
	if err != nil {
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				if err := next.Commit(ctx, tx); err != nil {
					return err
				}
				return p.insert(context.WithoutCancel(ctx), nil, tags)
			})
		})
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pending, ok := p.pending[sqlTx]
	if !ok {
		pending = map[string]bool{}
		p.pending[sqlTx] = pending
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				if tags := p.take(sqlTx); len(tags) > 0 {
					if err := p.insert(ctx, sqlTx, tags); err != nil {
						return errors.Join(err, tx.Rollback())
					}
				}
				return next.Commit(ctx, tx)
			})
		})
		tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
			return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
				p.take(sqlTx)
				return next.Rollback(ctx, tx)
			})
		})
	}
	for _, t := range tags {
		pending[t] = true
	}
	return nil
}

// take removes and returns, sorted, the tags collected for tx.
func (p *Purger) take(tx *sql.Tx) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	tags := slices.Sorted(maps.Keys(p.pending[tx]))
	delete(p.pending, tx)
	return tags
}

// insert inserts one purge job for tags, in tx unless it is nil.
func (p *Purger) insert(ctx context.Context, tx *sql.Tx, tags []string) error {
	params := []river.InsertManyParams{{Args: PurgeArgs{Tags: tags}, InsertOpts: &river.InsertOpts{MaxAttempts: p.maxAttempts}}}
	var err error
	if tx != nil {
		_, err = p.jobs.InsertManyTx(ctx, tx, params)
	} else {
		_, err = p.jobs.InsertMany(ctx, params)
	}
	if err != nil {
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
			tags = append(tags, globalid.Encode(id))
		}
	}
	return tags
}
