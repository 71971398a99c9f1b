package schema

import (
	"context"
	"fmt"
	"reflect"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Row-level access. Each table has one read rule (readRuleOf): who reads
// every row, and the filter for everyone else. It is applied twice, from
// this one definition: by each type's Policy() to the root of every query
// (another customer's rows do not exist for you), and by every edge
// predicate (HasXWith, hence every nested `where` filter) to the rows it
// traverses, through EdgeFilter (see ent/template/edgefilter.tmpl), so no
// filter, count or order can observe a row a direct read would not show.
// Mutations end in deny. viewer.SystemContext bypasses every rule, for
// workers, seeding and sign-in. The rules use only WhereP, which every
// generated query and mutation has, so this file needs no generated code
// (the schema must load before ent is generated).

// wherer is a mutation that accepts a raw predicate.
type wherer interface {
	WhereP(...func(*sql.Selector))
}

// whereQuery adds a raw predicate to any generated query. Queries have no
// WhereP outside the generated intercept package (which this file cannot
// import), but each has Where(...predicate.X), and every predicate.X is a
// func(*sql.Selector): reflection converts and calls it.
func whereQuery(q ent.Query, p func(*sql.Selector)) error {
	m := reflect.ValueOf(q).MethodByName("Where")
	if !m.IsValid() || m.Type().NumIn() != 1 || !m.Type().IsVariadic() {
		return fmt.Errorf("privacy: %T has no Where(...predicate)", q)
	}
	pt := m.Type().In(0).Elem()
	fv := reflect.ValueOf(p)
	if !fv.Type().ConvertibleTo(pt) {
		return fmt.Errorf("privacy: %T's predicate %s is not a func(*sql.Selector)", q, pt)
	}
	m.Call([]reflect.Value{fv.Convert(pt)})
	return nil
}

type queryRule func(context.Context, ent.Query) error

func (f queryRule) EvalQuery(ctx context.Context, q ent.Query) error { return f(ctx, q) }

type mutationRule func(context.Context, ent.Mutation) error

func (f mutationRule) EvalMutation(ctx context.Context, m ent.Mutation) error { return f(ctx, m) }

// rowFilter says which rows a viewer may see or change: nil v is an
// anonymous request.
type rowFilter func(v *viewer.Viewer) func(*sql.Selector)

// allowRole lets a viewer of at least role through without a filter.
func allowRole(role viewer.Role) privacy.QueryMutationRule {
	check := func(ctx context.Context) error {
		if v, ok := viewer.From(ctx); ok && v.Has(role) {
			return privacy.Allow
		}
		return privacy.Skip
	}
	return privacy.ContextQueryMutationRule(check)
}

// filterMutation restricts updates and deletes to the viewer's rows (a
// row outside the filter is "not found"); creates are checked with
// creatable. Anything else is denied.
func filterMutation(f rowFilter, creatable func(v *viewer.Viewer, m ent.Mutation) bool) privacy.MutationRule {
	return mutationRule(func(ctx context.Context, m ent.Mutation) error {
		v := viewerOf(ctx)
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

func viewerOf(ctx context.Context) *viewer.Viewer {
	if v, ok := viewer.From(ctx); ok {
		return &v
	}
	return nil
}

// nothing matches no row: the anonymous view of private data.
func nothing(s *sql.Selector) { s.Where(sql.ExprP("1 = 0")) }

// ownedBy: rows whose column is the viewer's customer ID.
func ownedBy(column string) rowFilter {
	return func(v *viewer.Viewer) func(*sql.Selector) {
		if v == nil {
			return nothing
		}
		return sql.FieldEQ(column, v.CustomerID)
	}
}

// ownedOrGuest: the viewer's rows and rows without an owner (guest carts,
// which are reached only by their unguessable token).
func ownedOrGuest(column string) rowFilter {
	return func(v *viewer.Viewer) func(*sql.Selector) {
		if v == nil {
			return sql.FieldIsNull(column)
		}
		return sql.OrPredicates(sql.FieldIsNull(column), sql.FieldEQ(column, v.CustomerID))
	}
}

// throughParent: rows whose parent (by column, in table) passes the
// parent's filter, as one subquery.
func throughParent(column, table string, parent rowFilter) rowFilter {
	return func(v *viewer.Viewer) func(*sql.Selector) {
		return func(s *sql.Selector) {
			t := sql.Table(table)
			sub := sql.Select(t.C("id")).From(t)
			parent(v)(sub)
			s.Where(sql.In(s.C(column), sub))
		}
	}
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

// denyMutation ends a write policy.
var denyMutation = privacy.AlwaysDenyRule()

// notRoleChange: only an ADMIN changes roles; the role is also what a
// customer's own-row update must leave alone.
var notRoleChange = mutationRule(func(ctx context.Context, m ent.Mutation) error {
	if _, ok := m.Field("role"); !ok {
		return privacy.Skip
	}
	if v, ok := viewer.From(ctx); ok && v.Has(viewer.Admin) {
		return privacy.Skip
	}
	return privacy.Denyf("privacy: only an ADMIN changes roles")
})

// readRule says which rows of a table a viewer may read: every row from
// the role all upwards (no one when all is ""), otherwise the rows filter
// leaves (every row when filter is nil: public data).
type readRule struct {
	all    viewer.Role
	filter rowFilter
}

// predicate is the filter the rule puts on a query made with ctx, or nil
// when the viewer reads every row.
func (r readRule) predicate(ctx context.Context) func(*sql.Selector) {
	if d, ok := privacy.DecisionFromContext(ctx); ok && d == nil {
		return nil // the system (an Allow decision reads back as nil)
	}
	v := viewerOf(ctx)
	if r.filter == nil || (r.all != "" && v != nil && v.Has(r.all)) {
		return nil
	}
	return r.filter(v)
}

// query is the rule as a query policy: it always decides, and what its
// filter leaves is what the viewer gets.
func (r readRule) query() privacy.QueryPolicy {
	return privacy.QueryPolicy{queryRule(func(ctx context.Context, q ent.Query) error {
		if p := r.predicate(ctx); p != nil {
			if err := whereQuery(q, p); err != nil {
				return fmt.Errorf("%w: %w", privacy.Deny, err)
			}
		}
		return privacy.Allow
	})}
}

// Who owns a row, for the rules below.
var (
	ordersOf   = ownedBy("customer_id")
	cartsOf    = ownedOrGuest("customer_id")
	throughOrd = throughParent("order_id", "orders", ordersOf)
)

// storefront: the products shoppers see, ACTIVE ones. This is the one
// statement of product visibility; staff see every product.
func storefront(*viewer.Viewer) func(*sql.Selector) {
	return sql.FieldEQ("status", "ACTIVE")
}

// toCustomer: notifications addressed to the order's customer, not the
// store's own copies (which name the staff's addresses).
func toCustomer(v *viewer.Viewer) func(*sql.Selector) {
	return sql.AndPredicates(sql.FieldEQ("audience", "CUSTOMER"), throughOrd(v))
}

func none(*viewer.Viewer) func(*sql.Selector) { return nothing }

// readRuleOf is the read rule of each table, in one place.
func readRuleOf(table string) (readRule, bool) {
	switch table {
	case "customers":
		return readRule{viewer.Staff, self}, true
	case "addresses":
		return readRule{viewer.Staff, ownedBy("customer_id")}, true
	case "carts":
		return readRule{viewer.Staff, cartsOf}, true
	case "cart_lines":
		// A shopper's cart shows only lines of products they may see: a
		// line whose product was archived drops out of view (checkout
		// refuses it as not for sale).
		return readRule{viewer.Staff, func(v *viewer.Viewer) func(*sql.Selector) {
			return sql.AndPredicates(
				throughParent("cart_id", "carts", cartsOf)(v),
				throughParent("variant_id", "product_variants", throughParent("product_id", "products", storefront))(v),
			)
		}}, true
	case "orders":
		return readRule{viewer.Staff, ordersOf}, true
	case "order_lines", "order_events", "payments":
		return readRule{viewer.Staff, throughOrd}, true
	case "notifications":
		return readRule{viewer.Staff, toCustomer}, true
	case "stock_movements":
		return readRule{viewer.Staff, none}, true
	case "identities", "refresh_tokens":
		// The owner reads; only the auth service (the system) writes.
		return readRule{"", ownedBy("customer_id")}, true
	case "categories", "product_variants":
		// Public; a variant's product is reached through its edge, which
		// the products rule filters.
		return readRule{}, true
	case "products":
		return readRule{viewer.Staff, storefront}, true
	case "sequences":
		return readRule{"", none}, true
	}
	return readRule{}, false
}

// readPolicy is the query policy of table: its read rule, or deny for a
// table without one, so a new entity is closed until it gets a rule.
func readPolicy(table string) privacy.QueryPolicy {
	r, ok := readRuleOf(table)
	if !ok {
		return privacy.QueryPolicy{privacy.AlwaysDenyRule()}
	}
	return r.query()
}

// EdgeFilter is the read rule of table for the viewer of the query s
// belongs to, for the rows an edge predicate traverses: generated HasX
// and HasXWith predicates call it (ent/template/edgefilter.tmpl), because
// ent privacy filters only a query's root, not the subqueries predicates
// build. It returns nil when the viewer reads every row.
func EdgeFilter(s *sql.Selector, table string) func(*sql.Selector) {
	r, ok := readRuleOf(table)
	if !ok {
		return nothing
	}
	return r.predicate(s.Context())
}

// ownedPolicy is the policy of a type a customer owns: its read rule, and
// the owner changes their own rows (creating only for themself, when
// creatable allows).
func ownedPolicy(table string, f rowFilter, creatable func(*viewer.Viewer, ent.Mutation) bool) ent.Policy {
	return privacy.Policy{
		Query:    readPolicy(table),
		Mutation: privacy.MutationPolicy{filterMutation(f, creatable)},
	}
}

// staffWritePolicy: the read rule of table; only STAFF writes.
func staffWritePolicy(table string) ent.Policy {
	return privacy.Policy{
		Query:    readPolicy(table),
		Mutation: privacy.MutationPolicy{allowRole(viewer.Staff), denyMutation},
	}
}

// systemOnlyPolicy: the read rule of table; nobody but the system writes
// (refresh tokens and identities change only through the auth service).
func systemOnlyPolicy(table string) ent.Policy {
	return privacy.Policy{
		Query:    readPolicy(table),
		Mutation: privacy.MutationPolicy{denyMutation},
	}
}

// self: a customer's own account row.
var self rowFilter = func(v *viewer.Viewer) func(*sql.Selector) {
	if v == nil {
		return nothing
	}
	return sql.FieldEQ("id", v.CustomerID)
}

// anyone lets any viewer create (cart lines: the cart is reached only by
// its unguessable token, which the cart service checks).
func anyone(*viewer.Viewer, ent.Mutation) bool { return true }

// The policies, one per entity, in one place.

// Policy of the Customer: staff read every account; a customer reads and
// changes their own (never their role); only an ADMIN changes roles or
// other accounts; accounts are created by the auth service (system).
func (Customer) Policy() ent.Policy {
	return privacy.Policy{
		Query: readPolicy("customers"),
		Mutation: privacy.MutationPolicy{
			notRoleChange,
			allowRole(viewer.Admin),
			filterMutation(self, nil),
		},
	}
}

// Policy of the Address: the owner's; staff read them for support.
func (Address) Policy() ent.Policy {
	return ownedPolicy("addresses", ownedBy("customer_id"), createOwn("customer_id"))
}

// Policy of the Cart: the owner's, or a guest cart (no owner).
func (Cart) Policy() ent.Policy {
	return ownedPolicy("carts", cartsOf, createOwnOrGuest("customer_id"))
}

// Policy of the CartLine: follows its cart.
func (CartLine) Policy() ent.Policy {
	return ownedPolicy("cart_lines", throughParent("cart_id", "carts", cartsOf), anyone)
}

// Policy of the Order: the customer reads their orders, staff all; only
// staff (or the checkout service, as system) write.
func (Order) Policy() ent.Policy { return staffWritePolicy("orders") }

// Policy of the OrderLine: follows its order.
func (OrderLine) Policy() ent.Policy { return staffWritePolicy("order_lines") }

// Policy of the OrderEvent: follows its order.
func (OrderEvent) Policy() ent.Policy { return staffWritePolicy("order_events") }

// Policy of the Payment: follows its order.
func (Payment) Policy() ent.Policy { return staffWritePolicy("payments") }

// Policy of the Notification: the customer's copies follow their order;
// the store's copies, and those without an order, are staff's only.
func (Notification) Policy() ent.Policy { return staffWritePolicy("notifications") }

// Policy of the StockMovement: staff only.
func (StockMovement) Policy() ent.Policy { return staffWritePolicy("stock_movements") }

// Policy of the Identity: the owner reads; the auth service writes.
func (Identity) Policy() ent.Policy { return systemOnlyPolicy("identities") }

// Policy of the RefreshToken: the owner reads; the auth service writes.
func (RefreshToken) Policy() ent.Policy { return systemOnlyPolicy("refresh_tokens") }

// Policy of the Category: public catalogue.
func (Category) Policy() ent.Policy { return staffWritePolicy("categories") }

// Policy of the Product: shoppers see ACTIVE products, staff all of them
// (see storefront).
func (Product) Policy() ent.Policy { return staffWritePolicy("products") }

// Policy of the ProductVariant: public catalogue; whether its product is
// visible is the products rule.
func (ProductVariant) Policy() ent.Policy { return staffWritePolicy("product_variants") }

// Policy of the Sequence: only the system (the checkout service) reads or
// writes counters.
func (Sequence) Policy() ent.Policy {
	return privacy.Policy{Query: readPolicy("sequences"), Mutation: privacy.MutationPolicy{denyMutation}}
}
