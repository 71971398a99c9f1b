package graph

import (
	"context"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/events"
)

// orderNotFound answers an order the viewer may not see as if it did not
// exist, so subscriptions reveal no other customer's order IDs.
func orderNotFound() error {
	return &codedError{code: CodeNotFound, msg: "order not found"}
}

// orderUpdates streams order id, reloaded under the subscriber's viewer
// (privacy applies) on every change published for it. The first load
// decides access: an order the viewer cannot read is NOT_FOUND.
func (r *Resolver) orderUpdates(ctx context.Context, id int) (<-chan *ent.Order, error) {
	if r.events == nil {
		return nil, notImplemented("orderUpdated")
	}
	// Subscribe before the access check, so no change between the two is
	// missed.
	sub, cancel := context.WithCancel(ctx)
	in := r.events.Subscribe(sub)
	o, err := r.checkout.Order(ctx, id)
	if err != nil || o == nil {
		cancel()
		if err != nil {
			return nil, err
		}
		return nil, orderNotFound()
	}
	out := make(chan *ent.Order, 1)
	go func() {
		defer cancel()
		defer close(out)
		for e := range in {
			if e.OrderID != id {
				continue
			}
			o, err := r.checkout.Order(ctx, id)
			if err != nil || o == nil {
				if err != nil {
					r.log.Warn("orderUpdated: reload failed", "order", id, "err", err)
				}
				return // gone, or no longer readable: end the stream
			}
			select {
			case out <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// orderFeed streams every order change, for orders:read (the field's
// @hasPermission checks it): each event with the order loaded under the viewer.
func (r *Resolver) orderFeed(ctx context.Context) (<-chan *model.OrderFeedEvent, error) {
	if r.events == nil {
		return nil, notImplemented("orderEvents")
	}
	in := r.events.Subscribe(ctx)
	out := make(chan *model.OrderFeedEvent, 1)
	go func() {
		defer close(out)
		for e := range in {
			o, err := r.checkout.Order(ctx, e.OrderID)
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
			select {
			case out <- &model.OrderFeedEvent{Type: typ, Order: o}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
