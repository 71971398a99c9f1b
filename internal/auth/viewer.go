package auth

import (
	"context"

	"github.com/savannah-commerce/savannah/ent/customer"
)

// Viewer is who makes a request: a signed-in customer and their role, as
// the access token says.
type Viewer struct {
	CustomerID int
	Role       customer.Role
}

// rank orders roles so that a higher role satisfies a lower requirement.
var rank = map[customer.Role]int{customer.RoleCUSTOMER: 1, customer.RoleSTAFF: 2, customer.RoleADMIN: 3}

// Has reports whether the viewer's role is at least role.
func (v Viewer) Has(role customer.Role) bool { return rank[v.Role] >= rank[role] && rank[role] > 0 }

type viewerKey struct{}

// WithViewer returns ctx carrying the signed-in viewer.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the signed-in viewer, or false for an anonymous
// request.
func ViewerFrom(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok
}

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
