package graph

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/savannah-commerce/savannah/internal/events"
)

// subscriptionMetrics measures how order events reach subscribers: the
// fan-out latency, from an event's publication (events.Event.At, on
// whichever replica published it) to the moment a subscription hands the
// order to gqlgen, and the events the bus dropped for subscribers whose
// queues were full. A nil one records nothing.
type subscriptionMetrics struct {
	fanout prometheus.Histogram
}

// droppedCounter is a bus that counts its drops (events.Local, events.Redis).
type droppedCounter interface{ Dropped() uint64 }

// newSubscriptionMetrics registers the metrics with reg.
func newSubscriptionMetrics(reg prometheus.Registerer, bus events.Bus) *subscriptionMetrics {
	m := &subscriptionMetrics{fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "savannah_subscription_fanout_seconds",
		Help:    "Time from an order event's publication to its order being handed to a GraphQL subscription, per subscription.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})}
	reg.MustRegister(m.fanout)
	if d, ok := bus.(droppedCounter); ok {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "savannah_subscription_events_dropped_total",
			Help: "Order events dropped for a subscriber whose queue was full (it catches up on the order's next event).",
		}, func() float64 { return float64(d.Dropped()) }))
	}
	return m
}

// delivered records e handed to one subscription.
func (m *subscriptionMetrics) delivered(e events.Event) {
	if m == nil || e.At.IsZero() {
		return
	}
	m.fanout.Observe(time.Since(e.At).Seconds())
}
