// Package input describes what is wrong with a request that the user can
// fix: each Problem names a field path, as the contract names the
// operation's arguments (["input", "variants", "0", "sku"]), and a kind
// that the GraphQL layer maps to the contract's error codes in one place.
// Services return an *Error only after rolling back whatever they wrote.
package input

import (
	"errors"
	"strings"
)

// The kinds of problem. Each Problem wraps one, so callers and tests can
// ask errors.Is.
var (
	ErrInvalid           = errors.New("invalid")
	ErrRequired          = errors.New("required")
	ErrTaken             = errors.New("already taken")
	ErrNotFound          = errors.New("not found")
	ErrInsufficientStock = errors.New("insufficient stock")
	ErrInvalidTransition = errors.New("invalid transition")
	ErrCartEmpty         = errors.New("cart empty")
	// Accounts: a wrong password, a refresh token that cannot be used,
	// sign-in throttled.
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrInvalidToken       = errors.New("invalid token")
	ErrTooManyAttempts    = errors.New("too many attempts")
	// Checkout: an order that ships needs a shipping option chosen, and
	// one that still applies.
	ErrShippingRequired    = errors.New("shipping required")
	ErrShippingUnavailable = errors.New("shipping unavailable")
	// ErrUsageLimitReached: a voucher code has reached its usage limit
	// (internal/promotion); remove it from the cart to go on.
	ErrUsageLimitReached = errors.New("usage limit reached")
)

// Problem is one thing wrong with a request.
type Problem struct {
	Field   []string
	Kind    error // one of the Err… kinds above
	Message string
}

// Error is a request that cannot be carried out as asked. Whatever the
// operation had written before it found the problems has been rolled back:
// a caller that gets an Error may report it and commit.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = strings.Join(p.Field, ".") + ": " + p.Message
	}
	return strings.Join(msgs, "; ")
}

// Unwrap exposes the kinds of the problems to errors.Is.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Kind
	}
	return out
}

// Problems collects what is wrong with an input, so one answer names every
// fault rather than the first.
type Problems []Problem

// Add records a problem at field.
func (ps *Problems) Add(kind error, msg string, field ...string) {
	*ps = append(*ps, Problem{Field: field, Kind: kind, Message: msg})
}

// Err returns the problems as an *Error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}

// Fail is a single problem as an error.
func Fail(kind error, msg string, field ...string) error {
	return &Error{Problems: []Problem{{Field: field, Kind: kind, Message: msg}}}
}
