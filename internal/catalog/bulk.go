package catalog

import (
	"context"
	"sync"

	"github.com/savannah-commerce/savannah/ent"
)

// beforeCommit gathers one bulk import transaction's deferred work (a T:
// the count changes, the products to index) and applies it once, just
// before the transaction commits; a rollback drops it. BulkCounts and
// BulkIndex each put one in the import's context.
type beforeCommit[T any] struct {
	mu     sync.Mutex
	hooked bool
	v      T
}

// add merges into the gathered work under the lock and, on the first
// call for tx, hooks apply into its commit.
func (b *beforeCommit[T]) add(tx *ent.Tx, merge func(*T), apply func(context.Context, *ent.Tx, T) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	merge(&b.v)
	if b.hooked {
		return
	}
	b.hooked = true
	take := func() T {
		b.mu.Lock()
		defer b.mu.Unlock()
		v := b.v
		var zero T
		b.v, b.hooked = zero, false
		return v
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := apply(ctx, tx, take()); err != nil {
				return err
			}
			return next.Commit(ctx, tx)
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			take()
			return next.Rollback(ctx, tx)
		})
	})
}
