// Package cost computes the static cost and the shape of a GraphQL
// operation, so that an expensive or abusive query is refused before any
// resolver runs, and the actual cost of what was answered, so that a
// client is charged only for what it received.
//
// The model follows what storefront clients already know from hosted
// commerce APIs:
//
//   - scalars and enums cost 0: they come with the row that holds them;
//   - an entity (an object with an id) costs 1: it is a row to fetch;
//   - a value object without an id (Money, PriceRange, PageInfo) costs 0
//     itself, but its fields still count;
//   - a connection costs 2 plus its page size times the cost of one item;
//     the page size is first or last, or the server's default page size
//     when neither is given;
//   - a plain list costs its expected length times the cost of one item:
//     first or last when the field takes them, ListSize otherwise.
//
// Fragments on the parent type are added; fragments on different concrete
// types (node(id:) asking for several types) count the most expensive one,
// since only one of them can match.
package cost

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Model is the cost model: the sizes assumed for lists whose length the
// query does not say.
type Model struct {
	// DefaultPage is the page size of a connection asked without first or
	// last (the server's default page size).
	DefaultPage int
	// MaxPage caps first and last, as the server refuses larger pages
	// anyway.
	MaxPage int
	// ListSize is the assumed length of a plain list without first or last
	// (a product's variants, a category's children).
	ListSize int
}

// DefaultModel is the model matching the server's pagination: 20 items a
// page by default, at most 100, and plain lists of three: the lists a row
// owns (variants, order lines, payments, subcategories) are short.
func DefaultModel() Model { return Model{DefaultPage: 20, MaxPage: 100, ListSize: 3} }

// Shape is what the static analysis of one operation found.
type Shape struct {
	// Cost is the requested cost: the most the operation can cost.
	Cost int
	// Depth is the deepest nesting of fields with selections.
	Depth int
	// Aliases counts fields asked under an alias.
	Aliases int
	// RootFields counts the operation's top-level fields.
	RootFields int
}

// Measure computes the shape of op, a validated operation on schema, with
// the request's variables. It allocates only for fragments on several
// concrete types, so it costs microseconds even for large documents.
func (m Model) Measure(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) Shape {
	w := walker{m: m, schema: schema, vars: vars}
	var s Shape
	s.RootFields = countFields(op.SelectionSet)
	s.Cost = w.selections(op.SelectionSet, rootName(op), 1, &s)
	return s
}

type walker struct {
	m      Model
	schema *ast.Schema
	vars   map[string]any
}

func rootName(op *ast.OperationDefinition) string {
	switch op.Operation {
	case ast.Mutation:
		return "Mutation"
	case ast.Subscription:
		return "Subscription"
	}
	return "Query"
}

// countFields counts the fields of a selection set, fragments expanded.
func countFields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += countFields(sel.SelectionSet)
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				n += countFields(sel.Definition.SelectionSet)
			}
		}
	}
	return n
}

// fragment returns the type condition and selections of an inline
// fragment or a fragment spread.
func fragment(sel ast.Selection) (string, ast.SelectionSet, bool) {
	switch sel := sel.(type) {
	case *ast.InlineFragment:
		return sel.TypeCondition, sel.SelectionSet, true
	case *ast.FragmentSpread:
		if sel.Definition != nil {
			return sel.Definition.TypeCondition, sel.Definition.SelectionSet, true
		}
	}
	return "", nil, false
}

// applies reports whether a fragment on cond always applies to an object
// of type parent: the same type, or an interface or union it belongs to.
func (w walker) applies(cond, parent string) bool {
	if cond == "" || cond == parent {
		return true
	}
	def := w.schema.Types[cond]
	return def != nil && def.IsAbstractType() && w.schema.GetPossibleTypes(def) != nil && w.implements(parent, def)
}

func (w walker) implements(parent string, abstract *ast.Definition) bool {
	for _, t := range w.schema.GetPossibleTypes(abstract) {
		if t.Name == parent {
			return true
		}
	}
	return false
}

