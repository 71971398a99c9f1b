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
//     first or last when the field takes them, else the length of the list
//     of IDs it is asked for (nodes(ids:)), else ListSize;
//   - a filter (a where argument) adds one per term.
//
// Fragments on the parent type are added; fragments on different concrete
// types (node(id:) asking for several types) count the most expensive one,
// since only one of them can match. Each named fragment is measured once
// and its contribution reused at every spread, so measuring is linear in
// the document however its fragments multiply.
package cost

import (
	"encoding/json"
	"fmt"
	"math"
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

// Limits bound the shape of one operation. Measure stops at the first
// limit passed, so that refusing a hostile document costs no more than
// reading it. A zero field is no bound.
type Limits struct {
	// Cost bounds the requested cost.
	Cost int
	// Depth bounds the nesting of fields with selections.
	Depth int
	// Aliases bounds the fields asked under an alias.
	Aliases int
	// RootFields bounds the operation's top-level fields.
	RootFields int
	// Fields bounds the fields of the operation once its fragments are
	// expanded. A document whose fragments each spread the previous one
	// twice is small on the wire and astronomically large expanded; this
	// bound keeps every later walk of it (the executor's, the actual
	// cost's) as small as the document.
	Fields int
	// WhereDepth bounds the nesting of a filter argument (an input object
	// whose type is named ...WhereInput): each not, and, or and has...With
	// is one level.
	WhereDepth int
	// WhereTerms bounds the terms of a filter argument: every predicate
	// value (each item of an In list counting one) and every nested
	// filter.
	WhereTerms int
}

// Limit names one of the bounds of Limits, or the model's cap on list
// arguments.
type Limit int

// The limits an operation can pass.
const (
	LimitCost Limit = iota + 1
	LimitDepth
	LimitAliases
	LimitRootFields
	LimitFields
	// LimitItems: a list argument that sizes a list (nodes(ids:)) is
	// longer than the model's MaxPage.
	LimitItems
	LimitWhereDepth
	LimitWhereTerms
)

// Excess is the error of Measure for an operation past a limit.
type Excess struct {
	Limit Limit
	// Value is what the operation had reached when the measure stopped:
	// a lower bound of the whole.
	Value int
	// Max is the limit passed.
	Max int
	// Field and Arg name the field and argument, for the limits on
	// arguments (LimitItems, LimitWhereDepth, LimitWhereTerms).
	Field, Arg string
}

func (e *Excess) Error() string {
	switch e.Limit {
	case LimitCost:
		if e.Value >= ceiling {
			return fmt.Sprintf("the query costs more than %d, the limit", e.Max)
		}
		return fmt.Sprintf("the query costs %d, more than the limit of %d", e.Value, e.Max)
	case LimitDepth:
		return fmt.Sprintf("the query is nested deeper than the limit of %d", e.Max)
	case LimitAliases:
		return fmt.Sprintf("the query has more than %d aliases, the limit", e.Max)
	case LimitRootFields:
		return fmt.Sprintf("the query has more than %d root fields, the limit", e.Max)
	case LimitFields:
		return fmt.Sprintf("the query has more than %d fields once its fragments are expanded, the limit", e.Max)
	case LimitItems:
		return fmt.Sprintf("argument %q of %s has %d items, more than the limit of %d", e.Arg, e.Field, e.Value, e.Max)
	case LimitWhereDepth:
		return fmt.Sprintf("argument %q of %s nests filters deeper than the limit of %d levels", e.Arg, e.Field, e.Max)
	case LimitWhereTerms:
		return fmt.Sprintf("argument %q of %s has more than %d terms, the limit", e.Arg, e.Field, e.Max)
	}
	return "the query is over a limit"
}

// Input reports whether the excess is in the request's arguments (a filter
// too large, too many IDs), which the client must change, rather than in
// the shape of the document.
func (e *Excess) Input() bool { return e.Limit >= LimitItems }

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
	// Fields counts the operation's fields, fragments expanded.
	Fields int
}

// ceiling caps every count, so that a count the document multiplies
// beyond any limit saturates instead of overflowing.
const ceiling = math.MaxInt32

func add(a, b int) int { return min(a+b, ceiling) }

func mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > ceiling/b {
		return ceiling
	}
	return min(a*b, ceiling)
}

