package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

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

// visibleNodes resolves global IDs to objects, answering null for IDs that
// do not exist and for objects the viewer may not see. Noder's queries go
// through the ent privacy policies, so another customer's row is simply
// not found; on top of that, only types the graph shows as Node resolve
// (a cart is reached by its token, never by a guessable number), and
// products and variants obey the storefront's visibility rule.
func (r *Resolver) visibleNodes(ctx context.Context, ids []int) ([]ent.Noder, error) {
	out := make([]ent.Noder, len(ids))
	for i, id := range ids {
		n, err := r.db(ctx).Noder(ctx, id)
		if err != nil {
			continue // unknown type range, no such row, or not the viewer's: as if it did not exist
		}
		ok, err := r.nodeVisible(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i] = n
		}
	}
	return out, nil
}

// nodeVisible says whether a node the privacy rules let through is one the
// graph shows. A variant shows when its product does: HasProduct applies
// the products' read rule (ent/schema/privacy.go) to the edge.
func (r *Resolver) nodeVisible(ctx context.Context, n ent.Noder) (bool, error) {
	switch n := n.(type) {
	case *ent.Category, *ent.Customer, *ent.Address, *ent.Order, *ent.OrderLine,
		*ent.OrderEvent, *ent.Payment, *ent.Notification, *ent.Product:
		return true, nil
	case *ent.ProductVariant:
		return r.db(ctx).ProductVariant.Query().
			Where(productvariant.ID(n.ID), productvariant.HasProduct()).
			Exist(ctx)
	default:
		return false, nil
	}
}

// orderOf returns the order a line belongs to, loaded or queried.
func (r *Resolver) orderOf(ctx context.Context, l *ent.OrderLine) (*ent.Order, error) {
	if o, err := l.Edges.OrderOrErr(); err == nil {
		return o, nil
	}
	return l.QueryOrder().Only(ctx)
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
