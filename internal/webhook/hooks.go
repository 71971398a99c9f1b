package webhook

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/globalid"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Register adds the hooks that raise the store's events to client (and so
// to every transaction opened from it). Call it once, where the client is
// built (app.NewClient).
func (s *Service) Register(client *ent.Client) {
	client.Order.Use(s.orderHook)
	client.Payment.Use(s.paymentHook)
	client.Product.Use(s.productHook)
	client.StockMovement.Use(s.stockHook)
	client.Customer.Use(s.customerHook)
}

// skip runs the mutation without raising events: nobody listens, or
// finding out failed (err, which fails the mutation).
func skip(ctx context.Context, next ent.Mutator, m ent.Mutation, err error) (ent.Value, error) {
	if err != nil {
		return nil, err
	}
	return next.Mutate(ctx, m)
}

// OrderData is the data of order events.
type OrderData struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	Status     string `json:"status"`
	FromStatus string `json:"from_status,omitempty"`
	TotalMinor int64  `json:"total_minor"`
	Currency   string `json:"currency"`
}

func (s *Service) orderHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *ent.OrderMutation) (ent.Value, error) {
		status, statusSet := m.Status()
		if !m.Op().Is(ent.OpCreate) && !statusSet {
			return next.Mutate(ctx, m)
		}
		if on, err := s.listening(ctx, m.Client(), OrderPlaced, OrderStatusChanged); err != nil || !on {
			return skip(ctx, next, m, err)
		}
		sys := viewer.System(ctx, "webhook: read orders around a change")
		before := map[int]order.Status{}
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(sys)
			if err != nil {
				return nil, fmt.Errorf("webhook: orders changed: %w", err)
			}
			rows, err := m.Client().Order.Query().Where(order.IDIn(ids...)).Select(order.FieldID, order.FieldStatus).All(sys)
			if err != nil {
				return nil, fmt.Errorf("webhook: orders changed: %w", err)
			}
			for _, o := range rows {
				if o.Status != status {
					before[o.ID] = o.Status
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		if m.Op().Is(ent.OpCreate) {
			id, ok := m.ID()
			if !ok {
				return v, nil
			}
			o, err := m.Client().Order.Get(sys, id)
			if err != nil {
				return nil, fmt.Errorf("webhook: order placed: %w", err)
			}
			return v, s.Emit(ctx, m.Client(), OrderPlaced, orderData(o, ""))
		}
		for id, from := range before {
			o, err := m.Client().Order.Get(sys, id)
			if err != nil {
				return nil, fmt.Errorf("webhook: order changed: %w", err)
			}
			if err := s.Emit(ctx, m.Client(), OrderStatusChanged, orderData(o, string(from))); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

func orderData(o *ent.Order, from string) OrderData {
	return OrderData{ID: globalid.Encode(o.ID), Number: o.Number, Status: string(o.Status), FromStatus: from, TotalMinor: o.TotalMinor, Currency: o.Currency}
}

// PaymentData is the data of payment events.
type PaymentData struct {
	ID            string `json:"id"`
	OrderID       string `json:"order_id"`
	Status        string `json:"status"`
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
	Method        string `json:"method"`
	FailureReason string `json:"failure_reason,omitempty"`
}

var paymentEvents = map[payment.Status]EventType{
	payment.StatusSUCCEEDED: PaymentSucceeded,
	payment.StatusFAILED:    PaymentFailed,
}

func (s *Service) paymentHook(next ent.Mutator) ent.Mutator {
	return hook.PaymentFunc(func(ctx context.Context, m *ent.PaymentMutation) (ent.Value, error) {
		status, statusSet := m.Status()
		ev := paymentEvents[status]
		if !statusSet || ev == "" {
			return next.Mutate(ctx, m)
		}
		if on, err := s.listening(ctx, m.Client(), ev); err != nil || !on {
			return skip(ctx, next, m, err)
		}
		sys := viewer.System(ctx, "webhook: read payments around a change")
		var changed []int
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(sys)
			if err != nil {
				return nil, fmt.Errorf("webhook: payments changed: %w", err)
			}
			rows, err := m.Client().Payment.Query().Where(payment.IDIn(ids...), payment.StatusNEQ(status)).IDs(sys)
			if err != nil {
				return nil, fmt.Errorf("webhook: payments changed: %w", err)
			}
			changed = rows
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		if id, ok := m.ID(); ok && m.Op().Is(ent.OpCreate) {
			changed = []int{id}
		}
		for _, id := range changed {
			p, err := m.Client().Payment.Get(sys, id)
			if err != nil {
				return nil, fmt.Errorf("webhook: payment changed: %w", err)
			}
			d := PaymentData{ID: globalid.Encode(p.ID), OrderID: globalid.Encode(p.OrderID), Status: string(p.Status),
				AmountMinor: p.AmountMinor, Currency: p.Currency, Method: string(p.Method), FailureReason: p.FailureReason}
			if err := s.Emit(ctx, m.Client(), ev, d); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

// ProductData is the data of product events.
type ProductData struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	Status string `json:"status"`
}

func (s *Service) productHook(next ent.Mutator) ent.Mutator {
	return hook.ProductFunc(func(ctx context.Context, m *ent.ProductMutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne) {
			return next.Mutate(ctx, m)
		}
		if on, err := s.listening(ctx, m.Client(), ProductCreated, ProductUpdated, ProductArchived); err != nil || !on {
			return skip(ctx, next, m, err)
		}
		sys := viewer.System(ctx, "webhook: read products around a change")
		status, statusSet := m.Status()
		var ids []int
		archived := map[int]bool{}
		if !m.Op().Is(ent.OpCreate) {
			var err error
			if ids, err = m.IDs(sys); err != nil {
				return nil, fmt.Errorf("webhook: products changed: %w", err)
			}
			if statusSet && status == product.StatusARCHIVED {
				was, err := m.Client().Product.Query().Where(product.IDIn(ids...), product.StatusNEQ(product.StatusARCHIVED)).IDs(sys)
				if err != nil {
					return nil, fmt.Errorf("webhook: products changed: %w", err)
				}
				for _, id := range was {
					archived[id] = true
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		ev := ProductUpdated
		if id, ok := m.ID(); ok && m.Op().Is(ent.OpCreate) {
			ids, ev = []int{id}, ProductCreated
		}
		for _, id := range ids {
			p, err := m.Client().Product.Get(sys, id)
			if err != nil {
				return nil, fmt.Errorf("webhook: product changed: %w", err)
			}
			e := ev
			if archived[id] {
				e = ProductArchived
			}
			if err := s.Emit(ctx, m.Client(), e, ProductData{ID: globalid.Encode(p.ID), Name: p.Name, Slug: p.Slug, Status: string(p.Status)}); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

// StockData is the data of stock.changed: one movement of a variant's
// stock on hand.
type StockData struct {
	VariantID      string `json:"variant_id"`
	Delta          int    `json:"delta"`
	ResultingLevel int    `json:"resulting_level"`
	Reason         string `json:"reason"`
}

func (s *Service) stockHook(next ent.Mutator) ent.Mutator {
	return hook.StockMovementFunc(func(ctx context.Context, m *ent.StockMovementMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		vid, _ := m.VariantID()
		delta, _ := m.Delta()
		level, _ := m.ResultingLevel()
		reason, _ := m.Reason()
		return v, s.Emit(ctx, m.Client(), StockChanged, StockData{VariantID: globalid.Encode(vid), Delta: delta, ResultingLevel: level, Reason: reason})
	})
}

// CustomerData is the data of customer.created.
type CustomerData struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func (s *Service) customerHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerFunc(func(ctx context.Context, m *ent.CustomerMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		id, ok := m.ID()
		if !ok || id == 0 { // an insert that did nothing (ON CONFLICT DO NOTHING)
			return v, nil
		}
		email, _ := m.Email()
		name, _ := m.Name()
		return v, s.Emit(ctx, m.Client(), CustomerCreated, CustomerData{ID: globalid.Encode(id), Email: email, Name: name})
	})
}
