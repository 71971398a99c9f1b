package graph

import (
	"context"
	"slices"
	"strings"

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
func (r *Resolver) orderUpdates(ctx context.Context, id int) (<-chan *ent.Order, error) {
	if r.events == nil {
		return nil, notImplemented("orderUpdated")
	}
	// Subscribe before the access check, so no change between the two is
	// missed.
	sub, cancel := context.WithCancel(ctx)
	in := r.events.SubscribeOrder(sub, id)
	o, err := r.checkout.Order(ctx, id)
	if err != nil || o == nil {
		cancel()
		if err != nil {
			return nil, err
		}
		return nil, orderNotFound()
	}
	edges := orderEdges(ctx)
	key := "order|" + events.OrderScope(ctx) + "|" + strings.Join(edges, ",")
	load := func(ctx context.Context) (*ent.Order, error) { return r.orderWithEdges(ctx, id, edges) }
	out := make(chan *ent.Order, 1)
	go func() {
		defer cancel()
		defer close(out)
		for e := range in {
			o, err := events.Share(ctx, e, key, load)
			if err != nil || o == nil {
				if err != nil && ctx.Err() == nil {
					r.log.Warn("orderUpdated: reload failed", "order", id, "err", err)
				}
				return // gone, no longer readable, or the subscriber left: end the stream
			}
			own := *o // shared: gqlgen gets a copy of its own
			select {
			case out <- &own:
				r.subscriptions.delivered(e)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
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
	go func() {
		defer close(out)
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
			select {
			case out <- &model.OrderFeedEvent{Type: typ, Order: &own}:
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
