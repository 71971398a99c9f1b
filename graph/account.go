package graph

import (
	"context"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
)

// authToken shows a token pair; nil when the call failed.
func authToken(p *auth.TokenPair) *model.AuthToken {
	if p == nil {
		return nil
	}
	return &model.AuthToken{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, ExpiresAt: p.ExpiresAt}
}

// signedInWithID returns the signed-in viewer and the decoded ID that a
// mutation names: UNAUTHENTICATED first, then a malformed ID.
func signedInWithID(ctx context.Context, id string) (auth.Viewer, int, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return auth.Viewer{}, 0, err
	}
	n, err := scalar.DecodeID(id)
	if err != nil {
		return auth.Viewer{}, 0, err
	}
	return v, n, nil
}

// addressPayload answers an address mutation with the address, or with
// the user errors err carries.
func addressPayload(a *ent.Address, err error) (*model.AddAddressPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.AddAddressPayload{Address: a, UserErrors: ue}, nil
}

// requestVerificationPayload answers a verification request.
func requestVerificationPayload(err error) (*model.RequestVerificationPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.RequestVerificationPayload{UserErrors: ue}, nil
}

// confirmVerificationPayload answers a verification with the customer,
// or with the user errors err carries.
func confirmVerificationPayload(c *ent.Customer, err error) (*model.ConfirmVerificationPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.ConfirmVerificationPayload{Customer: c, UserErrors: ue}, nil
}
