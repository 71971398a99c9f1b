// Package payment defines how checkout talks to payment providers: one
// Provider interface with method-neutral requests and results, and the
// domain errors a provider may return.
//
// A provider only starts payments and reports their state; it never touches
// the database. The checkout service records a Started payment, then learns
// the outcome either from a provider callback (M-Pesa's webhook, parsed by
// the provider's own package) or by asking Status from a periodic job when
// no callback came. Providers are safe for concurrent use.
//
// Errors from Start and Status fall in two classes that the caller must tell
// apart: errors.Is(err, ErrTransient) means "try again later" (network
// failure, timeout, provider outage; for Start the push may or may not have
// reached the customer), anything else is permanent (ErrInvalidAmount,
// ErrInvalidPhone, ErrInvalidReference, ErrUnsupportedCurrency,
// ErrRejected) and retrying the same request cannot help.
package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/savannah-commerce/savannah/internal/money"
)

// Method names a way to pay, matching the contract's PaymentMethod enum.
type Method string

// The payment methods of the contract.
const (
	MethodMpesa          Method = "MPESA"
	MethodCashOnDelivery Method = "CASH_ON_DELIVERY"
)

// State is where a payment stands as far as its provider knows.
type State string

// Payment states a provider reports. Refunds are not a provider state here:
// they are recorded by staff, outside any provider.
const (
	StatePending   State = "PENDING"
	StateSucceeded State = "SUCCEEDED"
	StateFailed    State = "FAILED"
)

// Reason classifies why a payment failed, so the storefront can tell the
// customer something useful without parsing provider text.
type Reason string

// Failure reasons. ReasonDeclined covers every provider failure without a
// more specific reason; Result.Message keeps the provider's own wording.
const (
	ReasonCancelled         Reason = "CANCELLED"          // the customer dismissed the prompt
	ReasonTimeout           Reason = "TIMEOUT"            // the customer did not answer, or the phone was unreachable
	ReasonInsufficientFunds Reason = "INSUFFICIENT_FUNDS" // the customer's balance was too low
	ReasonInvalidPIN        Reason = "INVALID_PIN"        // the customer entered a wrong PIN
	ReasonDeclined          Reason = "DECLINED"           // any other failure
)

// Money is an amount in integer minor units of an ISO 4217 currency, the
// way the store keeps every amount (KES 1,299.00 is {129900, "KES"}).
type Money = money.Amount

// Request asks a provider to collect a payment for one order.
type Request struct {
	// Amount is what the customer pays.
	Amount Money
	// Phone is the payer's phone number in E.164 form (+254712345678),
	// for providers that charge a phone.
	Phone string
	// Reference is the order number; the customer sees it on the prompt and
	// on their statement.
	Reference string
	// Description is a short human text for the prompt; providers may
	// shorten it to their limit.
	Description string
	// CallbackURL overrides the provider's configured result callback URL
	// for this request; empty means the configured one.
	CallbackURL string
}

// Started is a provider's acknowledgement that a payment was started.
type Started struct {
	// RequestID identifies the payment at the provider (M-Pesa's
	// CheckoutRequestID); callbacks and Status calls refer to it. Empty for
	// providers that have nothing to track (cash on delivery).
	RequestID string
	// State is the payment's state right after starting: usually
	// StatePending.
	State State
	// CustomerMessage is the provider's text for the customer, if any.
	CustomerMessage string
}

// Result is what a provider knows about a started payment.
type Result struct {
	// RequestID is the provider's identifier of the payment.
	RequestID string
	// State is the payment's state.
	State State
	// Reference is the provider's receipt for a succeeded payment (M-Pesa's
	// receipt number). It may be empty when the provider does not report one
	// on this path (an M-Pesa status query carries no receipt).
	Reference string
	// Amount is the amount the provider says was paid; zero when the
	// provider did not say (callers match it against what they asked for
	// when it is set).
	Amount Money
	// Reason classifies a failure; empty unless State is StateFailed.
	Reason Reason
	// Message is the provider's own description of the outcome.
	Message string
}

// Provider starts payments and reports their state.
type Provider interface {
	// Method is the payment method this provider serves.
	Method() Method
	// Start asks the provider to collect req. A transient error means the
	// outcome is unknown and the request may be retried.
	Start(ctx context.Context, req Request) (Started, error)
	// Status asks the provider where the payment it knows as requestID
	// stands; used when no callback arrived.
	Status(ctx context.Context, requestID string) (Result, error)
}

// Domain errors. Provider packages wrap them with detail; compare with
// errors.Is.
var (
	// ErrInvalidAmount: the amount is not positive, out of the provider's
	// limits, or not payable in whole units the provider accepts.
	ErrInvalidAmount = errors.New("invalid payment amount")
	// ErrUnsupportedCurrency: the provider cannot charge in this currency.
	ErrUnsupportedCurrency = errors.New("unsupported payment currency")
	// ErrInvalidPhone: the phone number is missing or not one the provider
	// can charge.
	ErrInvalidPhone = errors.New("invalid payment phone number")
	// ErrInvalidReference: the order reference is empty or too long for the
	// provider.
	ErrInvalidReference = errors.New("invalid payment reference")
	// ErrTransient: the provider could not be reached or failed
	// temporarily; retry later.
	ErrTransient = errors.New("payment provider temporarily unavailable")
	// ErrRejected: the provider refused the request; retrying the same
	// request will not help.
	ErrRejected = errors.New("payment provider rejected the request")
)

// ProviderError is a failure reported by, or on the way to, a provider. It
// matches ErrTransient or ErrRejected under errors.Is according to
// Transient, and unwraps to the underlying network or context error if any.
type ProviderError struct {
	// Transient tells a temporary failure from a permanent one.
	Transient bool
	// Op is the provider operation that failed, e.g. "mpesa stk push".
	Op string
	// HTTPStatus is the provider's HTTP status, 0 when none was received.
	HTTPStatus int
	// Code is the provider's error code, e.g. "400.002.02".
	Code string
	// Message is the provider's error text; it may be shown to staff but
	// not to customers.
	Message string
	// Err is the underlying error (network, timeout, decoding), if any.
	Err error
}

// Error describes the failure for logs.
func (e *ProviderError) Error() string {
	class := "rejected"
	if e.Transient {
		class = "transient"
	}
	s := e.Op + ": " + class
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(": http %d", e.HTTPStatus)
	}
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ProviderError) Unwrap() error { return e.Err }

// Is makes the error match ErrTransient or ErrRejected by its class.
func (e *ProviderError) Is(target error) bool {
	switch target {
	case ErrTransient:
		return e.Transient
	case ErrRejected:
		return !e.Transient
	}
	return false
}
