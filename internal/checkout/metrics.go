package checkout

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/savannah-commerce/savannah/ent"
)

// metrics are checkout's business counters; nil when Config.Metrics is.
type metrics struct {
	ordersPlaced *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		ordersPlaced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_orders_placed_total",
			Help: "Orders placed (committed; idempotent replays not counted), by payment method.",
		}, []string{"payment_method"}),
	}
	reg.MustRegister(m.ordersPlaced)
	return m
}

// afterCommit runs fn once the work ctx runs in has committed: at once
// when that was a transaction of the service's own (already committed
// when this is called), or when the caller's transaction commits, and not
// at all when it rolls back.
func afterCommit(ctx context.Context, fn func()) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		fn()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				fn()
			}
			return err
		})
	})
}
