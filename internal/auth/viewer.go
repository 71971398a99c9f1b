package auth

import (
	"context"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Viewer is who makes a request; see package viewer.
type Viewer = viewer.Viewer

// WithViewer returns ctx carrying the signed-in viewer.
func WithViewer(ctx context.Context, v Viewer) context.Context { return viewer.With(ctx, v) }

// ViewerFrom returns the signed-in viewer, or false for an anonymous
// request.
func ViewerFrom(ctx context.Context) (Viewer, bool) { return viewer.From(ctx) }

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the client's network address, which
// sign-in throttling counts failures by.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the client's address, or "" when unknown.
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}
