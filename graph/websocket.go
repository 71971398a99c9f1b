package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/logging"
)

// websocketAuth reads the access token from connection_init's payload
// ({"Authorization": "Bearer …"}), since browsers cannot set headers on a
// WebSocket. No token: the connection stays as the upgrade request made
// it (anonymous, or the viewer of an Authorization header the HTTP layer
// checked). A bad token closes the connection, as a bad header is
// refused. The token is checked once, at connection: a subscription
// outlives its token's expiry until the client reconnects.
func websocketAuth(a *auth.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		h := p.Authorization()
		if h == "" {
			return ctx, nil, nil
		}
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ctx, nil, errors.New("the Authorization value must be: Bearer <access token>")
		}
		v, err := a.Tokens().Verify(strings.TrimSpace(raw))
		if err != nil {
			return ctx, nil, errors.New("the access token is invalid or expired")
		}
		logging.SetCustomer(ctx, v.CustomerID)
		return auth.WithViewer(ctx, v), nil, nil
	}
}