// selections returns the cost of a selection set on the type named
// parent, at the given depth, and records depth and aliases in s.
func (w walker) selections(set ast.SelectionSet, parent string, depth int, s *Shape) int {
	total := 0
	var branches map[string]int // cost per other type condition
	for _, sel := range set {
		if f, ok := sel.(*ast.Field); ok {
			total += w.field(f, depth, s)
			continue
		}
		cond, sub, ok := fragment(sel)
		if !ok {
			continue
		}
		c := w.selections(sub, cond, depth, s)
		if w.applies(cond, parent) {
			total += c
			continue
		}
		if branches == nil {
			branches = map[string]int{}
		}
		branches[cond] += c
	}
	most := 0
	for _, c := range branches {
		most = max(most, c)
	}
	return total + most
}

// field returns the cost of one field and everything below it.
func (w walker) field(f *ast.Field, depth int, s *Shape) int {
	if f.Alias != "" && f.Alias != f.Name {
		s.Aliases++
	}
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") || len(f.SelectionSet) == 0 {
		// Scalars and enums come with their row. Introspection answers
		// from memory and is switched off in production.
		return 0
	}
	s.Depth = max(s.Depth, depth)
	typ := f.Definition.Type
	named := typ.Name()
	switch {
	case w.isConnection(typ):
		n := w.size(f, w.m.DefaultPage)
		return 2 + n*w.connectionItem(f.SelectionSet, named, depth+1, s)
	case typ.Elem != nil:
		return w.size(f, w.m.ListSize) * w.object(f.SelectionSet, named, depth, s)
	default:
		return w.object(f.SelectionSet, named, depth, s)
	}
}

// object is the cost of one object of type named: 1 for an entity, 0 for
// a value object, plus its fields.
func (w walker) object(set ast.SelectionSet, named string, depth int, s *Shape) int {
	c := w.selections(set, named, depth+1, s)
	if w.isEntity(named) {
		c++
	}
	return c
}

// connectionItem is the cost of one item of a connection: what edges and
// nodes ask for, once. totalCount and pageInfo are in the connection's
// base cost.
func (w walker) connectionItem(set ast.SelectionSet, parent string, depth int, s *Shape) int {
	total := 0
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			if _, sub, ok := fragment(sel); ok {
				total += w.connectionItem(sub, parent, depth, s)
			}
			continue
		}
		if f.Alias != "" && f.Alias != f.Name {
			s.Aliases++
		}
		if f.Definition == nil || len(f.SelectionSet) == 0 {
			continue
		}
		s.Depth = max(s.Depth, depth)
		named := f.Definition.Type.Name()
		switch f.Name {
		case "edges", "nodes":
			total += w.object(f.SelectionSet, named, depth, s)
		default:
			w.object(f.SelectionSet, named, depth, s)
		}
	}
	return total
}

// size is the number of items a list or connection field asks for.
func (w walker) size(f *ast.Field, def int) int {
	n := def
	if len(f.Arguments) > 0 {
		args := f.ArgumentMap(w.vars)
		for _, k := range [...]string{"first", "last"} {
			if v, ok := toInt(args[k]); ok && v >= 0 {
				n = v
				break
			}
		}
	}
	if w.m.MaxPage > 0 && n > w.m.MaxPage {
		n = w.m.MaxPage
	}
	return n
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case int32:
		return int(v), true
	case float64:
		return int(v), true
	}
	return 0, false
}

// isConnection reports whether a type is a Relay connection.
func (w walker) isConnection(t *ast.Type) bool {
	if t.Elem != nil {
		return false
	}
	def := w.schema.Types[t.Name()]
	return def != nil && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("pageInfo") != nil
}

// isEntity reports whether a type is a row: it has an id.
func (w walker) isEntity(name string) bool {
	def := w.schema.Types[name]
	return def != nil && (def.IsAbstractType() || def.Fields.ForName("id") != nil)
}
