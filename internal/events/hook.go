package events

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Register adds hooks to client that publish on bus the orders a write
// changes: the order itself, its events, its payments. A transaction
// publishes one event per order it changed, whatever rows it wrote,
// after it commits (nothing for a rolled-back one): CREATED if it created
// the order, else UPDATED, in the order the transaction first touched
// them. Transactions publish in the order they commit (within a process).
// A write outside a transaction publishes right after it. A failed
// publish is logged, never returned: the change is committed by then.
func Register(client *ent.Client, bus Bus, log *slog.Logger) {
	p := &publisher{bus: bus, log: log}
	client.Order.Use(func(next ent.Mutator) ent.Mutator {
		return hook.OrderFunc(func(ctx context.Context, m *ent.OrderMutation) (ent.Value, error) {
			var ids []int
			if !m.Op().Is(ent.OpCreate) {
				var err error
				if ids, err = m.IDs(viewer.System(ctx, "events: find the rows a write changes")); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			typ := Updated
			if m.Op().Is(ent.OpCreate) {
				typ = Created
				if id, ok := m.ID(); ok {
					ids = []int{id}
				}
			}
			p.after(ctx, m.Tx, typ, ids)
			return v, nil
		})
	})
	client.OrderEvent.Use(func(next ent.Mutator) ent.Mutator {
		return hook.OrderEventFunc(func(ctx context.Context, m *ent.OrderEventMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			if id, ok := m.OrderID(); ok {
				p.after(ctx, m.Tx, Updated, []int{id})
			}
			return v, nil
		})
	})
	client.Payment.Use(func(next ent.Mutator) ent.Mutator {
		return hook.PaymentFunc(func(ctx context.Context, m *ent.PaymentMutation) (ent.Value, error) {
			_, statusSet := m.Status()
			var payments []int
			if statusSet && !m.Op().Is(ent.OpCreate) {
				var err error
				if payments, err = m.IDs(viewer.System(ctx, "events: find the payments a write changes")); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			if id, ok := m.OrderID(); ok && m.Op().Is(ent.OpCreate) {
				p.after(ctx, m.Tx, Updated, []int{id})
			} else if len(payments) > 0 {
				// A status change names the payment, not its order.
				sys := viewer.System(ctx, "events: find a payment's order")
				ids, err := m.Client().Payment.Query().Where(payment.IDIn(payments...)).QueryOrder().IDs(sys)
				if err != nil {
					return nil, err
				}
				p.after(ctx, m.Tx, Updated, ids)
			}
			return v, nil
		})
	})
}

type publisher struct {
	bus Bus
	log *slog.Logger
	// commits is held from a transaction's commit to the end of its
	// publish, so transactions publish in commit order.
	commits sync.Mutex
}

// changes are the orders one transaction changed, in the order it first
// touched them.
type changes struct {
	tx    *ent.Tx
	ids   []int
	types map[int]Type
}

func (c *changes) add(typ Type, ids []int) {
	for _, id := range ids {
		if prev, seen := c.types[id]; !seen {
			c.ids = append(c.ids, id)
			c.types[id] = typ
		} else if prev != Created {
			c.types[id] = typ // created in this transaction: CREATED wins
		}
	}
}

// changesKey carries a committing transaction's changes from the first of
// its commit hooks (outermost) through the others.
type changesKey struct{}

// after publishes ids once tx (if any) commits. Every write in a
// transaction adds a commit hook; at commit, the outermost (the first
// write's) collects what the others add and publishes it all, once the
// commit succeeded.
func (p *publisher) after(ctx context.Context, txOf func() (*ent.Tx, error), typ Type, ids []int) {
	if len(ids) == 0 {
		return
	}
	// The publish outlives the request: a committed change is announced
	// even if the client has gone.
	pubCtx := context.WithoutCancel(ctx)
	tx, err := txOf()
	if err != nil { // not in a transaction: the write is done
		c := &changes{types: map[int]Type{}}
		c.add(typ, ids)
		p.publish(pubCtx, c)
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if c, ok := ctx.Value(changesKey{}).(*changes); ok && c.tx == tx {
				c.add(typ, ids)
				return next.Commit(ctx, tx)
			}
			c := &changes{tx: tx, types: map[int]Type{}}
			c.add(typ, ids)
			p.commits.Lock()
			defer p.commits.Unlock()
			if err := next.Commit(context.WithValue(ctx, changesKey{}, c), tx); err != nil {
				return err
			}
			p.publish(pubCtx, c)
			return nil
		})
	})
}

// publishTimeout bounds one publish: commits wait for the one before
// them to be published, and a bus that is down must not hold them long.
const publishTimeout = time.Second

func (p *publisher) publish(ctx context.Context, c *changes) {
	for _, id := range c.ids {
		ctx, cancel := context.WithTimeout(ctx, publishTimeout)
		err := p.bus.Publish(ctx, Event{OrderID: id, Type: c.types[id]})
		cancel()
		if err != nil {
			p.log.Warn("order event not published", "order", id, "err", err)
		}
	}
}
