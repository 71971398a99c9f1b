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

// Row-level access. Each owned type's Policy() lists small named rules;
// queries are filtered (another customer's rows do not exist for you),
// mutations end in deny. viewer.SystemContext bypasses every rule, for
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

// filterQuery restricts a query to the rows the viewer may see. It always
// decides: what the filter leaves is what the viewer gets.
func filterQuery(f rowFilter) privacy.QueryRule {
	return queryRule(func(ctx context.Context, q ent.Query) error {
		if err := whereQuery(q, f(viewerOf(ctx))); err != nil {
			return fmt.Errorf("%w: %w", privacy.Deny, err)
		}
		return privacy.Allow
	})
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

// Policies of the owned types, by who owns a row.
var (
	ordersOf = ownedBy("customer_id")
	cartsOf  = ownedOrGuest("customer_id")
)

// ownedPolicy is the policy of a type a customer owns through column:
// staff of at least staffRole read all rows; the owner reads and changes
// their own (creating only for themself, when creatable allows).
func ownedPolicy(f rowFilter, staffRole viewer.Role, creatable func(*viewer.Viewer, ent.Mutation) bool) ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowRole(staffRole), filterQuery(f)},
		Mutation: privacy.MutationPolicy{
			filterMutation(f, creatable),
		},
	}
}

// staffWritePolicy: everyone reads (filtered by f); only STAFF writes.
func staffWritePolicy(f rowFilter) ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{allowRole(viewer.Staff), filterQuery(f)},
		Mutation: privacy.MutationPolicy{allowRole(viewer.Staff), denyMutation},
	}
}

// publicPolicy is the catalogue's: everyone reads, STAFF writes.
func publicPolicy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysAllowRule()},
		Mutation: privacy.MutationPolicy{allowRole(viewer.Staff), denyMutation},
	}
}

// systemOnlyPolicy: the owner reads their rows (f), nobody but the system
// writes: refresh tokens and identities change only through the auth
// service.
func systemOnlyPolicy(f rowFilter) ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{filterQuery(f)},
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
		Query: privacy.QueryPolicy{allowRole(viewer.Staff), filterQuery(self)},
		Mutation: privacy.MutationPolicy{
			notRoleChange,
			allowRole(viewer.Admin),
			filterMutation(self, nil),
		},
	}
}

// Policy of the Address: the owner's; staff read them for support.
func (Address) Policy() ent.Policy {
	return ownedPolicy(ownedBy("customer_id"), viewer.Staff, createOwn("customer_id"))
}

// Policy of the Cart: the owner's, or a guest cart (no owner).
func (Cart) Policy() ent.Policy {
	return ownedPolicy(cartsOf, viewer.Staff, createOwnOrGuest("customer_id"))
}

// Policy of the CartLine: follows its cart.
func (CartLine) Policy() ent.Policy {
	return ownedPolicy(throughParent("cart_id", "carts", cartsOf), viewer.Staff, anyone)
}

// Policy of the Order: the customer reads their orders, staff all; only
// staff (or the checkout service, as system) write.
func (Order) Policy() ent.Policy { return staffWritePolicy(ordersOf) }

// Policy of the OrderLine: follows its order.
func (OrderLine) Policy() ent.Policy {
	return staffWritePolicy(throughParent("order_id", "orders", ordersOf))
}

// Policy of the OrderEvent: follows its order.
func (OrderEvent) Policy() ent.Policy {
	return staffWritePolicy(throughParent("order_id", "orders", ordersOf))
}

// Policy of the Payment: follows its order.
func (Payment) Policy() ent.Policy {
	return staffWritePolicy(throughParent("order_id", "orders", ordersOf))
}

// Policy of the Notification: follows its order; those without one are
// staff's only.
func (Notification) Policy() ent.Policy {
	return staffWritePolicy(throughParent("order_id", "orders", ordersOf))
}

// Policy of the StockMovement: staff only.
func (StockMovement) Policy() ent.Policy {
	return staffWritePolicy(func(*viewer.Viewer) func(*sql.Selector) { return nothing })
}

// Policy of the Identity: the owner reads; the auth service writes.
func (Identity) Policy() ent.Policy { return systemOnlyPolicy(ownedBy("customer_id")) }

// Policy of the RefreshToken: the owner reads; the auth service writes.
func (RefreshToken) Policy() ent.Policy { return systemOnlyPolicy(ownedBy("customer_id")) }

// Policy of the Category: public catalogue.
func (Category) Policy() ent.Policy { return publicPolicy() }

// Policy of the Product: public catalogue (what shoppers may see of
// drafts and archived products is internal/catalog's rule).
func (Product) Policy() ent.Policy { return publicPolicy() }

// Policy of the ProductVariant: public catalogue.
func (ProductVariant) Policy() ent.Policy { return publicPolicy() }

// Policy of the Sequence: only the system (the checkout service) reads or
// writes counters.
func (Sequence) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{filterQuery(func(*viewer.Viewer) func(*sql.Selector) { return nothing })},
		Mutation: privacy.MutationPolicy{denyMutation},
	}
}
