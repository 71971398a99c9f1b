package graph

import (
	"context"
	"crypto/sha256"
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

// socketTokenKey holds the socket's access token in its context, a
// socketToken.
type socketTokenKey struct{}

// socketToken is a socket's access token, and a short key that names it
// (its SHA-256): sockets holding the same token share one check per event
// (wsDriver.allowed), found by that key.
type socketToken struct {
	raw, key string
}

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
	sum := sha256.Sum256([]byte(raw))
	ctx = context.WithValue(ctx, socketTokenKey{}, socketToken{raw: raw, key: "token|" + string(sum[:])})
	return auth.WithViewer(ctx, v), nil
}

// checkKey names the socket's token: sockets holding one token get one
// answer.
func (a tokenAuth) checkKey(ctx context.Context) string {
	tok, _ := ctx.Value(socketTokenKey{}).(socketToken)
	return tok.key
}

func (a tokenAuth) check(ctx context.Context) error {
	tok, ok := ctx.Value(socketTokenKey{}).(socketToken)
	if !ok {
		return nil // anonymous: nothing to lose
	}
	if _, err := a.accessTokenValid(ctx, tok.raw); err != nil {
		return errors.New("the access token is no longer valid")
	}
	return nil
}
