// Package viewer says who a request acts for: a signed-in customer with a
// role, nobody (anonymous), or the system itself (workers, seeding, the
// command line). It depends on nothing generated, so the ent schema's
// privacy rules can read it without an import cycle.
package viewer

import (
	"context"
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

// Viewer is who a request acts for, as its access token says: a signed-in
// customer and their role, or an API client.
type Viewer struct {
	CustomerID int
	Role       Role
	// Client is the client_id of an API client (OAuth2 client
	// credentials); empty for people.
	Client string
	// Permissions, when not nil, is exactly what the viewer may do (an
	// API client's granted scopes, or a staff member's narrowed set);
	// nil means its role's set (Role.Permissions).
	Permissions []Permission
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

type systemKey struct{}

// System returns ctx acting as the store itself, past every privacy rule:
// the one named way a service reads or writes what no viewer may (a
// checkout reserving stock, a worker sending mail, sign-in finding an
// account before anyone is signed in, tests setting up data). reason says
// why in a few words, "package: what" (such as "checkout: reserve
// stock"); it travels with ctx (SystemReason), and grepping for
// viewer.System( lists every such write and its reason.
func System(ctx context.Context, reason string) context.Context {
	if reason == "" {
		reason = "unnamed"
	}
	return context.WithValue(ctx, systemKey{}, reason)
}

// SystemReason returns why ctx acts as the system, or false when it acts
// for a viewer or nobody.
func SystemReason(ctx context.Context) (string, bool) {
	r, ok := ctx.Value(systemKey{}).(string)
	return r, ok && r != ""
}

// IsSystem reports whether ctx acts as the system (see System).
func IsSystem(ctx context.Context) bool {
	_, ok := SystemReason(ctx)
	return ok
}

type orderGrantKey struct{}

// WithOrderGrant returns ctx allowed to read one order (and its lines,
// events and payments) besides what its viewer may: what a guest's
// order-access token grants (internal/checkout, guest.go), resolved by
// the HTTP layer. It grants reads only; the checkout service writes for
// the guest once the read through privacy found the order.
func WithOrderGrant(ctx context.Context, orderID int) context.Context {
	return context.WithValue(ctx, orderGrantKey{}, orderID)
}

// OrderGrant returns the order ctx's order-access token grants, or false.
func OrderGrant(ctx context.Context) (int, bool) {
	id, ok := ctx.Value(orderGrantKey{}).(int)
	return id, ok && id > 0
}

// AsShopper returns ctx seeing the store as a shopper does: the system's
// pass and any staff role set aside, the signed-in customer kept. Reads
// made with it answer "what may a shopper see or buy": search, the
// products checkout sells, a customer's own orders.
func AsShopper(ctx context.Context) context.Context {
	if IsSystem(ctx) {
		ctx = context.WithValue(ctx, systemKey{}, "")
	}
	if v, ok := From(ctx); ok && v.Role != Customer {
		ctx = With(ctx, Viewer{CustomerID: v.CustomerID, Role: Customer})
	}
	return ctx
}
