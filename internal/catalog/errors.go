package catalog

import (
	"fmt"

	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/savannah-commerce/savannah/internal/input"
)

// The kinds of problem a caller can fix, shared with every service
// (internal/input), so the GraphQL layer maps them to the contract's codes
// in one place and tests can ask errors.Is.
var (
	ErrInvalid           = input.ErrInvalid
	ErrRequired          = input.ErrRequired
	ErrTaken             = input.ErrTaken
	ErrNotFound          = input.ErrNotFound
	ErrInsufficientStock = input.ErrInsufficientStock
)

// Problem is one thing wrong with a request; see input.Problem.
type Problem = input.Problem

// InputError is a request that cannot be carried out as asked; see
// input.Error.
type InputError = input.Error

type problems = input.Problems

func fail(kind error, msg string, field ...string) error { return input.Fail(kind, msg, field...) }

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