// Measure computes the shape of op, a validated operation on schema, with
// the request's variables, and returns an *Excess as soon as the operation
// passes one of lim. Each fragment is walked once and its contribution
// reused wherever it is spread, so the time taken is linear in the size
// of the document, whatever its fragments multiply to. On an Excess the
// shape holds what was measured until then.
func (m Model) Measure(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any, lim Limits) (Shape, error) {
	w := walker{m: m, schema: schema, vars: vars, lim: lim}
	t := w.selections(op.SelectionSet, rootName(op), 1)
	s := Shape{Cost: t.cost, Depth: t.depth, Aliases: w.aliases, RootFields: t.fields, Fields: w.fields}
	if w.err == nil {
		// The root is checked as it is walked; this catches the last
		// field's contribution.
		w.root(t)
	}
	if w.err != nil {
		return s, w.err
	}
	return s, nil
}

type walker struct {
	m      Model
	schema *ast.Schema
	vars   map[string]any
	lim    Limits

	// aliases and fields count over the whole walk; fragments add what
	// they counted the first time they were walked.
	aliases, fields int
	memo            map[memoKey]memo
	err             *Excess
}

// tally is what a selection set contributes.
type tally struct {
	cost int
	// depth is the nesting of fields with selections below the set, itself
	// included: 0 for a set of scalars, 1 for a set with an object field
	// of scalars.
	depth int
	// fields counts the set's own fields, fragments expanded: the root
	// fields, for the root set.
	fields int
}

func (t *tally) add(u tally) {
	t.cost = add(t.cost, u.cost)
	t.depth = max(t.depth, u.depth)
	t.fields = add(t.fields, u.fields)
}

// memoKey names a fragment walked as a selection set of its type
// (item false) or as the selections of a connection (item true).
type memoKey struct {
	name string
	item bool
}

