package graph

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/events"
)

// orderNotFound answers an order the viewer may not see as if it did not
// exist, so subscriptions reveal no other customer's order IDs.
func orderNotFound() error {
	return &codedError{code: CodeNotFound, msg: "order not found"}
}

// orderUpdates streams order id on every change published for it. The
// first load, under the subscriber's viewer, decides access: an order the
// viewer cannot read is NOT_FOUND. On each change the order is loaded
// once for all its watchers in this process who see it alike (the same
// events.OrderScope) and select the same of its lines, events and
// payments (preloaded with it); the load runs as the first of them, so
// privacy still applies, and each watcher renders its own selection.
// While the order does not change, the subscription holds no goroutine
// (orderStream).
func (r *Resolver) orderUpdates(ctx context.Context, id int) (<-chan *ent.Order, error) {
	if r.events == nil {
		return nil, notImplemented("orderUpdated")
	}
	edges := orderEdges(ctx)
	sub, cancel := context.WithCancel(ctx)
	s := &orderStream{
		r:       r,
		ctx:     sub,
		cancel:  cancel,
		id:      id,
		key:     "order|" + events.OrderScope(ctx) + "|" + strings.Join(edges, ","),
		load:    func(ctx context.Context) (*ent.Order, error) { return r.orderWithEdges(ctx, id, edges) },
		out:     make(chan *ent.Order, 1),
		running: true, // no pump before the access check below
	}
	// Watch before the access check, so no change between the two is
	// missed: deliver queues it until start.
	r.events.WatchOrder(sub, id, s.deliver)
	context.AfterFunc(sub, s.stop)
	o, err := r.checkout.Order(ctx, id)
	if err != nil || o == nil {
		cancel()
		if err != nil {
			return nil, err
		}
		return nil, orderNotFound()
	}
	s.start(attachDriver(ctx))
	return s.out, nil
}

// orderStream carries one order's events to one subscription. The bus
// calls deliver on the publisher's goroutine; deliver queues the event
// (at most events.OrderBuffer: a subscriber that far behind loses the
// event, and catches up on the next, which reloads the whole order) and
// starts a pump if none runs. The pump loads the order for each queued
// event (events.Share: once per event and scope), hands it to gqlgen, and
// exits when the queue is empty. So an idle subscription costs a few
// hundred bytes, not a goroutine: sockets outnumber changes. Over a
// WebSocket (drv set), the pump also runs the subscription's response for
// each event and writes it (wsDriver), and no goroutine of the socket
// waits on out.
type orderStream struct {
	r      *Resolver
	ctx    context.Context
	cancel context.CancelFunc
	id     int
	key    string
	load   func(context.Context) (*ent.Order, error)
	out    chan *ent.Order

	mu      sync.Mutex
	drv     *wsDriver // set by start
	queue   []events.Event
	running bool // a pump runs, or the stream has not started
	ended   bool // no more events: out is closed, or the running pump closes it
	closed  bool // out is closed
}

// deliver implements the bus's delivery: it never blocks.
func (s *orderStream) deliver(e events.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return true
	}
	if len(s.queue) >= events.OrderBuffer {
		return false
	}
	s.queue = append(s.queue, e)
	if !s.running {
		s.running = true
		go s.pump()
	}
	return true
}

// start lets events flow, those queued since the watch began first, to
// drv when the transport drives the subscription, else to out.
func (s *orderStream) start(drv *wsDriver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drv = drv
	s.running = false
	if s.ended {
		s.closeOut()
		return
	}
	if len(s.queue) > 0 {
		s.running = true
		go s.pump()
	}
}

// stop ends the stream once the subscription's context is done.
func (s *orderStream) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	s.queue = nil
	// A driven subscription ends now, even while its pump still writes
	// (a slow client's write); out is never closed under a pump.
	if !s.running || s.drv != nil {
		s.closeOut()
	}
}

// closeOut closes out once (under s.mu), or ends the driven
// subscription.
func (s *orderStream) closeOut() {
	if !s.closed {
		s.closed = true
		if s.drv != nil {
			s.drv.end()
			return
		}
		close(s.out)
	}
}

// next takes the oldest queued event, or ends the pump (closing out if the
// stream has ended).
func (s *orderStream) next() (events.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || len(s.queue) == 0 {
		s.running = false
		if s.ended {
			s.queue = nil
			s.closeOut()
		}
		return events.Event{}, false
	}
	// Taken from the front in place: the queue keeps its one place for
	// the next event rather than allocate it again (it rarely holds more).
	e := s.queue[0]
	s.queue = append(s.queue[:0], s.queue[1:]...)
	return e, true
}

