package catalog

import (
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql/sqlgraph"
)

// The kinds of problem a caller can fix. Each Problem wraps one of them, so
// the GraphQL layer maps them to the contract's error codes in one place
// and tests can ask errors.Is.
var (
	ErrInvalid           = errors.New("invalid")
	ErrRequired          = errors.New("required")
	ErrTaken             = errors.New("already taken")
	ErrNotFound          = errors.New("not found")
	ErrInsufficientStock = errors.New("insufficient stock")
)

// Problem is one thing wrong with a request, at a field path named as the
// contract names the operation's arguments (["input", "variants", "0",
// "sku"]).
type Problem struct {
	Field   []string
	Kind    error // one of ErrInvalid, ErrRequired, ErrTaken, ErrNotFound, ErrInsufficientStock
	Message string
}

// InputError is returned when a request cannot be carried out as asked.
// Whatever the operation had written before it found the problem has been
// rolled back: a caller that gets an InputError may report it and commit.
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

// err returns nil when nothing was added.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &InputError{Problems: ps}
}

// fail is a single problem as an error.
func fail(kind error, msg string, field ...string) error {
	return &InputError{Problems: []Problem{{Field: field, Kind: kind, Message: msg}}}
}

// takenOr turns a unique-index violation into TAKEN at field: the checks
// before a write find a taken slug or SKU, but a concurrent transaction can
// still take it between the check and the write. Other errors are wrapped
// with what.
func takenOr(err error, what, msg string, field ...string) error {
	if sqlgraph.IsUniqueConstraintError(err) {
		return fail(ErrTaken, msg, field...)
	}
	return fmt.Errorf("%s: %w", what, err)
}
