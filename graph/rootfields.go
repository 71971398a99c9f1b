package graph

import "github.com/vektah/gqlparser/v2/ast"

// rootFields returns the root fields an operation runs, as the executor
// will run them: looking through inline fragments and fragment spreads,
// and merged by response key (the alias, or the name), so a field that
// two fragments both select counts once. Each named fragment is read
// once, so a document whose fragments spread one another many times is
// walked in time linear in its size. Every extension that asks "which
// root fields does this operation have?" asks here.
func rootFields(op *ast.OperationDefinition) []*ast.Field {
	var out []*ast.Field
	keys := map[string]bool{}
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				if !keys[key] {
					keys[key] = true
					out = append(out, sel)
				}
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				if sel.Definition != nil && !seen[sel.Name] {
					seen[sel.Name] = true
					walk(sel.Definition.SelectionSet)
				}
			}
		}
	}
	if op != nil {
		walk(op.SelectionSet)
	}
	return out
}

// hasRootField reports whether op runs a root field of one of the names.
func hasRootField(op *ast.OperationDefinition, names ...string) bool {
	for _, f := range rootFields(op) {
		for _, n := range names {
			if f.Name == n {
				return true
			}
		}
	}
	return false
}
