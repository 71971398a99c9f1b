package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/ent"
)

// The runtime half of graph/fastexec, which rewrites gqlgen's generated
// code (graph/generated.go) to call what is below.

// marshalList marshals the n elements of a list of objects selected by sel.
// gqlgen's own graphql.MarshalSliceConcurrently starts a goroutine per
// element, so that resolvers below the elements wait for their loaders
// together; when the query selects no such resolver below the list
// (concurrentFields, graph/fastexec_gen.go), there is nothing to wait for
// and the elements are marshalled in turn, each with the same field
// context (its index) and panic guard.
func (ec *executionContext) marshalList(ctx context.Context, sel ast.SelectionSet, n int, marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if n < 2 || !neverWaits(sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, 0, false, marshal)
	}
	ret := make(graphql.Array, n)
	for i := range ret {
		ret[i] = marshalElement(ctx, i, marshal)
	}
	return ret
}

func marshalElement(ctx context.Context, i int, marshal func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	index := i
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &index})
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ret = graphql.Null
		}
	}()
	return marshal(ctx, i)
}

// neverWaits reports whether sel, and everything selected below it, is
// free of fields gqlgen resolves concurrently. A field of an interface or
// a union counts as one that may wait.
func neverWaits(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object {
				return false
			}
			if concurrentFields[s.ObjectDefinition.Name][s.Name] || !neverWaits(s.SelectionSet) {
				return false
			}
		case *ast.InlineFragment:
			if !neverWaits(s.SelectionSet) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || !neverWaits(s.Definition.SelectionSet) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// loaded reports whether the resolver of field ("Type.field") can answer
// for obj from what is loaded already, without waiting: then it runs on
// the object's goroutine instead of one of its own.
func (ec *executionContext) loaded(ctx context.Context, field string, obj any) bool {
	switch field {
	case "Product.variants", "Product.availableForSale":
		l, _ := ctx.Value(loadersKey{}).(*loaders)
		if l == nil {
			return false
		}
		_, ok := l.pageVariants.get(obj.(*ent.Product).ID)
		return ok
	case "Product.category":
		_, err := obj.(*ent.Product).Edges.CategoryOrErr()
		return err == nil
	}
	return false
}
