package graph

import (
	"errors"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

// userErrors splits a service error into the payload's userErrors (what
// the user can fix, from any domain service) and a top-level error
// (anything else, for the error presenter). The list is never nil: the
// contract declares it non-null.
func userErrors(err error) ([]*model.UserError, error) {
	var (
		accountErrs auth.UserErrors
		catalogErr  *catalog.InputError
		checkoutErr *checkout.InputError
	)
	switch {
	case err == nil:
		return []*model.UserError{}, nil
	case errors.As(err, &accountErrs):
		out := make([]*model.UserError, len(accountErrs))
		for i, e := range accountErrs {
			out[i] = &model.UserError{Field: e.Field, Message: e.Message, Code: model.ErrorCode(e.Code)}
		}
		return out, nil
	case errors.As(err, &catalogErr):
		out := make([]*model.UserError, len(catalogErr.Problems))
		for i, p := range catalogErr.Problems {
			out[i] = &model.UserError{Field: p.Field, Message: p.Message, Code: errorCode(p.Kind)}
		}
		return out, nil
	case errors.As(err, &checkoutErr):
		out := make([]*model.UserError, len(checkoutErr.Problems))
		for i, p := range checkoutErr.Problems {
			out[i] = &model.UserError{Field: p.Field, Message: p.Message, Code: checkoutCode(p.Kind)}
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
