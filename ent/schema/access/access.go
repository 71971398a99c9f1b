// Package access holds the store's row-level read rules: for each entity,
// who reads every row and which rows everyone else sees. It is the one
// home of those rules (product visibility, ownership of carts, orders,
// addresses...). Two places apply them, both from here: the entity's
// privacy policy (ent/schema/privacy.go) to the root of every query, and
// every generated edge predicate (HasX, HasXWith, hence every nested
// `where` filter) to the rows it traverses, through EdgeFilter (see
// ent/template/edgefilter.tmpl), so no filter, count or order observes a
// row a direct read would not show.
//
// The rules are plain SQL predicates over the entity's table and depend on
// nothing generated, because the generated predicate packages import this
// one.
package access

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

// RowFilter says which rows a viewer may see or change: nil v is an
// anonymous request (or a shopper's view without a sign-in).
type RowFilter func(v *viewer.Viewer) func(*sql.Selector)

// Rule says which rows of an entity a viewer may read: every row for a
// viewer holding permission All (viewer.Can: staff through their role's
// set or their narrowed one, an API client through its scopes; no one
// when All is ""), otherwise the rows Filter leaves (every row when
// Filter is nil: public data), and, for a request holding an order-access
// grant (viewer.WithOrderGrant), also the rows Grant leaves for that
// order.
type Rule struct {
	All    viewer.Permission
	Filter RowFilter
	Grant  func(orderID int) func(*sql.Selector)
}

// Predicate is the filter the rule puts on a query made with ctx, or nil
// when the actor of ctx reads every row (the system, or a viewer holding
// All).
func (r Rule) Predicate(ctx context.Context) func(*sql.Selector) {
	if viewer.IsSystem(ctx) {
		return nil
	}
	v := ViewerOf(ctx)
	if r.Filter == nil || (r.All != "" && v != nil && v.Can(r.All)) {
		return nil
	}
	if id, ok := viewer.OrderGrant(ctx); ok && r.Grant != nil {
		return sql.OrPredicates(r.Filter(v), r.Grant(id))
	}
	return r.Filter(v)
}

// ViewerOf is the signed-in viewer of ctx, or nil.
func ViewerOf(ctx context.Context) *viewer.Viewer {
	if v, ok := viewer.From(ctx); ok {
		return &v
	}
	return nil
}

// Nothing matches no row: the anonymous view of private data.
func Nothing(s *sql.Selector) { s.Where(sql.ExprP("1 = 0")) }

// OwnedBy: rows whose column is the viewer's customer ID.
func OwnedBy(column string) RowFilter {
	return func(v *viewer.Viewer) func(*sql.Selector) {
		if v == nil {
			return Nothing
		}
		return sql.FieldEQ(column, v.CustomerID)
	}
}

// OwnedOrGuest: the viewer's rows and rows without an owner (guest carts,
// which are reached only by their unguessable token).
func OwnedOrGuest(column string) RowFilter {
	return func(v *viewer.Viewer) func(*sql.Selector) {
		if v == nil {
			return sql.FieldIsNull(column)
		}
		return sql.OrPredicates(sql.FieldIsNull(column), sql.FieldEQ(column, v.CustomerID))
	}
}

// ThroughParent: rows whose parent (by column, in table) passes the
// parent's filter, as one subquery.
func ThroughParent(column, table string, parent RowFilter) RowFilter {
	return func(v *viewer.Viewer) func(*sql.Selector) {
		return func(s *sql.Selector) {
			t := sql.Table(table)
			sub := sql.Select(t.C("id")).From(t)
			parent(v)(sub)
			s.Where(sql.In(s.C(column), sub))
		}
	}
}

// Self: a customer's own account row.
func Self(v *viewer.Viewer) func(*sql.Selector) {
	if v == nil {
		return Nothing
	}
	return sql.FieldEQ("id", v.CustomerID)
}

// Who owns a row, for the rules below and the write policies.
var (
	// Orders are their customer's.
	Orders = OwnedBy("customer_id")
	// Carts are their customer's, or a guest's (no owner).
	Carts = OwnedOrGuest("customer_id")
	// Addresses are their customer's.
	Addresses = OwnedBy("customer_id")
	// CartLines follow their cart.
	CartLines = ThroughParent("cart_id", "carts", Carts)
	// OrderChildren (lines, events, payments) follow their order.
	OrderChildren = ThroughParent("order_id", "orders", Orders)
)

// grantedOrder: the one order an order-access grant reaches, and
// grantedChildren its lines, events and payments.
func grantedOrder(id int) func(*sql.Selector)    { return sql.FieldEQ("id", id) }
func grantedChildren(id int) func(*sql.Selector) { return sql.FieldEQ("order_id", id) }

// storefront: the products shoppers see, ACTIVE ones. This is the one
// statement of product visibility; a viewer holding catalog:read sees
// every product, and a shopper's view of the store (viewer.AsShopper:
// search, what checkout sells) sees what shoppers see.
func storefront(*viewer.Viewer) func(*sql.Selector) {
	return sql.FieldEQ("status", "ACTIVE")
}

