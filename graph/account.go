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
