package events

import (
	"context"
	"strconv"
	"strings"

	"github.com/savannah-commerce/savannah/ent/schema/access"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// OrderScope names what the viewer of ctx may read of orders and of their
// lines, events and payments, so that two subscribers with equal scopes
// may share one load of an order (Share): both would read the same rows.
// It is a summary of the Order read rule (ent/schema/access), the one
// home of who reads which order, and reads exactly what that rule reads:
//
//   - every order, for a viewer holding the rule's All permission
//     (orders:read: staff, or an API client granted it): "perm:orders:read";
//   - otherwise their own orders: "customer:<id>", or "anonymous";
//   - plus, for a request holding an order-access grant, that order:
//     "+grant:<id>".
//
// The children's rules (OrderLine, OrderEvent, Payment) follow the order's
// (same All, rows of the orders the viewer reads), so the scope covers
// them; the events tests check they stay alike. What lies beyond them (a
// line's product, the order's customer) has rules of its own: a shared
// load must not preload it, each subscriber loads it as itself.
//
// A shared load still runs under a subscriber's viewer, never as the
// system: the scope only says whose load another may reuse.
func OrderScope(ctx context.Context) string {
	rule, _ := access.Of("Order")
	var s string
	v, signedIn := viewer.From(ctx)
	switch {
	case viewer.IsSystem(ctx):
		s = "system"
	case signedIn && rule.All != "" && v.Can(rule.All):
		s = "perm:" + string(rule.All)
	case signedIn:
		s = "customer:" + strconv.Itoa(v.CustomerID)
	default:
		s = "anonymous"
	}
	if id, ok := viewer.OrderGrant(ctx); ok {
		s += "+grant:" + strconv.Itoa(id)
	}
	return s
}

// ViewerScope names everything about the viewer of ctx that can change
// what it may see anywhere in a response, not only in an order and its
// children: the customer, the role, the API client, the permissions it
// carries and those it holds in effect, a system bypass, an order-access
// grant. Two subscribers of the same operation with equal ViewerScopes
// get the same answer, so one execution of the operation serves both
// (graph's WebSocket transport). It is finer than OrderScope, which
// only says who may share a load of an order.
func ViewerScope(ctx context.Context) string {
	var b strings.Builder
	if reason, ok := viewer.SystemReason(ctx); ok {
		b.WriteString("system:" + strconv.Quote(reason) + ";")
	}
	if v, ok := viewer.From(ctx); ok {
		b.WriteString("customer:" + strconv.Itoa(v.CustomerID))
		b.WriteString(";role:" + string(v.Role))
		b.WriteString(";client:" + strconv.Quote(v.Client))
		b.WriteString(";carries:")
		if v.Permissions == nil {
			b.WriteString("-")
		}
		for _, p := range v.Permissions {
			b.WriteString(string(p) + ",")
		}
		b.WriteString(";holds:")
		for _, p := range v.Effective() {
			b.WriteString(string(p) + ",")
		}
	} else {
		b.WriteString("anonymous")
	}
	if id, ok := viewer.OrderGrant(ctx); ok {
		b.WriteString(";grant:" + strconv.Itoa(id))
	}
	return b.String()
}
