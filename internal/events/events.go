// Package events carries order changes to GraphQL subscriptions: a
// publish/subscribe Bus (in-process, or Redis pub/sub so that a change on
// one replica reaches subscribers on every replica) and ent hooks that
// publish each change only once its transaction has committed.
//
// Events carry only the order's ID and what happened: subscribers reload
// the order under their own viewer, so privacy rules apply to what they
// see and a lost or duplicated event costs nothing but a reload. The bus
// routes an event only to the subscriptions that watch its order (and to
// those that watch every order), and the subscribers of one event who
// see orders alike share one load of it (Share, OrderScope).
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
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
	// At is when the change was published (on the publishing replica):
	// the fan-out latency metric measures from it.
	At time.Time `json:"at"`
	// Seq identifies one delivery of the event in this process (each
	// Local.Publish numbers its events); zero in an event not delivered
	// by a bus.
	Seq uint64 `json:"-"`

	// shared is what the subscribers of this delivery share (Share).
	shared *shared
}

// Bus publishes order events to the subscribers that watch them.
type Bus interface {
	// Publish sends e to every current subscriber of its order and of
	// every order; it never blocks on a slow one.
	Publish(ctx context.Context, e Event) error
	// Subscribe returns every event published from now until ctx is
	// done, when the channel is closed (the staff feed).
	Subscribe(ctx context.Context) <-chan Event
	// SubscribeOrder returns the events of order id published from now
	// until ctx is done, when the channel is closed.
	SubscribeOrder(ctx context.Context, id int) <-chan Event
	// WatchOrder calls deliver with each event of order id published from
	// now until ctx is done. deliver runs on the publisher's goroutine and
	// must not block: it reports whether it took the event (false counts
	// as a drop). A watch holds no goroutine and no queue of its own, so an
	// idle subscription costs only what deliver's closure holds.
	WatchOrder(ctx context.Context, id int, deliver func(Event) bool)
}

// Buffer is the queue of a subscriber to every order: one further behind
// than this loses events rather than stalling publishers (it reloads on
// the next).
const Buffer = 64

// OrderBuffer is the queue of a subscriber to one order. One order
// changes a few times a minute at most, and a subscription is one per
// socket (thousands per process), so it is small; an event lost to a
// full queue costs nothing but staleness until the next, which reloads
// the whole order.
const OrderBuffer = 4

// Local is an in-process Bus: fan-out over buffered channels, indexed by
// order, so that a publish costs its order's subscribers and the
// every-order ones, not every subscriber. A subscription holds no
// goroutine: context.AfterFunc unsubscribes it when its context ends.
type Local struct {
	mu      sync.Mutex
	all     map[chan Event]struct{}
	byOrder map[int]map[*watch]struct{}
	n       int // subscribers, both kinds
	seq     uint64
	dropped atomic.Uint64
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local {
	return &Local{all: map[chan Event]struct{}{}, byOrder: map[int]map[*watch]struct{}{}}
}

// Publish implements Bus. An event without At is stamped now.
func (l *Local) Publish(_ context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	watchers := l.byOrder[e.OrderID]
	if len(watchers) == 0 && len(l.all) == 0 {
		return nil
	}
	l.seq++
	e.Seq = l.seq
	e.shared = &shared{}
	for w := range watchers {
		if !w.deliver(e) {
			l.dropped.Add(1)
		}
	}
	for ch := range l.all {
		l.send(ch, e)
	}
	return nil
}

func (l *Local) send(ch chan Event, e Event) {
	select {
	case ch <- e:
	default: // full: drop for this subscriber only
		l.dropped.Add(1)
	}
}

// Subscribe implements Bus.
func (l *Local) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, Buffer)
	l.mu.Lock()
	l.all[ch] = struct{}{}
	l.n++
	l.mu.Unlock()
	l.unsubscribeWhenDone(ctx, ch, func() { delete(l.all, ch) })
	return ch
}

