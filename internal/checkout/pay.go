package checkout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderevent"
	"github.com/savannah-commerce/savannah/ent/payment"
	pay "github.com/savannah-commerce/savannah/internal/payment"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Errors of applying a provider's result (the M-Pesa webhook and the
// status job); the webhook logs them and acknowledges, since Daraja
// retrying cannot fix them.
var (
	// ErrUnknownPayment: no payment has the provider's request ID.
	ErrUnknownPayment = errors.New("no payment with this provider request id")
	// ErrAmountMismatch: the provider reports another amount than the one
	// asked for; the payment is left as it was for staff to look at.
	ErrAmountMismatch = errors.New("paid amount does not match the payment")
	// ErrLatePayment: the provider reports a success for a payment
	// already FAILED (its order was cancelled, or the attempt was given
	// up). Money was taken that no order accounts for: staff must refund
	// or reinstate, so callers log it loudly.
	ErrLatePayment = errors.New("payment succeeded after it was given up")
)

// PayOrder starts paying the viewer's PENDING order with method.
//
// MPESA sends an STK push to phone (default: the order's phone). The
// provider is called outside any database transaction: the attempt is
// recorded and committed first, then Daraja is asked, then its
// CheckoutRequestID is recorded, so a slow Daraja never holds a
// transaction (or SQLite's only connection) and a callback can always find
// the payment. The caller must therefore not run PayOrder inside a
// transaction (the GraphQL handler skips its per-mutation transaction for
// payOrder). A push started less than a minute ago is returned instead of
// a second one, so a double-clicked "pay" sends one prompt.
//
// CASH_ON_DELIVERY records (or returns) a PENDING payment that staff
// settle with ConfirmPayment.
func (s *Service) PayOrder(ctx context.Context, orderID int, method payment.Method, phone string) (*ent.Payment, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := payment.MethodValidator(method); err != nil {
		return nil, fail(ErrInvalid, "unknown payment method", "method")
	}
	if method == payment.MethodMPESA && s.cfg.Mpesa == nil {
		return nil, fail(ErrInvalid, "M-Pesa is not configured on this store; choose another payment method", "method")
	}
	phone = strings.TrimSpace(phone)
	var (
		p      *ent.Payment
		o      *ent.Order
		pushed bool
	)
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: start a payment")
		if err := s.lockOrder(ctx, c, orderID); err != nil {
			return err
		}
		var err error
		// The customer's own order, through privacy: another's is not found.
		o, err = c.Order.Query().Where(order.ID(orderID)).WithPayments().Only(viewer.AsShopper(ctx))
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such order", "orderId")
		}
		if err != nil {
			return fmt.Errorf("read order: %w", err)
		}
		if o.Status != order.StatusPENDING {
			return fail(ErrInvalidTransition, fmt.Sprintf("a %s order cannot be paid", o.Status), "orderId")
		}
		var reusable *ent.Payment
		for _, q := range o.Edges.Payments {
			switch {
			case q.Status == payment.StatusSUCCEEDED:
				return fail(ErrInvalid, "this order is paid already", "orderId")
			case q.Status != payment.StatusPENDING || q.Method != method:
				continue
			case method == payment.MethodCASH_ON_DELIVERY:
				p = q // cash needs nothing more: the same pending payment
				return nil
			case q.ProviderRequestID != nil && s.cfg.Now().Sub(q.UpdatedAt) < time.Minute:
				p, pushed = q, true
				return nil
			case q.ProviderRequestID == nil:
				reusable = q
			}
		}
		if phone == "" {
			phone = o.Phone
		}
		if method == payment.MethodMPESA {
			if _, err := mpesa.MSISDN(phone); err != nil {
				return fail(ErrInvalid, "give a Safaricom mobile number such as +254712345678", "phone")
			}
		}
		// An attempt that never reached a provider (the PENDING payment
		// placeOrder made for another method) is replaced by this one, so
		// no payment stays pending forever beside a settled one.
		_, err = c.Payment.Update().
			Where(payment.OrderID(o.ID), payment.StatusEQ(payment.StatusPENDING),
				payment.MethodNEQ(method), payment.ProviderRequestIDIsNil()).
			SetStatus(payment.StatusFAILED).
			SetFailureReason("replaced by " + string(method)).
			Save(sys)
		if err != nil {
			return fmt.Errorf("replace payment: %w", err)
		}
		if reusable != nil {
			p, err = reusable.Update().SetPhone(phone).Save(sys)
		} else {
			p, err = c.Payment.Create().
				SetOrderID(o.ID).
				SetMethod(method).
				SetAmountMinor(o.TotalMinor).
				SetCurrency(o.Currency).
				SetPhone(phone).
				Save(sys)
		}
		if err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		return nil
	})
	if err != nil || method != payment.MethodMPESA || pushed {
		return p, err
	}

	started, err := s.cfg.Mpesa.Start(ctx, pay.Request{
		Amount:      pay.Money{Minor: p.AmountMinor, Currency: p.Currency},
		Phone:       p.Phone,
		Reference:   o.Number,
		Description: "Order " + o.Number,
	})
	if err != nil {
		reason, problem := "m-pesa is unavailable, try again", fail(ErrInvalid, "M-Pesa could not be reached; try again in a moment", "method")
		switch {
		case errors.Is(err, pay.ErrInvalidPhone):
			reason, problem = "invalid phone", fail(ErrInvalid, "M-Pesa cannot charge this number", "phone")
		case errors.Is(err, pay.ErrInvalidAmount), errors.Is(err, pay.ErrUnsupportedCurrency):
			reason, problem = "amount not payable by m-pesa", fail(ErrInvalid, "M-Pesa cannot take this amount; choose another payment method", "method")
		case !errors.Is(err, pay.ErrTransient):
			reason, problem = "m-pesa refused the request", fail(ErrInvalid, "M-Pesa refused the payment request", "method")
		}
		// Without a CheckoutRequestID no callback can be matched to this
		// attempt: it is over, and the customer may try again.
		if ferr := s.finish(ctx, p.ID, pay.Result{State: pay.StateFailed, Message: reason}, nil); ferr != nil {
			return nil, errors.Join(fmt.Errorf("start m-pesa payment: %w", err), ferr)
		}
		return nil, problem
	}
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: record a payment push")
		var err error
		p, err = c.Payment.UpdateOneID(p.ID).SetProviderRequestID(started.RequestID).Save(sys)
		if err != nil {
			return fmt.Errorf("record checkout request id: %w", err)
		}
		return c.OrderEvent.Create().
			SetOrderID(o.ID).
			SetType(orderevent.TypePAYMENT_STARTED).
			SetMessage("M-Pesa payment requested on " + p.Phone).
			SetNillableActorID(actor).
			Exec(sys)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ConfirmPayment settles a PENDING payment as staff (cash received, say):
