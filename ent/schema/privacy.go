package schema

import (
	"context"
	"errors"
	"slices"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/mixin"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/intercept"
	"github.com/savannah-commerce/savannah/ent/privacy"
	"github.com/savannah-commerce/savannah/ent/schema/access"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Row-level access. Every entity mixes in Base, whose policy is the whole
// of its privacy: the system (viewer.System) passes; a read gets the
// entity's read rule (access.Of: who reads every row, the filter for
// everyone else), so another customer's rows do not exist for you; a
// write gets the entity's write rule (writeRuleOf). An entity with no
// read rule or no write rule is denied both, so a new entity is closed
// until it gets its rules. The rules are applied through ent's generated
// privacy package and the generated intercept and mutation filters
// (WhereP), by entity type; edge predicates apply the same read rules
// (access.EdgeFilter).

// Base is the mixin every entity starts from: it carries the entity's
// privacy policy, deny by default (see above).
type Base struct {
	mixin.Schema
}

// Policy of every entity: the system passes, then the entity's read and
// write rules, and whatever they leave undecided is denied.
func (Base) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowSystem,
			readRule,
			privacy.AlwaysDenyRule(),
		},
		Mutation: privacy.MutationPolicy{
			allowSystem,
			privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
				if r, ok := writeRuleOf(m.Type()); ok {
					return r.EvalMutation(ctx, m)
				}
				return privacy.Denyf("privacy: %s has no write rule", m.Type())
			}),
			privacy.AlwaysDenyRule(),
		},
	}
}

// allowSystem lets the store itself through (viewer.System).
var allowSystem = privacy.ContextQueryMutationRule(func(ctx context.Context) error {
	if viewer.IsSystem(ctx) {
		return privacy.Allow
	}
	return privacy.Skip
})

// readRule applies the entity's read rule to the query: it always
// decides, and what its filter leaves is what the viewer gets.
var readRule = privacy.QueryRuleFunc(func(ctx context.Context, q ent.Query) error {
	iq, err := intercept.NewQuery(q)
	if err != nil {
		return privacy.Denyf("privacy: %v", err)
	}
	r, ok := access.Of(iq.Type())
	if !ok {
		return privacy.Denyf("privacy: %s has no read rule", iq.Type())
	}
	if p := r.Predicate(ctx); p != nil {
		iq.WhereP(p)
	}
	return privacy.Allow
})

// wherer is a generated mutation, which accepts a raw predicate.
type wherer interface {
	WhereP(...func(*sql.Selector))
}

// allow lets a viewer holding any of perms through without a filter
// (viewer.Can: a role's set, a staff member's narrowed set, an API
// client's scopes).
func allow(perms ...viewer.Permission) privacy.MutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if v, ok := viewer.From(ctx); ok && slices.ContainsFunc(perms, v.Can) {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// allowFields lets a viewer holding any of perms set only the named
// fields (and the automatic updated_at): stock levels, which an order's
// moves and a stock count change without the right to edit the rest of
// the variant.
func allowFields(fields []string, perms ...viewer.Permission) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v, ok := viewer.From(ctx)
		if !ok || !slices.ContainsFunc(perms, v.Can) || m.Op().Is(ent.OpCreate) || len(m.ClearedFields()) > 0 || len(m.RemovedEdges()) > 0 || len(m.AddedEdges()) > 0 {
			return privacy.Skip
		}
		for _, f := range append(m.Fields(), m.AddedFields()...) {
			if f != "updated_at" && !slices.Contains(fields, f) {
				return privacy.Skip
			}
		}
		return privacy.Allow
	})
}

// filterMutation restricts updates and deletes to the viewer's rows (a
// row outside the filter is "not found"); creates are checked with
// creatable. Anything else is denied.
func filterMutation(f access.RowFilter, creatable func(v *viewer.Viewer, m ent.Mutation) bool) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v := access.ViewerOf(ctx)
		if m.Op().Is(ent.OpCreate) {
			if creatable != nil && creatable(v, m) {
				return privacy.Allow
			}
			return privacy.Denyf("privacy: may not create %s", m.Type())
		}
		w, ok := m.(wherer)
		if !ok {
			return privacy.Denyf("privacy: %T cannot be filtered", m)
		}
		w.WhereP(f(v))
		return privacy.Allow
	})
}

