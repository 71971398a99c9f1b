package checkout

import (
	"errors"

	"github.com/savannah-commerce/savannah/internal/input"
)

// The kinds of problem a caller can fix, shared with every service
// (internal/input), so the GraphQL layer maps them to the contract's codes
// in one place.
var (
	ErrInvalid           = input.ErrInvalid
	ErrRequired          = input.ErrRequired
	ErrNotFound          = input.ErrNotFound
	ErrInsufficientStock = input.ErrInsufficientStock
	ErrInvalidTransition = input.ErrInvalidTransition
	ErrCartEmpty         = input.ErrCartEmpty
	// ErrShippingRequired: the store ships, and no option is chosen.
	ErrShippingRequired = input.ErrShippingRequired
	// ErrShippingUnavailable: the chosen option is not (or no longer)
	// offered for the address.
	ErrShippingUnavailable = input.ErrShippingUnavailable
	// ErrUsageLimitReached: a code on the cart has reached its limit.
	ErrUsageLimitReached = input.ErrUsageLimitReached
)

// ErrUnauthenticated is returned by operations that need a signed-in
// customer (merging carts; paying and cancelling without an order grant;
// placing an order without a guest's contact).
var ErrUnauthenticated = errors.New("sign in to do this")

// Problem is one thing wrong with a request; see input.Problem.
type Problem = input.Problem

// InputError is a request that cannot be carried out as asked; see
// input.Error.
type InputError = input.Error

type problems = input.Problems

func fail(kind error, msg string, field ...string) error { return input.Fail(kind, msg, field...) }
