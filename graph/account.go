package graph

import (
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/auth"
)

// authToken shows a token pair; nil when the call failed.
func authToken(p *auth.TokenPair) *model.AuthToken {
	if p == nil {
		return nil
	}
	return &model.AuthToken{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, ExpiresAt: p.ExpiresAt}
}