// SUCCEEDED with reference, and its PENDING order CONFIRMED.
func (s *Service) ConfirmPayment(ctx context.Context, paymentID int, reference string) (*ent.Payment, error) {
	v, ok := viewer.From(ctx)
	if !ok || !v.Can(viewer.OrdersWrite) {
		return nil, ErrUnauthenticated
	}
	reference = strings.TrimSpace(reference)
	if len(reference) > maxAddressFieldLen {
		return nil, fail(ErrInvalid, fmt.Sprintf("a reference is at most %d bytes", maxAddressFieldLen), "reference")
	}
	var out *ent.Payment
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		// Staff write payments, orders and their events under their own
		// rights (the write rules): no system pass.
		staff := ctx
		p, err := c.Payment.Get(staff, paymentID)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such payment", "paymentId")
		}
		if err != nil {
			return fmt.Errorf("read payment: %w", err)
		}
		if err := s.lockOrder(ctx, c, p.OrderID); err != nil {
			return err
		}
		if p.Status != payment.StatusPENDING {
			return fail(ErrInvalidTransition, fmt.Sprintf("a %s payment cannot be confirmed", p.Status), "paymentId")
		}
		applied, err := s.apply(staff, c, p, pay.Result{State: pay.StateSucceeded, Reference: reference, Message: "confirmed by staff"}, &v.CustomerID)
		if err != nil {
			return err
		}
		if !applied {
			return fail(ErrInvalidTransition, "the payment changed meanwhile; reload it", "paymentId")
		}
		out, err = c.Payment.Get(staff, paymentID)
		return err
	})
	return out, err
}

