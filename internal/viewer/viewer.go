// Package viewer says who a request acts for: a signed-in customer with a
// role, nobody (anonymous), or the system itself (workers, seeding, the
// command line). It depends on nothing generated, so the ent schema's
// privacy rules can read it without an import cycle.
package viewer

import (
	"context"

	"entgo.io/ent/privacy"
)

// Role is a customer's role, as stored (CUSTOMER, STAFF, ADMIN).
type Role string

// The roles, weakest first.
const (
	Customer Role = "CUSTOMER"
	Staff    Role = "STAFF"
	Admin    Role = "ADMIN"
)

var rank = map[Role]int{Customer: 1, Staff: 2, Admin: 3}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return rank[r] > 0 }

// Viewer is a signed-in customer and their role, as the access token
// says.
type Viewer struct {
	CustomerID int
	Role       Role
}

// Has reports whether the viewer's role is at least role.
func (v Viewer) Has(role Role) bool { return rank[v.Role] >= rank[role] && role.Valid() }

type key struct{}

// With returns ctx acting for v.
func With(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, key{}, v)
}

// From returns the signed-in viewer, or false for an anonymous request.
func From(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(key{}).(Viewer)
	return v, ok
}

// SystemContext returns ctx that bypasses every privacy rule: for
// background workers, seeding, the command line, sign-in itself (which
// must find an account before anyone is signed in) and tests that set up
// data. It is the one bypass; grep for it to audit them all.
func SystemContext(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}
