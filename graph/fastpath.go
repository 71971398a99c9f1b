package graph

import (
	"context"
	"io"
	"strings"

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

// marshalProductEdges marshals a page of products. The page's resolver
// loads what its products' variants and category need up front
// (primeVariants, field collection): when every product has all of its
// selected concurrent fields loaded and nothing deeper waits, the edges
// are marshalled in turn, like marshalList's.
func (ec *executionContext) marshalProductEdges(ctx context.Context, sel ast.SelectionSet, edges []*ent.ProductEdge, marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if len(edges) < 2 || !edgesLoaded(ctx, sel, edges) {
		return ec.marshalList(ctx, sel, len(edges), marshal)
	}
	ret := make(graphql.Array, len(edges))
	for i := range ret {
		ret[i] = marshalElement(ctx, i, marshal)
	}
	return ret
}

// edgesLoaded reports whether the selection of a page's edges waits for
// nothing: see marshalProductEdges.
func edgesLoaded(ctx context.Context, sel ast.SelectionSet, edges []*ent.ProductEdge) bool {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	return eachField(sel, func(f *ast.Field) bool {
		switch f.Name {
		case "__typename", "cursor":
			return true
		case "node":
			return eachField(f.SelectionSet, func(f *ast.Field) bool {
				if f.ObjectDefinition == nil || f.ObjectDefinition.Name != "Product" {
					return f.Name == "__typename"
				}
				if concurrentFields["Product"][f.Name] {
					for _, e := range edges {
						if e.Node != nil && !productFieldLoaded(l, f.Name, e.Node) {
							return false
						}
					}
				}
				return neverWaits(f.SelectionSet)
			})
		}
		return false
	})
}

// eachField calls fn with the fields of sel, those of its fragments
// included, while fn returns true; it reports whether fn always did.
func eachField(sel ast.SelectionSet, fn func(*ast.Field) bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !fn(s) {
				return false
			}
		case *ast.InlineFragment:
			if !eachField(s.SelectionSet, fn) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || !eachField(s.Definition.SelectionSet, fn) {
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
	if p, ok := obj.(*ent.Product); ok {
		if typ, name, _ := strings.Cut(field, "."); typ == "Product" {
			l, _ := ctx.Value(loadersKey{}).(*loaders)
			return productFieldLoaded(l, name, p)
		}
	}
	return false
}

// productFieldLoaded reports whether the resolver of the product's field
// can answer at once, from the page's variants (l may be nil) or the
// category loaded with the product.
func productFieldLoaded(l *loaders, field string, p *ent.Product) bool {
	switch field {
	case "variants", "availableForSale":
		if l == nil {
			return false
		}
		_, ok := l.pageVariants.get(p.ID)
		return ok
	case "category":
		_, err := p.Edges.CategoryOrErr()
		return err == nil
	}
	return false
}

// deferredGroup is graphql.NewDeferredGroup for an object one of whose
// fields is @defer'ed, and an empty group otherwise: the generated code
// only reads the group through such a field (ResolveConcurrently) and
// through len(deferred.Defers), which is 0 either way. gqlgen's builds
// the object's path, a field set and a map for every object.
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// objectJSON writes an object's fields, in order, as gqlgen's
// FieldSet.MarshalGQL does: each response key once (the first), the
// values the object's marshaller computed. Response keys are GraphQL
// names, which need no escaping.
type objectJSON struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o *objectJSON) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	first := true
	for i := range o.fields {
		key := o.fields[i].Alias
		if written(o.fields[:i], key) {
			continue
		}
		if !first {
			_, _ = io.WriteString(w, ",")
		}
		first = false
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, key)
		_, _ = io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

// written reports whether a field before has the response key.
func written(before []graphql.CollectedField, key string) bool {
	for i := range before {
		if before[i].Alias == key {
			return true
		}
	}
	return false
}
