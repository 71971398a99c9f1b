package checkout

import (
	"errors"
	"strings"
)

// The kinds of problem a caller can fix. Each Problem wraps one of them, so
// the GraphQL layer maps them to the contract's error codes in one place.
var (
	ErrInvalid           = errors.New("invalid")
	ErrRequired          = errors.New("required")
	ErrNotFound          = errors.New("not found")
	ErrInsufficientStock = errors.New("insufficient stock")
	ErrInvalidTransition = errors.New("invalid transition")
	ErrCartEmpty         = errors.New("cart empty")
)

// ErrUnauthenticated is returned by operations that need a signed-in
// customer (placing an order, merging carts, cancelling).
var ErrUnauthenticated = errors.New("sign in to do this")

// Problem is one thing wrong with a request, at a field path named as the
// contract names the operation's arguments (["input", "cartId"]).
type Problem struct {
	Field   []string
	Kind    error // one of the Err… kinds above
	Message string
}

// InputError is returned when a request cannot be carried out as asked.
// Everything the operation wrote before it found the problem has been
// rolled back.
type InputError struct {
	Problems []Problem
}

func (e *InputError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = strings.Join(p.Field, ".") + ": " + p.Message
	}
	return strings.Join(msgs, "; ")
}

// Unwrap exposes the kinds of the problems to errors.Is.
func (e *InputError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Kind
	}
	return out
}

// problems collects what is wrong with an input, so one answer names every
// fault rather than the first.
type problems []Problem

func (ps *problems) add(kind error, msg string, field ...string) {
	*ps = append(*ps, Problem{Field: field, Kind: kind, Message: msg})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &InputError{Problems: ps}
}

func fail(kind error, msg string, field ...string) error {
	return &InputError{Problems: []Problem{{Field: field, Kind: kind, Message: msg}}}
}