// pump loads and hands over queued events until none is left.
func (s *orderStream) pump() {
	for {
		e, ok := s.next()
		if !ok {
			return
		}
		if s.drv != nil {
			// Driven: the order is loaded inside the execution, which the
			// subscribers of this event who ask alike share, so those who
			// share it never wait for the load.
			if !s.drv.next(s.ctx, e, func() error { return s.push(e) }) {
				s.cancel() // the subscription no longer runs
				s.mu.Lock()
				s.ended = true
				s.mu.Unlock()
				continue
			}
			s.r.subscriptions.delivered(e)
			continue
		}
		o := s.reload(e)
		if o == nil {
			// Gone, no longer readable, or the subscriber left: end the
			// stream (stop, run by cancel, sees this pump still running;
			// next closes out).
			s.cancel()
			s.mu.Lock()
			s.ended = true
			s.mu.Unlock()
			continue
		}
		own := *o // shared: gqlgen gets a copy of its own
		select {
		case s.out <- &own:
			s.r.subscriptions.delivered(e)
		case <-s.ctx.Done():
		}
	}
}

// reload loads the order for e, once for every watcher of the same scope
// and selection (events.Share); nil when it is gone, no longer readable,
// or could not be read (logged).
func (s *orderStream) reload(e events.Event) *ent.Order {
	o, err := events.Share(s.ctx, e, s.key, s.load)
	if err != nil {
		if s.ctx.Err() == nil {
			s.r.log.Warn("orderUpdated: reload failed", "order", s.id, "err", err)
		}
		return nil
	}
	return o
}

// push reloads the order for e and hands a copy to gqlgen (the shared
// execution of a driven subscription), or answers errEnded.
func (s *orderStream) push(e events.Event) error {
	o := s.reload(e)
	if o == nil {
		if err := s.ctx.Err(); err != nil {
			return err // this subscriber left: the others run their own
		}
		return errEnded
	}
	own := *o
	s.out <- &own
	return nil
}

// orderFeed streams every order change, for orders:read (the field's
// @hasPermission checks it): each event with the order loaded under the
// viewer, once per change for every feed subscriber of the same scope and
// selection of the order's children (as orderUpdates).
func (r *Resolver) orderFeed(ctx context.Context) (<-chan *model.OrderFeedEvent, error) {
	if r.events == nil {
		return nil, notImplemented("orderEvents")
	}
	in := r.events.Subscribe(ctx)
	edges := orderEdges(ctx, "order")
	key := "feed|" + events.OrderScope(ctx) + "|" + strings.Join(edges, ",")
	out := make(chan *model.OrderFeedEvent, 1)
	drv := attachDriver(ctx)
	if drv != nil {
		// Ends the subscription even while the goroutine below still
		// writes to a slow client.
		context.AfterFunc(ctx, drv.end)
	}
	go func() {
		defer func() {
			if drv == nil {
				close(out)
			}
		}()
		for e := range in {
			o, err := events.Share(ctx, e, key, func(ctx context.Context) (*ent.Order, error) {
				return r.orderWithEdges(ctx, e.OrderID, edges)
			})
			if err != nil || o == nil {
				if err != nil && ctx.Err() == nil {
					r.log.Warn("orderEvents: load failed", "order", e.OrderID, "err", err)
				}
				continue
			}
			typ := model.OrderFeedEventTypeUpdated
			if e.Type == events.Created {
				typ = model.OrderFeedEventTypeCreated
			}
			own := *o
			ev := &model.OrderFeedEvent{Type: typ, Order: &own}
			if drv != nil {
				if drv.next(ctx, e, func() error { out <- ev; return nil }) {
					r.subscriptions.delivered(e)
				}
				continue
			}
			select {
			case out <- ev:
				r.subscriptions.delivered(e)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// orderChildren are the edges of an order that a shared load preloads:
// the ones whose read rule follows the order's (events.OrderScope covers
// them). Anything else selected is loaded by each subscriber as itself.
var orderChildren = []string{"lines", "events", "payments"}

// orderEdges lists the order's children that the subscription field of
// ctx selects (under path: the order is the field's value itself, or, for
// the feed, its "order" field), as "field:alias" (ent keeps a preloaded
// edge under the alias gqlgen asks for), sorted: subscriptions that list
// the same share a load.
func orderEdges(ctx context.Context, path ...string) []string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	opCtx := graphql.GetOperationContext(ctx)
	sels := []ast.SelectionSet{fc.Field.Selections}
	for _, name := range path {
		var next []ast.SelectionSet
		for _, sel := range sels {
			for _, f := range graphql.CollectFields(opCtx, sel, nil) {
				if f.Name == name {
					next = append(next, f.Selections)
				}
			}
		}
		sels = next
	}
	var edges []string
	for _, sel := range sels {
		for _, f := range graphql.CollectFields(opCtx, sel, []string{"Order"}) {
			if slices.Contains(orderChildren, f.Name) {
				edges = append(edges, f.Name+":"+f.Alias)
			}
		}
	}
	slices.Sort(edges)
	return slices.Compact(edges)
}

// orderWithEdges loads order id under ctx's viewer (ent privacy decides;
// nil when the viewer may not read it) with the children edges lists.
func (r *Resolver) orderWithEdges(ctx context.Context, id int, edges []string) (*ent.Order, error) {
	q := r.client.Order.Query().Where(order.ID(id))
	for _, e := range edges {
		name, alias, _ := strings.Cut(e, ":")
		switch name {
		case "lines":
			q.WithNamedLines(alias)
		case "events":
			q.WithNamedEvents(alias)
		case "payments":
			q.WithNamedPayments(alias)
		}
	}
	o, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return o, err
}
