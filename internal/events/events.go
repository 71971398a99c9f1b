// Package events carries order changes to GraphQL subscriptions: a
// publish/subscribe Bus (in-process, or Redis pub/sub so that a change on
// one replica reaches subscribers on every replica) and ent hooks that
// publish each change only once its transaction has committed.
//
// Events carry only the order's ID and what happened: subscribers reload
// the order under their own viewer, so privacy rules apply to what they
// see and a lost or duplicated event costs nothing but a reload.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Type says whether an order was created or changed.
type Type string

const (
	// Created is published when an order is placed.
	Created Type = "CREATED"
	// Updated is published when an order, its events or its payments
	// change.
	Updated Type = "UPDATED"
)

// Event is one change to one order.
type Event struct {
	OrderID int  `json:"orderId"`
	Type    Type `json:"type"`
}

// Bus publishes order events to every subscriber.
type Bus interface {
	// Publish sends e to every current subscriber; it never blocks on a
	// slow one.
	Publish(ctx context.Context, e Event) error
	// Subscribe returns the events published from now until ctx is done,
	// when the channel is closed.
	Subscribe(ctx context.Context) <-chan Event
}

// Buffer is each subscriber's queue: a subscriber further behind than this
// loses events rather than stalling publishers (it reloads on the next).
const Buffer = 64

// Local is an in-process Bus: fan-out over buffered channels.
type Local struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{subs: map[chan Event]struct{}{}} }

// Publish implements Bus.
func (l *Local) Publish(_ context.Context, e Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- e:
		default: // full: drop for this subscriber only
		}
	}
	return nil
}

// Subscribe implements Bus.
func (l *Local) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, Buffer)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	go func() {
		<-ctx.Done()
		l.mu.Lock()
		delete(l.subs, ch)
		close(ch) // under the lock: Publish never sends on a closed channel
		l.mu.Unlock()
	}()
	return ch
}

// Subscribers counts the current subscribers (for metrics and for tests
// that must know a subscription is live before changing an order).
func (l *Local) Subscribers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs)
}

func encode(e Event) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("events: encode: %w", err)
	}
	return string(b), nil
}

func decode(s string) (Event, bool) {
	var e Event
	if err := json.Unmarshal([]byte(s), &e); err != nil || e.OrderID == 0 || (e.Type != Created && e.Type != Updated) {
		return Event{}, false
	}
	return e, true
}
