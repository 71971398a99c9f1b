package cost

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// Actual computes what an answered operation cost, by the same rules as
// Measure but counting the items the response really holds: a page of 3
// products costs 3 items, not first: 20. data is the decoded response
// data (objects as map[string]any, lists as []any).
func (m Model) Actual(schema *ast.Schema, op *ast.OperationDefinition, data map[string]any) int {
	w := walker{m: m, schema: schema}
	return w.actualSet(op.SelectionSet, rootName(op), data)
}

// actualSet is the cost of the answered fields of one object. Fragments on
// another type than the answer's own are skipped by the lookup: their
// fields are simply absent from obj.
func (w walker) actualSet(set ast.SelectionSet, parent string, obj map[string]any) int {
	total := 0
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			if cond, sub, ok := fragment(sel); ok {
				if tn := typename(obj); tn == "" || tn == cond || w.applies(cond, parent) {
					total += w.actualSet(sub, parent, obj)
				}
			}
			continue
		}
		if f.Definition == nil || len(f.SelectionSet) == 0 || len(f.Name) > 1 && f.Name[:2] == "__" {
			continue
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		v, ok := obj[key]
		if !ok || v == nil {
			continue
		}
		named := f.Definition.Type.Name()
		switch {
		case w.isConnection(f.Definition.Type):
			total += 2 + w.actualConnection(f.SelectionSet, v)
		default:
			total += w.actualValue(f.SelectionSet, named, v)
		}
	}
	return total
}

// actualValue is the cost of an object or a (nested) list of objects.
func (w walker) actualValue(set ast.SelectionSet, named string, v any) int {
	switch v := v.(type) {
	case []any:
		total := 0
		for _, item := range v {
			total += w.actualValue(set, named, item)
		}
		return total
	case map[string]any:
		c := w.actualSet(set, named, v)
		if w.isEntity(named) {
			c++
		}
		return c
	}
	return 0
}

// actualConnection is the cost of the items a connection answered.
func (w walker) actualConnection(set ast.SelectionSet, v any) int {
	obj, ok := v.(map[string]any)
	if !ok {
		return 0
	}
	total := 0
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			if _, sub, ok := fragment(sel); ok {
				total += w.actualConnection(sub, v)
			}
			continue
		}
		if f.Definition == nil || (f.Name != "edges" && f.Name != "nodes") {
			continue
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		total += w.actualValue(f.SelectionSet, f.Definition.Type.Name(), obj[key])
	}
	return total
}

func typename(obj map[string]any) string {
	s, _ := obj["__typename"].(string)
	return s
}
