package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/logging"
)

// tokenAuth authenticates sockets with access tokens: the one in
// connection_init's payload ({"Authorization": "Bearer …"}, since browsers
// cannot set headers on a WebSocket), else the upgrade request's
// Authorization header (already checked by the HTTP layer). No token: the
// socket is anonymous. A bad token refuses the socket (4403).
//
// The token stays with the socket, and check verifies it again: every few
// seconds, before each operation and before each subscription event. A
// socket whose token is no longer valid is closed, so a viewer who lost
// the right stops receiving.
type tokenAuth struct {
	auth *auth.Service
}

var _ socketAuth = tokenAuth{}

// socketTokenKey holds the socket's access token in its context.
type socketTokenKey struct{}

// accessTokenValid is the one question every socket asks, at connection
// and again while it stays open: is this access token (still) valid, and
// whose is it? Whatever revokes access tokens early (a role change, a
// logout everywhere) takes effect on open sockets through here.
func (a tokenAuth) accessTokenValid(ctx context.Context, raw string) (auth.Viewer, error) {
	return a.auth.VerifyAccess(ctx, raw)
}

func (a tokenAuth) init(ctx context.Context, payload map[string]any, header http.Header) (context.Context, error) {
	h, _ := payload["Authorization"].(string)
	if h == "" {
		h, _ = payload["authorization"].(string)
	}
	if h == "" {
		h = header.Get("Authorization")
	}
	if h == "" {
		return ctx, nil
	}
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ctx, errors.New("the Authorization value must be: Bearer <access token>")
	}
	raw = strings.TrimSpace(raw)
	v, err := a.accessTokenValid(ctx, raw)
	if err != nil {
		return ctx, errors.New("the access token is invalid or expired")
	}
	logging.SetCustomer(ctx, v.CustomerID)
	ctx = context.WithValue(ctx, socketTokenKey{}, raw)
	return auth.WithViewer(ctx, v), nil
}

// checkKey is the socket's token itself: sockets holding one token get
// one answer. A token (base64url and dots) never contains "|", which
// every other events.Share key does, so it names nothing else.
func (a tokenAuth) checkKey(ctx context.Context) string {
	raw, _ := ctx.Value(socketTokenKey{}).(string)
	return raw
}

func (a tokenAuth) check(ctx context.Context) error {
	raw, ok := ctx.Value(socketTokenKey{}).(string)
	if !ok {
		return nil // anonymous: nothing to lose
	}
	if _, err := a.accessTokenValid(ctx, raw); err != nil {
		return errors.New("the access token is no longer valid")
	}
	return nil
}
