package payment

import (
	"context"
	"fmt"
)

// CashOnDelivery is the provider for payment in cash when the order is
// delivered. Nothing happens at a provider: the payment stays pending until
// staff confirm it (the contract's confirmPayment), so Start only checks
// the amount and Status always answers pending.
type CashOnDelivery struct{}

// Method reports MethodCashOnDelivery.
func (CashOnDelivery) Method() Method { return MethodCashOnDelivery }

// Start accepts any positive amount and leaves the payment pending.
func (CashOnDelivery) Start(_ context.Context, req Request) (Started, error) {
	if req.Amount.Minor <= 0 {
		return Started{}, fmt.Errorf("%w: %s is not positive", ErrInvalidAmount, req.Amount)
	}
	if req.Amount.Currency == "" {
		return Started{}, fmt.Errorf("%w: no currency", ErrUnsupportedCurrency)
	}
	return Started{State: StatePending}, nil
}

// Status answers pending: only staff can settle a cash payment.
func (CashOnDelivery) Status(_ context.Context, requestID string) (Result, error) {
	return Result{RequestID: requestID, State: StatePending}, nil
}