// SubscribeOrder implements Bus: a WatchOrder whose deliver queues on a
// channel of OrderBuffer events.
func (l *Local) SubscribeOrder(ctx context.Context, id int) <-chan Event {
	ch := make(chan Event, OrderBuffer)
	var closed bool // under l.mu, as deliver runs under it too
	l.watch(ctx, id, func(e Event) bool {
		if closed {
			return true
		}
		select {
		case ch <- e:
			return true
		default: // full: drop for this subscriber only
			return false
		}
	}, func() { closed = true; close(ch) })
	return ch
}

// watch is one WatchOrder: deliver is called under l.mu.
type watch struct {
	deliver func(Event) bool
}

// WatchOrder implements Bus.
func (l *Local) WatchOrder(ctx context.Context, id int, deliver func(Event) bool) {
	l.watch(ctx, id, deliver, nil)
}

// watch indexes deliver under order id until ctx is done, then removes it
// and (under the lock, so no publish runs at the same time) calls ended.
func (l *Local) watch(ctx context.Context, id int, deliver func(Event) bool, ended func()) {
	w := &watch{deliver: deliver}
	l.mu.Lock()
	set := l.byOrder[id]
	if set == nil {
		set = map[*watch]struct{}{}
		l.byOrder[id] = set
	}
	set[w] = struct{}{}
	l.n++
	l.mu.Unlock()
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(set, w)
		if len(set) == 0 { // set is still l.byOrder[id]: it leaves only once empty
			delete(l.byOrder, id)
		}
		l.n--
		if ended != nil {
			ended()
		}
	})
}

// unsubscribeWhenDone removes ch (by remove, under the lock) and closes it
// once ctx is done: under the lock, so Publish never sends on a closed
// channel.
func (l *Local) unsubscribeWhenDone(ctx context.Context, ch chan Event, remove func()) {
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		remove()
		l.n--
		close(ch)
		l.mu.Unlock()
	})
}

// Subscribers counts the current subscribers (for metrics and for tests
// that must know a subscription is live before changing an order).
func (l *Local) Subscribers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Watched counts the orders that have at least one subscriber of their
// own.
func (l *Local) Watched() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byOrder)
}

// Dropped counts the events lost to full subscriber queues since the bus
// started.
func (l *Local) Dropped() uint64 { return l.dropped.Load() }

// ShareTimeout bounds a shared load, which no one subscriber's
// cancellation stops.
const ShareTimeout = 30 * time.Second

// shared is what the subscribers of one delivered event share: one load
// per scope. Thousands of subscribers look it up at once, so it is a
// sync.Map (lookups take no lock).
type shared struct {
	loads sync.Map // scope → *load
}

type load struct {
	done chan struct{}
	v    any
	err  error
}

// Share returns what load returns for e and scope, running it once for
// every subscriber that receives this delivery of e and asks with the
// same scope (a key naming who may see what the load reads: OrderScope):
// the first caller's load runs, on a goroutine of its own and past the
// caller's cancellation (ctx's values, such as the viewer, are kept: load
// runs as that caller; ShareTimeout bounds it), and every caller waits for
// it until its own ctx is done. Callers that share a key share a T: a key
// names the kind of load too (the feed's and a watcher's differ). An event not delivered by a bus shares nothing: load runs for
// each caller.
//
// Unlike a singleflight, which merges only calls that overlap in time,
// this holds the result for as long as the delivery is referenced, so a
// subscriber that reads the event late still finds it.
func Share[T any](ctx context.Context, e Event, scope string, fn func(ctx context.Context) (T, error)) (T, error) {
	if e.shared == nil {
		return fn(ctx)
	}
	s := e.shared
	found, ok := s.loads.Load(scope)
	if !ok {
		found, ok = s.loads.LoadOrStore(scope, &load{done: make(chan struct{})})
	}
	l := found.(*load)
	if !ok {
		go func() {
			defer close(l.done)
			loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShareTimeout)
			defer cancel()
			l.v, l.err = fn(loadCtx)
		}()
	}
	var zero T
	select {
	case <-l.done:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if l.err != nil {
		return zero, l.err
	}
	v, ok := l.v.(T)
	if !ok {
		return zero, fmt.Errorf("events: scope %q shared a %T", scope, l.v)
	}
	return v, nil
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
