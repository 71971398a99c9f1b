package graph

import (
	"errors"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/auth"
)

// userErrors splits a service error into the payload's userErrors (what
// the user can fix) and a top-level error (anything else). The list is
// never nil: the contract declares it non-null.
func userErrors(err error) ([]*model.UserError, error) {
	var ue auth.UserErrors
	switch {
	case err == nil:
		return []*model.UserError{}, nil
	case errors.As(err, &ue):
		out := make([]*model.UserError, len(ue))
		for i, e := range ue {
			out[i] = &model.UserError{Field: e.Field, Message: e.Message, Code: model.ErrorCode(e.Code)}
		}
		return out, nil
	case errors.Is(err, auth.ErrForbidden):
		return nil, forbidden()
	default:
		return nil, err
	}
}

// authToken shows a token pair; nil when the call failed.
func authToken(p *auth.TokenPair) *model.AuthToken {
	if p == nil {
		return nil
	}
	return &model.AuthToken{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, ExpiresAt: p.ExpiresAt}
}