// createOwn lets a signed-in viewer create rows only for themself.
func createOwn(column string) func(v *viewer.Viewer, m ent.Mutation) bool {
	return func(v *viewer.Viewer, m ent.Mutation) bool {
		if v == nil {
			return false
		}
		id, ok := m.Field(column)
		return ok && id == v.CustomerID
	}
}

// createOwnOrGuest also lets anyone create an ownerless row.
func createOwnOrGuest(column string) func(v *viewer.Viewer, m ent.Mutation) bool {
	return func(v *viewer.Viewer, m ent.Mutation) bool {
		id, ok := m.Field(column)
		if !ok {
			return true
		}
		return v != nil && id == v.CustomerID
	}
}

// anyone lets any viewer create (cart lines: the cart is reached only by
// its unguessable token, which the cart service checks).
func anyone(*viewer.Viewer, ent.Mutation) bool { return true }

// notAccessChange: only a viewer holding settings:manage (an ADMIN)
// changes a role or a staff member's permission set; they are also what a
// customer's own-row update must leave alone.
var notAccessChange = privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
	_, role := m.Field("role")
	if !role && !slices.Contains(m.Fields(), "permissions") && !slices.Contains(m.ClearedFields(), "permissions") {
		return privacy.Skip
	}
	if v, ok := viewer.From(ctx); ok && v.Can(viewer.SettingsManage) {
		return privacy.Skip
	}
	return privacy.Denyf("privacy: only settings:manage changes roles and permissions")
})

// stockLevels are a variant's stock fields.
var stockLevels = []string{"stock_on_hand", "reserved"}

// chain evaluates rules in order until one decides.
func chain(rules ...privacy.MutationRule) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		for _, r := range rules {
			if err := r.EvalMutation(ctx, m); !errors.Is(err, privacy.Skip) {
				return err
			}
		}
		return privacy.Skip
	})
}

// writeRuleOf is the write rule of each entity (by its ent type name), in
// one place, by the permission each write needs; what it leaves
// undecided is denied, and so is an entity without one. The system writes
// everything.
func writeRuleOf(typ string) (privacy.MutationRule, bool) {
	switch typ {
	case "Customer":
		// A customer changes their own account (never their role or
		// permissions); only settings:manage (an ADMIN) changes those or
		// other accounts; accounts are created by the auth service
		// (system).
		return chain(notAccessChange, allow(viewer.SettingsManage), filterMutation(access.Self, nil)), true
	case "Address":
		return filterMutation(access.Addresses, createOwn("customer_id")), true
	case "Cart":
		return filterMutation(access.Carts, createOwnOrGuest("customer_id")), true
	case "CartLine":
		return filterMutation(access.CartLines, anyone), true
	case "Order", "OrderLine", "OrderEvent", "Payment":
		// Orders and their payments: checkout (as the system) and staff
		// moving them.
		return allow(viewer.OrdersWrite), true
	case "Notification":
		return allow(viewer.NotificationsManage), true
	case "Category", "Product", "TaxClass", "TaxRate", "Media",
		"ShippingZone", "ShippingMethod", "PickupPoint":
		// The catalogue and what it is sold with: tax classes and
		// shipping.
		return allow(viewer.CatalogWrite), true
	case "ProductVariant":
		// A variant's stock levels also move with a stock count and with
		// an order's moves (a cancellation releases its reservation).
		return chain(allow(viewer.CatalogWrite), allowFields(stockLevels, viewer.InventoryWrite, viewer.OrdersWrite)), true
	case "StockMovement":
		// The ledger of those moves, and of a new variant's opening
		// stock.
		return allow(viewer.InventoryWrite, viewer.OrdersWrite, viewer.CatalogWrite), true
	case "Promotion", "Voucher":
		return allow(viewer.PromotionsManage), true
	case "APIClient":
		// Staff holding settings:manage register and change API clients
		// (internal/oauth).
		return allow(viewer.SettingsManage), true
	case "WebhookSubscription", "WebhookDelivery":
		// Holders of webhooks:manage; the delivery worker writes as the
		// system.
		return allow(viewer.WebhooksManage), true
	case "Identity", "RefreshToken", "Sequence", "OneTimeSecret", "VoucherUse", "RevokedToken", "AuditEntry":
		// Only the system writes: the auth service, the order counter,
		// revoked client tokens, the audit log (internal/audit).
		return privacy.AlwaysDenyRule(), true
	}
	return nil, false
}