// memo is a fragment's contribution: its tally, and the aliases and
// fields it added to the walk's counts.
type memo struct {
	tally
	aliases, fields int
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

// over records the first limit passed; the walk unwinds from there.
func (w *walker) over(l Limit, value, limit int) {
	if w.err == nil {
		w.err = &Excess{Limit: l, Value: value, Max: limit}
	}
}

// passed reports whether value passes limit, which is no bound when zero.
func passed(value, limit int) bool { return limit > 0 && value > limit }

// root checks the running totals of the root selection set.
func (w *walker) root(t tally) {
	switch {
	case passed(t.cost, w.lim.Cost):
		w.over(LimitCost, t.cost, w.lim.Cost)
	case passed(t.fields, w.lim.RootFields):
		w.over(LimitRootFields, t.fields, w.lim.RootFields)
	}
}

// counted adds one field, aliased or not, to the walk's counts.
func (w *walker) counted(f *ast.Field) {
	w.fields = add(w.fields, 1)
	if passed(w.fields, w.lim.Fields) {
		w.over(LimitFields, w.fields, w.lim.Fields)
	}
	if f.Alias != "" && f.Alias != f.Name {
		w.aliases = add(w.aliases, 1)
		if passed(w.aliases, w.lim.Aliases) {
			w.over(LimitAliases, w.aliases, w.lim.Aliases)
		}
	}
}

// deep checks a field with selections at depth, or a fragment whose
// deepest field is there.
func (w *walker) deep(depth int) {
	if passed(depth, w.lim.Depth) {
		w.over(LimitDepth, depth, w.lim.Depth)
	}
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

// spread returns the tally of a fragment at depth: walked by walk the
// first time a named fragment is met, reused afterwards. Inline fragments
// are part of the document's text, so walking each where it stands is
// linear already.
func (w *walker) spread(sel ast.Selection, item bool, depth int, walk func() tally) tally {
	fs, ok := sel.(*ast.FragmentSpread)
	if !ok {
		return walk()
	}
	key := memoKey{name: fs.Name, item: item}
	if m, ok := w.memo[key]; ok {
		w.aliases = add(w.aliases, m.aliases)
		w.fields = add(w.fields, m.fields)
		switch {
		case passed(w.fields, w.lim.Fields):
			w.over(LimitFields, w.fields, w.lim.Fields)
		case passed(w.aliases, w.lim.Aliases):
			w.over(LimitAliases, w.aliases, w.lim.Aliases)
		case m.depth > 0:
			w.deep(depth + m.depth - 1)
		}
		return m.tally
	}
	aliases, fields := w.aliases, w.fields
	t := walk()
	if w.memo == nil {
		w.memo = map[memoKey]memo{}
	}
	w.memo[key] = memo{tally: t, aliases: w.aliases - aliases, fields: w.fields - fields}
	return t
}

// applies reports whether a fragment on cond always applies to an object
// of type parent: the same type, or an interface or union it belongs to.
func (w *walker) applies(cond, parent string) bool {
	if cond == "" || cond == parent {
		return true
	}
	def := w.schema.Types[cond]
	return def != nil && def.IsAbstractType() && w.implements(parent, def)
}

func (w *walker) implements(parent string, abstract *ast.Definition) bool {
	for _, t := range w.schema.GetPossibleTypes(abstract) {
		if t.Name == parent {
			return true
		}
	}
	return false
}

// selections returns the tally of a selection set on the type named
// parent whose fields are at the given depth.
func (w *walker) selections(set ast.SelectionSet, parent string, depth int) tally {
	var t tally
	var branches map[string]int // cost per other type condition
	for _, sel := range set {
		if f, ok := sel.(*ast.Field); ok {
			t.add(w.field(f, depth))
			t.fields = add(t.fields, 1)
		} else if cond, sub, ok := fragment(sel); ok {
			if cond == "" {
				cond = parent
			}
			c := w.spread(sel, false, depth, func() tally { return w.selections(sub, cond, depth) })
			if w.applies(cond, parent) {
				t.add(c)
			} else {
				t.depth = max(t.depth, c.depth)
				t.fields = add(t.fields, c.fields)
				if branches == nil {
					branches = map[string]int{}
				}
				branches[cond] = add(branches[cond], c.cost)
			}
		}
		if depth == 1 && w.err == nil {
			w.root(t)
		}
		if w.err != nil {
			return t
		}
	}
	most := 0
	for _, c := range branches {
		most = max(most, c)
	}
	t.cost = add(t.cost, most)
	return t
}

// field returns the tally of one field and everything below it, at depth.
func (w *walker) field(f *ast.Field, depth int) tally {
	w.counted(f)
	if w.err != nil || f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		// Introspection answers from memory and is switched off in
		// production.
		return tally{}
	}
	var args map[string]any
	if len(f.Arguments) > 0 {
		args = f.ArgumentMap(w.vars)
	}
	filter := w.filters(f, args)
	if w.err != nil || len(f.SelectionSet) == 0 {
		// Scalars and enums come with their row.
		return tally{cost: filter}
	}
	w.deep(depth)
	if w.err != nil {
		return tally{}
	}
	typ := f.Definition.Type
	named := typ.Name()
	var t tally
	switch {
	case w.isConnection(typ):
		n := w.size(f, args, w.m.DefaultPage)
		item := w.connectionItem(f.SelectionSet, named, depth+1)
		t = tally{cost: add(2, mul(n, item.cost)), depth: item.depth}
	case typ.Elem != nil:
		n := w.size(f, args, w.m.ListSize)
		o := w.object(f.SelectionSet, named, depth)
		t = tally{cost: mul(n, o.cost), depth: o.depth}
	default:
		t = w.object(f.SelectionSet, named, depth)
	}
	t.depth++
	t.cost = add(t.cost, filter)
	t.fields = 0 // the caller counts the field itself
	return t
}

// object is the tally of one object of type named below a field at depth:
// it costs 1 for an entity, 0 for a value object, plus its fields.
func (w *walker) object(set ast.SelectionSet, named string, depth int) tally {
	t := w.selections(set, named, depth+1)
	if w.isEntity(named) {
		t.cost = add(t.cost, 1)
	}
	return t
}

// connectionItem is the tally of one item of a connection, whose fields
// are at depth: what edges and nodes ask for, once. totalCount and
// pageInfo are in the connection's base cost.
func (w *walker) connectionItem(set ast.SelectionSet, parent string, depth int) tally {
	var t tally
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			if _, sub, ok := fragment(sel); ok {
				t.add(w.spread(sel, true, depth, func() tally { return w.connectionItem(sub, parent, depth) }))
			}
		} else if w.counted(f); w.err == nil && f.Definition != nil && len(f.SelectionSet) > 0 {
			if w.deep(depth); w.err != nil {
				return t
			}
			o := w.object(f.SelectionSet, f.Definition.Type.Name(), depth)
			o.depth++
			if f.Name != "edges" && f.Name != "nodes" {
				o.cost = 0
			}
			t.add(o)
		}
		if w.err != nil {
			return t
		}
	}
	return t
}

