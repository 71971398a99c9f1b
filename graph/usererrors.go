package graph

import (
	"errors"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/input"
)

// userErrors splits a service error into the payload's userErrors (what
// the user can fix, from any domain service) and a top-level error
// (anything else, for the error presenter). The list is never nil: the
// contract declares it non-null.
func userErrors(err error) ([]*model.UserError, error) {
	var inputErr *input.Error
	switch {
	case err == nil:
		return []*model.UserError{}, nil
	case errors.As(err, &inputErr):
		out := make([]*model.UserError, len(inputErr.Problems))
		for i, p := range inputErr.Problems {
			out[i] = &model.UserError{Field: p.Field, Message: p.Message, Code: errorCode(p.Kind)}
		}
		return out, nil
	case errors.Is(err, checkout.ErrUnauthenticated):
		return nil, unauthenticated()
	case errors.Is(err, auth.ErrForbidden):
		return nil, forbidden()
	default:
		return nil, err
	}
}

// errorCode maps a kind of problem (internal/input) to the contract's code.
func errorCode(kind error) model.ErrorCode {
	switch {
	case errors.Is(kind, input.ErrRequired):
		return model.ErrorCodeRequired
	case errors.Is(kind, input.ErrTaken):
		return model.ErrorCodeTaken
	case errors.Is(kind, input.ErrNotFound):
		return model.ErrorCodeNotFound
	case errors.Is(kind, input.ErrInsufficientStock):
		return model.ErrorCodeInsufficientStock
	case errors.Is(kind, input.ErrInvalidTransition):
		return model.ErrorCodeInvalidTransition
	case errors.Is(kind, input.ErrCartEmpty):
		return model.ErrorCodeCartEmpty
	case errors.Is(kind, input.ErrInvalidCredentials):
		return model.ErrorCodeInvalidCredentials
	case errors.Is(kind, input.ErrInvalidToken):
		return model.ErrorCodeInvalidToken
	case errors.Is(kind, input.ErrTooManyAttempts):
		return model.ErrorCodeTooManyAttempts
	case errors.Is(kind, input.ErrShippingRequired):
		return model.ErrorCodeShippingRequired
	case errors.Is(kind, input.ErrShippingUnavailable):
		return model.ErrorCodeShippingUnavailable
	case errors.Is(kind, input.ErrUsageLimitReached):
		return model.ErrorCodeUsageLimitReached
	default:
		return model.ErrorCodeInvalid
	}
}

// ids decodes the global IDs an input refers to. An ID this server did not
// issue cannot name anything, so it is reported as NOT_FOUND at its field,
// beside every other such ID, rather than as a top-level error.
type ids struct {
	problems input.Problems
}

func (d *ids) decode(s string, field ...string) int {
	id, err := scalar.DecodeID(s)
	if err != nil {
		d.problems.Add(input.ErrNotFound, "no such object", field...)
	}
	return id
}

func (d *ids) decodeOpt(s *string, field ...string) *int {
	if s == nil {
		return nil
	}
	id := d.decode(*s, field...)
	return &id
}

// serviceWrite runs a service's write once the IDs it names decoded, and
// splits what the user can fix (userErrors, with a nil result) from
// failures (for the error presenter).
func serviceWrite[T any](d *ids, write func() (T, error)) (T, []*model.UserError, error) {
	var zero T
	err := d.problems.Err()
	if err == nil {
		var v T
		if v, err = write(); err == nil {
			return v, []*model.UserError{}, nil
		}
	}
	ue, err := userErrors(err)
	return zero, ue, err
}
