package graph

import (
	"context"
	"errors"

	"entgo.io/ent/privacy"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
)

// money shows integer minor units in the store's currency.
func (r *Resolver) money(minor int64) *model.Money {
	return model.NewMoney(minor, r.currency)
}

// byIDOrSlug builds the lookup of a root field that takes exactly one of
// an ID and a slug.
func byIDOrSlug[P any](id, slug *string, byID func(int) P, bySlug func(string) P) (P, error) {
	var zero P
	switch {
	case id != nil && slug == nil:
		n, err := scalar.DecodeID(*id)
		if err != nil {
			return zero, err
		}
		return byID(n), nil
	case slug != nil && id == nil:
		return bySlug(*slug), nil
	default:
		return zero, badInput("give exactly one of id and slug")
	}
}

// orNil turns "not found" into a null result, as the contract asks of
// lookups by ID or slug.
func orNil[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

// visibleNodes resolves global IDs to objects, in the order asked,
// answering null for IDs that do not exist and for objects the viewer may
// not see. ent's Noders loads each type in one query, through the ent
// privacy policies (another customer's row is simply not found) and field
// collection; on top of that, only types the graph shows as Node resolve
// (a cart is reached by its token, never by a guessable number), and
// variants obey the storefront's visibility rule, checked for all of them
// in one query.
func (r *Resolver) visibleNodes(ctx context.Context, ids []int) ([]ent.Noder, error) {
	// Noders reports each ID it cannot resolve as an error of the
	// response. Here such an ID is null, as if it did not exist, so its
	// reports go to a response context of their own, which keeps only a
	// failure (the database's, say) for the caller.
	var failed error
	quiet := graphql.WithResponseContext(ctx, func(_ context.Context, err error) *gqlerror.Error {
		if failed == nil && !absent(err) {
			failed = err
		}
		return nil
	}, graphql.DefaultRecover)
	nodes, err := r.db(ctx).Noders(quiet, ids)
	if err == nil {
		err = failed
	}
	switch {
	case err != nil && !absent(err):
		return nil, err
	case nodes == nil:
		nodes = make([]ent.Noder, len(ids)) // one ID, not found
	}
	shown, err := r.shownVariants(ctx, nodes)
	if err != nil {
		return nil, err
	}
	for i, n := range nodes {
		switch n := n.(type) {
		case *ent.Category, *ent.Customer, *ent.Address, *ent.Order, *ent.OrderLine,
			*ent.OrderEvent, *ent.Payment, *ent.Notification, *ent.Product, *ent.Media,
			*ent.Promotion, *ent.Voucher: // Promotion and Voucher: staff's only (ent privacy)
		case *ent.ProductVariant:
			if !shown[n.ID] {
				nodes[i] = nil
			}
		default:
			nodes[i] = nil
		}
	}
	return nodes, nil
}

// absent reports whether an error of Noders means the node is not there
// for this viewer: no such row, an ID of no Node type, or a row the
// privacy rules hide.
func absent(err error) bool {
	var gqlErr *gqlerror.Error
	return ent.IsNotFound(err) || errors.Is(err, privacy.Deny) ||
		errors.As(err, &gqlErr) && gqlErr.Err == nil && gqlErr.Extensions["code"] == CodeNotFound
}

// shownVariants returns which of the variants among nodes the graph shows:
// a variant shows when its product does. HasProductWith applies the
// products' read rule (ent/schema/privacy.go) to the edge.
func (r *Resolver) shownVariants(ctx context.Context, nodes []ent.Noder) (map[int]bool, error) {
	var ids []int
	for _, n := range nodes {
		if v, ok := n.(*ent.ProductVariant); ok {
			ids = append(ids, v.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	visible, err := r.db(ctx).ProductVariant.Query().
		Where(productvariant.IDIn(ids...), productvariant.HasProductWith()).
		IDs(ctx)
	if err != nil {
		return nil, err
	}
	shown := make(map[int]bool, len(visible))
	for _, id := range visible {
		shown[id] = true
	}
	return shown, nil
}

// lineMoney shows an amount of an order line in its order's currency:
// the order's, when loaded with the line, else batched for all the lines
// of the operation.
func (r *Resolver) lineMoney(ctx context.Context, l *ent.OrderLine, minor int64) (*model.Money, error) {
	if o, err := l.Edges.OrderOrErr(); err == nil {
		return model.NewMoney(minor, o.Currency), nil
	}
	currency, err := r.loadersFrom(ctx).currencies().Load(ctx, l.OrderID)
	if err != nil {
		return nil, err
	}
	return model.NewMoney(minor, currency), nil
}

// requested reports whether the query selects the field at path below the
// current field, such as edges → node → availableForSale.
func requested(ctx context.Context, path ...string) bool {
	op := graphql.GetOperationContext(ctx)
	sel := graphql.GetFieldContext(ctx).Field.Selections
	for i, name := range path {
		var next ast.SelectionSet
		found := false
		for _, f := range graphql.CollectFields(op, sel, nil) {
			if f.Name == name {
				found = true
				next = append(next, f.Selections...)
			}
		}
		if !found {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		sel = next
	}
	return false
}