// toCustomer: notifications addressed to the order's customer, not the
// store's own copies (which name the staff's addresses).
func toCustomer(v *viewer.Viewer) func(*sql.Selector) {
	return sql.AndPredicates(sql.FieldEQ("audience", "CUSTOMER"), OrderChildren(v))
}

// activeShipping: shipping methods and pickup points in use.
func activeShipping(*viewer.Viewer) func(*sql.Selector) {
	return sql.FieldEQ("active", true)
}

// mediaShown: media of a storefront product or of one of its variants,
// and every category's.
func mediaShown(v *viewer.Viewer) func(*sql.Selector) {
	products := ThroughParent("product_id", "products", storefront)(v)
	variants := ThroughParent("variant_id", "product_variants", ThroughParent("product_id", "products", storefront))(v)
	return sql.OrPredicates(products, variants, sql.FieldNotNull("category_id"))
}

func none(*viewer.Viewer) func(*sql.Selector) { return Nothing }

// Of is the read rule of each entity (by its ent type name), in one
// place; false for an entity without one, which nobody but the system
// reads.
func Of(typ string) (Rule, bool) {
	switch typ {
	case "Customer":
		return Rule{All: viewer.CustomersRead, Filter: Self}, true
	case "Address":
		return Rule{All: viewer.CustomersRead, Filter: Addresses}, true
	case "Cart":
		return Rule{All: viewer.CustomersRead, Filter: Carts}, true
	case "CartLine":
		// A shopper's cart shows only lines of products they may see: a
		// line whose product was archived drops out of view (checkout
		// refuses it as not for sale).
		return Rule{All: viewer.CustomersRead, Filter: func(v *viewer.Viewer) func(*sql.Selector) {
			return sql.AndPredicates(
				CartLines(v),
				ThroughParent("variant_id", "product_variants", ThroughParent("product_id", "products", storefront))(v),
			)
		}}, true
	case "Order":
		return Rule{All: viewer.OrdersRead, Filter: Orders, Grant: grantedOrder}, true
	case "OrderLine", "OrderEvent", "Payment":
		return Rule{All: viewer.OrdersRead, Filter: OrderChildren, Grant: grantedChildren}, true
	case "Notification":
		return Rule{All: viewer.NotificationsManage, Filter: toCustomer}, true
	case "StockMovement":
		// The stock ledger is part of the catalogue's back office.
		return Rule{All: viewer.CatalogRead, Filter: none}, true
	case "Identity", "RefreshToken":
		// The owner reads; only the auth service (the system) writes.
		return Rule{All: "", Filter: OwnedBy("customer_id")}, true
	case "Category", "ProductVariant", "TaxClass", "TaxRate":
		// Public; a variant's product is reached through its edge, which
		// the Product rule filters.
		return Rule{}, true
	case "Product":
		return Rule{All: viewer.CatalogRead, Filter: storefront}, true
	case "Media":
		// Images of what shoppers see: of shown products, of their
		// variants, and of categories.
		return Rule{All: viewer.CatalogRead, Filter: mediaShown}, true
	case "WebhookSubscription", "WebhookDelivery":
		// Only holders of webhooks:manage; the delivery worker reads as
		// the system.
		return Rule{All: viewer.WebhooksManage, Filter: none}, true
	case "Promotion", "Voucher", "VoucherUse":
		// Their managers read; the promotion engine reads as the system.
		return Rule{All: viewer.PromotionsManage, Filter: none}, true
	case "APIClient":
		// Settings managers read API clients; token checks read them as
		// the system.
		return Rule{All: viewer.SettingsManage, Filter: none}, true
	case "Sequence", "OneTimeSecret", "RevokedToken":
		// Only the system: the order counter, the auth service's
		// hashed reset links and codes, revoked client tokens.
		return Rule{All: "", Filter: none}, true
	case "AuditEntry":
		// Whoever holds settings:manage reads the audit log; only the
		// system (internal/audit) writes it.
		return Rule{All: viewer.SettingsManage, Filter: none}, true
	case "ShippingZone":
		// Public: where the store ships is no secret.
		return Rule{}, true
	case "ShippingMethod":
		// Shoppers see active methods; the catalogue's readers see every
		// one (shipping is part of the offer, like tax classes).
		return Rule{All: viewer.CatalogRead, Filter: activeShipping}, true
	case "PickupPoint":
		// Shoppers see active points of active methods.
		return Rule{All: viewer.CatalogRead, Filter: func(v *viewer.Viewer) func(*sql.Selector) {
			return sql.AndPredicates(activeShipping(v), ThroughParent("method_id", "shipping_methods", activeShipping)(v))
		}}, true
	}
	return Rule{}, false
}

// EdgeFilter is the read rule of entity typ for the actor of the query s
// belongs to, for the rows an edge predicate traverses: generated HasX
// and HasXWith predicates call it (ent/template/edgefilter.tmpl), because
// ent privacy filters only a query's root, not the subqueries predicates
// build. It returns nil when the actor reads every row.
func EdgeFilter(s *sql.Selector, typ string) func(*sql.Selector) {
	r, ok := Of(typ)
	if !ok {
		if viewer.IsSystem(s.Context()) {
			return nil
		}
		return Nothing
	}
	return r.Predicate(s.Context())
}
