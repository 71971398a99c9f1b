package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/cartline"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/payment"
	pay "github.com/savannah-commerce/savannah/internal/payment"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// The periodic jobs. Each is a plain method, safe to run concurrently with
// itself and with requests (every change is a conditional update), so any
// scheduler can drive it: workers run them as River periodic jobs
// (server/jobs.go).

// jobBatch bounds one run's work, so a backlog is worked off over several
// runs instead of one long one.
const jobBatch = 100

// RecoverPayments asks M-Pesa about payments that were started but got no
// callback within StatusQueryAfter, and applies what it answers, exactly
// as a callback would. It returns how many payments it settled. A payment
// the provider cannot answer for now stays for the next run.
func (s *Service) RecoverPayments(ctx context.Context) (int, error) {
	if s.cfg.Mpesa == nil {
		return 0, nil
	}
	sys := viewer.System(ctx, "checkout: reconcile M-Pesa payments")
	stale, err := s.cfg.Client.Payment.Query().
		Where(
			payment.MethodEQ(payment.MethodMPESA),
			payment.StatusEQ(payment.StatusPENDING),
			payment.ProviderRequestIDNotNil(),
			payment.UpdatedAtLT(s.cfg.Now().Add(-s.cfg.StatusQueryAfter)),
		).
		Order(ent.Asc(payment.FieldUpdatedAt)).
		Limit(jobBatch).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find unsettled payments: %w", err)
	}
	settled := 0
	var errs []error
	for _, p := range stale {
		// No transaction is open during the provider call.
		res, err := s.cfg.Mpesa.Status(ctx, *p.ProviderRequestID)
		if err != nil {
			errs = append(errs, fmt.Errorf("payment %d: %w", p.ID, err))
			continue
		}
		if res.RequestID == "" {
			res.RequestID = *p.ProviderRequestID
		}
		if res.State != pay.StateSucceeded && res.State != pay.StateFailed {
			continue
		}
		if err := s.ApplyResult(ctx, res); err != nil {
			errs = append(errs, fmt.Errorf("payment %d: %w", p.ID, err))
			continue
		}
		settled++
	}
	return settled, errors.Join(errs...)
}

// CancelStaleOrders cancels PENDING orders placed for M-Pesa that nobody
// paid within PaymentTimeout of now, releasing their stock. Cash on
// delivery orders wait for staff. It returns how many it cancelled.
func (s *Service) CancelStaleOrders(ctx context.Context, now time.Time) (int, error) {
	sys := viewer.System(ctx, "checkout: cancel unpaid orders")
	stale, err := s.cfg.Client.Order.Query().
		Where(
			order.StatusEQ(order.StatusPENDING),
			order.PlacedAtLT(now.Add(-s.cfg.PaymentTimeout)),
			order.HasPaymentsWith(payment.MethodEQ(payment.MethodMPESA)),
			order.Not(order.HasPaymentsWith(payment.MethodEQ(payment.MethodCASH_ON_DELIVERY))),
			order.Not(order.HasPaymentsWith(payment.StatusEQ(payment.StatusSUCCEEDED))),
			// A push still in flight gets its full timeout too (and
			// RecoverPayments settles it first): cancelling under it could
			// take the customer's money for a cancelled order.
			order.Not(order.HasPaymentsWith(
				payment.StatusEQ(payment.StatusPENDING),
				payment.ProviderRequestIDNotNil(),
				payment.UpdatedAtGT(now.Add(-s.cfg.PaymentTimeout)),
			)),
		).
		Order(ent.Asc(order.FieldPlacedAt)).
		Limit(jobBatch).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find unpaid orders: %w", err)
	}
	cancelled := 0
	for _, o := range stale {
		err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
			_, err := s.transition(viewer.System(ctx, "checkout: cancel an unpaid order"), c, o, order.StatusCANCELLED, nil,
				fmt.Sprintf("Cancelled automatically: not paid within %s", s.cfg.PaymentTimeout), "id")
			return err
		})
		var ie *InputError
		switch {
		case errors.As(err, &ie):
			continue // moved meanwhile (paid, or cancelled by the customer)
		case err != nil:
			return cancelled, fmt.Errorf("cancel order %s: %w", o.Number, err)
		}
		cancelled++
	}
	return cancelled, nil
}

// PurgeCarts deletes guest carts idle past their expiry at now, with their
// lines. Customers' carts are kept. It returns how many it deleted.
func (s *Service) PurgeCarts(ctx context.Context, now time.Time) (int, error) {
	deleted := 0
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: purge expired carts")
		expired := cart.And(cart.CustomerIDIsNil(), cart.ExpiresAtLT(now))
		if _, err := c.CartLine.Delete().Where(cartline.HasCartWith(expired)).Exec(sys); err != nil {
			return fmt.Errorf("delete expired cart lines: %w", err)
		}
		n, err := c.Cart.Delete().Where(expired).Exec(sys)
		deleted = n
		if err != nil {
			return fmt.Errorf("delete expired carts: %w", err)
		}
		return nil
	})
	return deleted, err
}