// size is the number of items a list or connection field asks for: first
// or last, else the length of a list of IDs it takes (nodes(ids:)), else
// def. first and last are capped at MaxPage as the server caps pages; a
// list of IDs is not, so a longer one is an Excess.
func (w *walker) size(f *ast.Field, args map[string]any, def int) int {
	for _, k := range [...]string{"first", "last"} {
		if v, ok := toInt(args[k]); ok && v >= 0 {
			return min(v, w.pageCap(v))
		}
	}
	for _, a := range f.Definition.Arguments {
		if a.Type.Elem == nil || a.Type.Elem.Name() != "ID" {
			continue
		}
		ids, ok := args[a.Name].([]any)
		if !ok {
			continue
		}
		if w.m.MaxPage > 0 && len(ids) > w.m.MaxPage && w.err == nil {
			w.err = &Excess{Limit: LimitItems, Value: len(ids), Max: w.m.MaxPage, Field: f.Name, Arg: a.Name}
		}
		return len(ids)
	}
	return min(def, w.pageCap(def))
}

func (w *walker) pageCap(n int) int {
	if w.m.MaxPage > 0 {
		return w.m.MaxPage
	}
	return n
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(min(v, ceiling)), true
	case int32:
		return int(v), true
	case float64:
		return int(min(v, ceiling)), true
	case json.Number:
		n, err := v.Int64()
		return int(min(n, ceiling)), err == nil
	}
	return 0, false
}

// isConnection reports whether a type is a Relay connection.
func (w *walker) isConnection(t *ast.Type) bool {
	if t.Elem != nil {
		return false
	}
	def := w.schema.Types[t.Name()]
	return def != nil && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("pageInfo") != nil
}

// isEntity reports whether a type is a row: it has an id.
func (w *walker) isEntity(name string) bool {
	def := w.schema.Types[name]
	return def != nil && (def.IsAbstractType() || def.Fields.ForName("id") != nil)
}

// filters returns the terms of a field's filter arguments, which add to
// its cost, and refuses a filter nested deeper or with more terms than the
// limits: each term is a condition in the SQL, each level a subquery.
func (w *walker) filters(f *ast.Field, args map[string]any) int {
	terms := 0
	for _, a := range f.Definition.Arguments {
		def := w.schema.Types[a.Type.Name()]
		if def == nil || def.Kind != ast.InputObject || !strings.HasSuffix(def.Name, "WhereInput") || args[a.Name] == nil {
			continue
		}
		fw := filterWalk{schema: w.schema, lim: w.lim}
		fw.object(def, args[a.Name], 0)
		if fw.err != nil {
			fw.err.Field, fw.err.Arg = f.Name, a.Name
			if w.err == nil {
				w.err = fw.err
			}
			return terms
		}
		terms = add(terms, fw.terms)
	}
	return terms
}

// filterWalk walks one filter argument's value.
type filterWalk struct {
	schema *ast.Schema
	lim    Limits
	terms  int
	err    *Excess
}

// object walks a filter object of type def at nesting level, in the
// order of the type's fields so that the first excess found is the same
// for the same input.
func (fw *filterWalk) object(def *ast.Definition, v any, level int) {
	if passed(level, fw.lim.WhereDepth) {
		fw.err = &Excess{Limit: LimitWhereDepth, Value: level, Max: fw.lim.WhereDepth}
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, fd := range def.Fields {
		x, ok := obj[fd.Name]
		if !ok || x == nil {
			continue
		}
		sub := fw.schema.Types[fd.Type.Name()]
		nested := sub != nil && sub.Kind == ast.InputObject
		items, ok := x.([]any)
		if !ok {
			items = []any{x}
		}
		for _, item := range items {
			if fw.terms++; passed(fw.terms, fw.lim.WhereTerms) {
				fw.err = &Excess{Limit: LimitWhereTerms, Value: fw.terms, Max: fw.lim.WhereTerms}
				return
			}
			if nested {
				if fw.object(sub, item, level+1); fw.err != nil {
					return
				}
			}
		}
	}
}
