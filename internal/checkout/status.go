package checkout

import (
	"context"
	"fmt"
	"strings"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderevent"
	"github.com/savannah-commerce/savannah/ent/orderline"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// transitions is the contract's order state machine: the only legal moves.
var transitions = map[order.Status][]order.Status{
	order.StatusPENDING:   {order.StatusCONFIRMED, order.StatusCANCELLED},
	order.StatusCONFIRMED: {order.StatusSHIPPED, order.StatusCANCELLED},
	order.StatusSHIPPED:   {order.StatusDELIVERED},
	order.StatusDELIVERED: {order.StatusREFUNDED},
}

// CanTransition reports whether an order may move from one status to
// another.
func CanTransition(from, to order.Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// UpdateOrderStatus moves an order as staff: illegal moves are
// INVALID_TRANSITION problems and change nothing.
func (s *Service) UpdateOrderStatus(ctx context.Context, id int, to order.Status, note string) (*ent.Order, error) {
	v, ok := viewer.From(ctx)
	if !ok || !v.Can(viewer.OrdersWrite) {
		return nil, ErrUnauthenticated
	}
	note = strings.TrimSpace(note)
	if len(note) > MaxNoteLen {
		return nil, fail(ErrInvalid, fmt.Sprintf("a note is at most %d bytes", MaxNoteLen), "note")
	}
	if err := order.StatusValidator(to); err != nil {
		return nil, fail(ErrInvalid, "unknown status", "status")
	}
	var out *ent.Order
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		// Staff read and write orders, their events and stock under their
		// own rights (the write rules): no system pass.
		staff := ctx
		o, err := c.Order.Get(staff, id)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such order", "id")
		}
		if err != nil {
			return fmt.Errorf("read order: %w", err)
		}
		msg := note
		if msg == "" {
			msg = fmt.Sprintf("Status changed from %s to %s", o.Status, to)
		}
		out, err = s.transition(staff, c, o, to, &v.CustomerID, msg, "status")
		return err
	})
	return out, err
}

// CancelOrder cancels the viewer's own order while it is PENDING or
// CONFIRMED, releasing its reserved stock. Another customer's order is
// NOT_FOUND, exactly as if it did not exist.
func (s *Service) CancelOrder(ctx context.Context, id int, reason string) (*ent.Order, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > MaxNoteLen {
		return nil, fail(ErrInvalid, fmt.Sprintf("a reason is at most %d bytes", MaxNoteLen), "reason")
	}
	var out *ent.Order
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: cancel a customer's order")
		// The customer's own order, through privacy: another's is not found.
		o, err := c.Order.Get(viewer.AsShopper(ctx), id)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such order", "id")
		}
		if err != nil {
			return fmt.Errorf("read order: %w", err)
		}
		msg := "Cancelled by the customer"
		if reason != "" {
			msg += ": " + reason
		}
		out, err = s.transition(sys, c, o, order.StatusCANCELLED, actor, msg, "id")
		return err
	})
	return out, err
}

// transition moves o to status to, with the side effects of the move, and
// appends a STATUS_CHANGED event by actor (nil: the system). The status
// UPDATE is conditional on the status read, so of two concurrent moves
// from the same status only one happens (and only one releases or ships
// stock); the other is INVALID_TRANSITION at field.
func (s *Service) transition(sys context.Context, c *ent.Client, o *ent.Order, to order.Status, actor *int, msg, field string) (*ent.Order, error) {
	if !CanTransition(o.Status, to) {
		return nil, fail(ErrInvalidTransition, fmt.Sprintf("an order cannot go from %s to %s", o.Status, to), field)
	}
	n, err := c.Order.Update().
		Where(order.ID(o.ID), order.StatusEQ(o.Status)).
		SetStatus(to).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("update order status: %w", err)
	}
	if n == 0 {
		return nil, fail(ErrInvalidTransition, "the order changed meanwhile; reload it", field)
	}
	switch to {
	case order.StatusCANCELLED:
		if err := s.releaseStock(sys, c, o.ID); err != nil {
			return nil, err
		}
		// The codes it used are free again (internal/promotion).
		if err := promotion.Release(sys, c, o.Promotions); err != nil {
			return nil, err
		}
		// A payment still in flight for a cancelled order must not confirm
		// it later; a callback for it then finds it FAILED.
		_, err := c.Payment.Update().
			Where(payment.OrderID(o.ID), payment.StatusEQ(payment.StatusPENDING)).
			SetStatus(payment.StatusFAILED).
			SetFailureReason("order cancelled").
			Save(sys)
		if err != nil {
			return nil, fmt.Errorf("fail pending payments: %w", err)
		}
	case order.StatusSHIPPED:
		if err := s.shipStock(sys, c, o); err != nil {
			return nil, err
		}
	}
	err = c.OrderEvent.Create().
		SetOrderID(o.ID).
		SetType(orderevent.TypeSTATUS_CHANGED).
		SetFromStatus(string(o.Status)).
		SetToStatus(string(to)).
		SetMessage(msg).
		SetNillableActorID(actor).
		Exec(sys)
	if err != nil {
		return nil, fmt.Errorf("record order event: %w", err)
	}
	return c.Order.Get(sys, o.ID)
}

// releaseStock gives back what an order's lines reserved (PENDING and
// CONFIRMED orders hold reservations).
func (s *Service) releaseStock(sys context.Context, c *ent.Client, orderID int) error {
	lines, err := c.OrderLine.Query().Where(orderline.OrderID(orderID), orderline.VariantIDNotNil()).
		Order(ent.Asc(orderline.FieldVariantID)).All(sys)
	if err != nil {
		return fmt.Errorf("read order lines: %w", err)
	}
	for _, l := range lines {
		if err := s.inventory.Release(sys, *l.VariantID, l.Quantity); err != nil {
			return err
		}
	}
	return nil
}

// shipStock turns an order's reservations into stock leaving: on hand and
// reserved both go down, and the stock ledger records each movement.
func (s *Service) shipStock(sys context.Context, c *ent.Client, o *ent.Order) error {
	lines, err := c.OrderLine.Query().Where(orderline.OrderID(o.ID), orderline.VariantIDNotNil()).
		Order(ent.Asc(orderline.FieldVariantID)).All(sys)
	if err != nil {
		return fmt.Errorf("read order lines: %w", err)
	}
	for _, l := range lines {
		if err := s.inventory.Ship(sys, *l.VariantID, l.Quantity, o); err != nil {
			return err
		}
	}
	return nil
}