// ApplyResult records what a provider reports about the payment it knows
// as res.RequestID: from the M-Pesa webhook, or from the status job. It is
// idempotent: a payment no longer PENDING is left alone, so a repeated
// callback (or a callback racing the status job) confirms the order
// exactly once. A reported amount must equal the payment's.
func (s *Service) ApplyResult(ctx context.Context, res pay.Result) error {
	if res.RequestID == "" {
		return ErrUnknownPayment
	}
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: apply a payment callback")
		p, err := c.Payment.Query().Where(payment.ProviderRequestID(res.RequestID)).Only(sys)
		if ent.IsNotFound(err) {
			return ErrUnknownPayment
		}
		if err != nil {
			return fmt.Errorf("find payment: %w", err)
		}
		if res.Amount.Minor != 0 && (res.Amount.Minor != p.AmountMinor || res.Amount.Currency != p.Currency) {
			return fmt.Errorf("%w: payment %d asked %d %s, provider reports %s", ErrAmountMismatch, p.ID, p.AmountMinor, p.Currency, res.Amount)
		}
		if err := s.lockOrder(ctx, c, p.OrderID); err != nil {
			return err
		}
		if p, err = c.Payment.Get(sys, p.ID); err != nil { // as it is now that the order is ours
			return fmt.Errorf("read payment: %w", err)
		}
		if p.Status == payment.StatusFAILED && res.State == pay.StateSucceeded {
			return fmt.Errorf("%w: payment %d of order %d, reference %q", ErrLatePayment, p.ID, p.OrderID, res.Reference)
		}
		_, err = s.apply(sys, c, p, res, nil)
		return err
	})
}

// finish applies res to the payment with id in a transaction of its own.
func (s *Service) finish(ctx context.Context, id int, res pay.Result, actor *int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: settle a payment")
		p, err := c.Payment.Get(sys, id)
		if err != nil {
			return fmt.Errorf("read payment: %w", err)
		}
		if err := s.lockOrder(ctx, c, p.OrderID); err != nil {
			return err
		}
		_, err = s.apply(sys, c, p, res, actor)
		return err
	})
}

// lockOrder locks an order's row until the transaction ends, with an
// UPDATE that changes nothing (portable, and no ent hook sees it). Every
// write that touches an order's payments and its status takes the order
// first, so a payment result, a cancel and a new payment attempt on one
// order run one after the other (PostgreSQL) instead of deadlocking or
// paying for a cancelled order; SQLite has a single writer anyway.
func (s *Service) lockOrder(ctx context.Context, c *ent.Client, id int) error {
	if _, err := c.ExecContext(ctx, "UPDATE orders SET updated_at = updated_at WHERE id = "+s.placeholder(1), id); err != nil {
		return fmt.Errorf("lock order: %w", err)
	}
	return nil
}

// apply moves a PENDING payment to res's state with one conditional
// UPDATE (so of two concurrent deliveries only one applies), records the
// event, and confirms a PENDING order on success. It reports whether it
// changed anything.
func (s *Service) apply(sys context.Context, c *ent.Client, p *ent.Payment, res pay.Result, actor *int) (bool, error) {
	upd := c.Payment.Update().Where(payment.ID(p.ID), payment.StatusEQ(payment.StatusPENDING))
	var (
		event orderevent.Type
		msg   string
	)
	switch res.State {
	case pay.StateSucceeded:
		upd.SetStatus(payment.StatusSUCCEEDED)
		if res.Reference != "" {
			upd.SetReference(res.Reference)
		}
		event, msg = orderevent.TypePAYMENT_SUCCEEDED, fmt.Sprintf("%s payment of %s succeeded", p.Method, pay.Money{Minor: p.AmountMinor, Currency: p.Currency}.Plain())
		if res.Reference != "" {
			msg += ", reference " + res.Reference
		}
	case pay.StateFailed:
		reason := strings.TrimSpace(string(res.Reason) + " " + res.Message)
		upd.SetStatus(payment.StatusFAILED).SetFailureReason(reason)
		event, msg = orderevent.TypePAYMENT_FAILED, fmt.Sprintf("%s payment failed: %s", p.Method, reason)
	default:
		return false, nil // still pending: nothing to record
	}
	n, err := upd.Save(sys)
	if err != nil {
		return false, fmt.Errorf("update payment: %w", err)
	}
	if n == 0 {
		return false, nil // applied already (a repeated callback)
	}
	err = c.OrderEvent.Create().
		SetOrderID(p.OrderID).
		SetType(event).
		SetMessage(msg).
		SetNillableActorID(actor).
		Exec(sys)
	if err != nil {
		return false, fmt.Errorf("record payment event: %w", err)
	}
	if res.State != pay.StateSucceeded {
		return true, nil
	}
	o, err := c.Order.Get(sys, p.OrderID)
	if err != nil {
		return false, fmt.Errorf("read order: %w", err)
	}
	if o.Status == order.StatusPENDING {
		if _, err := s.transition(sys, c, o, order.StatusCONFIRMED, actor, "Confirmed by payment", "paymentId"); err != nil {
			return false, err
		}
	}
	return true, nil
}
