package events

import (
	"context"
	"log/slog"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Register adds hooks to client that publish on bus every order created or
// updated, every order event written and every payment changed — after
// the transaction commits (nothing for a rolled-back one), or right after
// the write outside a transaction. A failed publish is logged, never
// returned: the change is committed by then.
func Register(client *ent.Client, bus Bus, log *slog.Logger) {
	p := publisher{bus: bus, log: log}
	client.Order.Use(func(next ent.Mutator) ent.Mutator {
		return hook.OrderFunc(func(ctx context.Context, m *ent.OrderMutation) (ent.Value, error) {
			var ids []int
			if !m.Op().Is(ent.OpCreate) {
				var err error
				if ids, err = m.IDs(viewer.SystemContext(ctx)); err != nil {
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
				if payments, err = m.IDs(viewer.SystemContext(ctx)); err != nil {
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
				sys := viewer.SystemContext(ctx)
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
}

// after publishes once tx (if any) commits.
func (p publisher) after(ctx context.Context, txOf func() (*ent.Tx, error), typ Type, ids []int) {
	if len(ids) == 0 {
		return
	}
	// The publish outlives the request: a committed change is announced
	// even if the client has gone.
	pubCtx := context.WithoutCancel(ctx)
	publish := func() {
		for _, id := range ids {
			if err := p.bus.Publish(pubCtx, Event{OrderID: id, Type: typ}); err != nil {
				p.log.Warn("order event not published", "order", id, "err", err)
			}
		}
	}
	tx, err := txOf()
	if err != nil { // not in a transaction: the write is done
		publish()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			publish()
			return nil
		})
	})
}
