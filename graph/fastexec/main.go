// Command fastexec rewrites gqlgen's generated executor (graph/generated.go)
// to do less work per field and per list element, without changing any
// answer. go generate runs it right after gqlgen (generate.go); it is
// deterministic, and leaves a file it has rewritten already alone.
//
//	go run ./graph/fastexec
//
// Five rewrites, each limited to code whose behaviour it keeps:
//
//  1. Plain leaves. A scalar or enum field read straight off the loaded
//     object (`obj.Name`, a non-pointer Go value, no directive) whose
//     marshaller cannot fail is marshalled directly, without gqlgen's
//     field context, middleware chain, panic guard and boxing. Field
//     middleware (graph/tracing.go, graph/audit.go) only acts on resolver
//     and root mutation fields, so it sees no difference.
//  2. Computed resolvers. The resolver fields in syncResolvers compute
//     from the object and never wait (a price from minor units in the
//     store's currency): gqlgen would give each its own goroutine when an
//     object has two such fields. They run on the object's goroutine,
//     unless the field is @defer'ed.
//     The resolver fields in loadedResolvers may wait, but not when what
//     they return is loaded already (a page of products loads its
//     products' variants and categories up front): they run on the
//     object's goroutine when ec.loaded (graph/fastpath.go) says so.
//  3. Lists of objects. gqlgen marshals every element of a list of objects
//     on a goroutine of its own (graphql.MarshalSliceConcurrently).
//     The lists go through marshalList (graph/fastlist.go) instead, which
//     marshals the elements in turn when nothing the query selects below
//     them can wait (concurrentFields, written to graph/fastexec_gen.go:
//     the fields still resolved concurrently after rewrite 2), and
//     otherwise calls gqlgen's own function. A page of products
//     (marshalProductEdges) also counts the fields in loadedResolvers as
//     never waiting when every product on it has them loaded.
//  4. @defer groups. gqlgen builds a group for the deferred fields of
//     every object it marshals, with the object's path; deferredGroup
//     (graph/fastpath.go) builds it only for an object with a deferred
//     field, and gives the others an empty one, which nothing reads.
//  5. Objects' JSON. gqlgen writes an object's fields through iterators
//     and a map of the keys written so far, allocated per object;
//     objectJSON (graph/fastpath.go) writes the same bytes without them.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"sort"
	"strings"
)

const (
	// marker is in every comment the rewrites leave.
	marker    = "(graph/fastexec)"
	generated = "graph/generated.go"
	table     = "graph/fastexec_gen.go"
)

// syncResolvers are the resolver fields that only compute from their
// object: they never wait for a loader or the database.
var syncResolvers = map[string]bool{
	"ProductVariant.price":          true,
	"ProductVariant.compareAtPrice": true,
	"Product.priceRange":            true,
}

// loadedResolvers are the resolver fields that answer at once when
// ec.loaded (graph/fastpath.go) reports their data loaded.
var loadedResolvers = map[string]bool{
	"Product.variants":         true,
	"Product.availableForSale": true,
	"Product.category":         true,
}

// methodLeaves are the leaves read through a method of the loaded object
// without arguments that computes from its fields and cannot panic.
var methodLeaves = map[string]bool{
	"ProductVariant.quantityAvailable": true,
}

// infallible are the scalar marshallers that never return null and never
// fail while writing, so a leaf marshalled with them needs no field
// context to report an error against.
var infallible = map[string]bool{
	"graphql.MarshalBoolean": true,
	"graphql.MarshalInt":     true,
	"graphql.MarshalInt32":   true,
	"graphql.MarshalInt64":   true,
	"graphql.MarshalString":  true,
	"graphql.MarshalID":      true,
	"graphql.MarshalIntID":   true,
	"scalar.MarshalString":   true,
	"scalar.MarshalID":       true,
	"scalar.MarshalIntID":    true,
	"scalar.MarshalAmount":   true,
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fastexec:", err)
		os.Exit(1)
	}
}

type edit struct {
	start, end int
	text       string
}

func run() error {
	src, err := os.ReadFile(generated)
	if err != nil {
		return err
	}
	if bytes.Contains(src, []byte(marker)) {
		fmt.Println("fastexec: " + generated + " is rewritten already (gqlgen generate writes it afresh)")
		return nil
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, generated, src, parser.ParseComments)
	if err != nil {
		return err
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	text := func(n ast.Node) string { return string(src[off(n.Pos()):off(n.End())]) }

	safe := infallibleMarshallers(file, text)
	var edits []edit
	concurrent := map[string][]string{}
	var leaves, syncs, lists, groups, writers int
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Body == nil {
			continue
		}
		name := fn.Name.Name
		switch {
		case strings.HasPrefix(name, "_") && strings.Count(name, "_") == 2:
			// _Object_field
			if e, ok := plainLeaf(fn, safe, text, off); ok {
				edits = append(edits, e)
				leaves++
			}
		case strings.HasPrefix(name, "_") && strings.Count(name, "_") == 1:
			// _Object: the object's field switch.
			object := strings.TrimPrefix(name, "_")
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && text(as) == "deferred := graphql.NewDeferredGroup(ctx)" {
					edits = append(edits, edit{off(as.Pos()), off(as.End()), "deferred := deferredGroup(ctx, fields)"})
					groups++
					return true
				}
				if rs, ok := n.(*ast.ReturnStmt); ok && text(rs) == "return out" && rs.End() == fn.Body.List[len(fn.Body.List)-1].End() {
					edits = append(edits, edit{off(rs.Pos()), off(rs.End()), "return &objectJSON{fields: fields, values: out.Values}"})
					writers++
					return true
				}
				cc, ok := n.(*ast.CaseClause)
				if !ok || len(cc.List) != 1 {
					return true
				}
				lit, ok := cc.List[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				field := strings.Trim(lit.Value, `"`)
				call := resolveConcurrently(cc)
				if call == nil {
					return true
				}
				if syncResolvers[object+"."+field] {
					edits = append(edits, edit{off(call.Pos()), off(call.End()), syncField(call, text)})
					syncs++
					return true
				}
				if loadedResolvers[object+"."+field] {
					edits = append(edits, edit{off(call.Pos()), off(call.End()), syncWhenLoaded(object+"."+field, call, text)})
					syncs++
				}
				concurrent[object] = append(concurrent[object], field)
				return true
			})
		case strings.HasPrefix(name, "marshal"):
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || text(call.Fun) != "graphql.MarshalSliceConcurrently" || len(call.Args) != 5 {
					return true
				}
				if text(call.Args[2]) != "0" || text(call.Args[3]) != "false" {
					// A worker limit or no panic guard: not what
					// marshalList replaces.
					return true
				}
				replacement := fmt.Sprintf("ec.marshalList(ctx, sel, %s", text(call.Args[1]))
				if text(fn.Type.Params.List[2].Type) == "[]*ent.ProductEdge" {
					// A page of products: its resolver loads up front what
					// the products' resolvers need (marshalProductEdges).
					replacement = "ec.marshalProductEdges(ctx, sel, v"
				}
				edits = append(edits, edit{off(call.Pos()), off(call.Args[2].End()), replacement})
				edits = append(edits, edit{off(call.Args[3].Pos()), off(call.Args[4].Pos()), ""})
				lists++
				return true
			})
		}
	}
	for k := range loadedResolvers {
		obj, field, _ := strings.Cut(k, ".")
		if !slices.Contains(concurrent[obj], field) {
			return fmt.Errorf("%s is listed in loadedResolvers but is not a concurrent field", k)
		}
	}
	for k := range syncResolvers {
		obj, field, _ := strings.Cut(k, ".")
		if slices.Contains(concurrent[obj], field) {
			return fmt.Errorf("%s is listed in syncResolvers but was left concurrent", k)
		}
	}

	out, err := apply(src, edits)
	if err != nil {
		return err
	}
	if err := os.WriteFile(generated, out, 0o644); err != nil {
		return err
	}
	tab, err := concurrentTable(concurrent)
	if err != nil {
		return err
	}
	if err := os.WriteFile(table, tab, 0o644); err != nil {
		return err
	}
	fmt.Printf("fastexec: %d plain leaves, %d resolver fields inline (or when loaded), %d object lists through marshalList, %d objects' @defer groups made only when needed, %d objects written by objectJSON\n", leaves, syncs, lists, groups, writers)
	return nil
}

// infallibleMarshallers finds the generated marshal functions of scalars
// and enums that cannot fail: `return v` (an enum, written by its own
// MarshalGQL, which returns no error), or a marshaller in infallible
// wrapped in gqlgen's null check.
func infallibleMarshallers(file *ast.File, text func(ast.Node) string) map[string]bool {
	safe := map[string]bool{}
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "marshal") {
			continue
		}
		params := fn.Type.Params.List
		if len(params) != 3 || isReference(params[2].Type) {
			continue
		}
		stmts := fn.Body.List
		if len(stmts) == 1 && text(stmts[0]) == "return v" {
			safe[fn.Name.Name] = true
			continue
		}
		ok = len(stmts) >= 2
		for _, s := range stmts {
			t := text(s)
			switch {
			case t == "_ = sel" || t == "_ = ctx" || t == "return res" || t == "return graphql.WrapContextMarshaler(ctx, res)":
			case strings.HasPrefix(t, "if res == graphql.Null {"):
			case strings.HasPrefix(t, "res := ") && strings.HasSuffix(t, "(v)"):
				ok = ok && infallible[strings.TrimSuffix(strings.TrimPrefix(t, "res := "), "(v)")]
			default:
				ok = false
			}
		}
		if ok {
			safe[fn.Name.Name] = true
		}
	}
	return safe
}

// isReference reports a Go type that can be nil.
func isReference(t ast.Expr) bool {
	switch t.(type) {
	case *ast.StarExpr, *ast.ArrayType, *ast.MapType, *ast.InterfaceType, *ast.FuncType, *ast.ChanType:
		return true
	}
	return false
}

// plainLeaf rewrites
//
//	return graphql.ResolveField(ctx, ec.OperationContext, field, <field context>,
//		func(ctx context.Context) (any, error) { return obj.X, nil },
//		nil, func(ctx context.Context, selections ast.SelectionSet, v T) graphql.Marshaler {
//			return ec.marshalM(ctx, selections, v)
//		}, true, true)
//
// into `return ec.marshalM(ctx, field.Selections, obj.X)` when marshalM
// cannot fail and T cannot be nil.
func plainLeaf(fn *ast.FuncDecl, safe map[string]bool, text func(ast.Node) string, off func(token.Pos) int) (edit, bool) {
	if len(fn.Body.List) != 1 {
		return edit{}, false
	}
	ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return edit{}, false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok || text(call.Fun) != "graphql.ResolveField" || len(call.Args) != 9 {
		return edit{}, false
	}
	if text(call.Args[5]) != "nil" { // directives on the field
		return edit{}, false
	}
	resolver, ok := call.Args[4].(*ast.FuncLit)
	if !ok || len(resolver.Body.List) != 1 {
		return edit{}, false
	}
	rr, ok := resolver.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(rr.Results) != 2 || text(rr.Results[1]) != "nil" {
		return edit{}, false
	}
	value := text(rr.Results[0])
	object, field, _ := strings.Cut(strings.TrimPrefix(fn.Name.Name, "_"), "_")
	switch v := rr.Results[0].(type) {
	case *ast.SelectorExpr:
		if text(v.X) != "obj" {
			return edit{}, false
		}
	case *ast.CallExpr:
		if !methodLeaves[object+"."+field] || len(v.Args) != 0 {
			return edit{}, false
		}
	default:
		return edit{}, false
	}
	marshal, ok := call.Args[6].(*ast.FuncLit)
	if !ok || len(marshal.Body.List) != 1 || len(marshal.Type.Params.List) != 3 {
		return edit{}, false
	}
	if isReference(marshal.Type.Params.List[2].Type) {
		return edit{}, false
	}
	mr, ok := marshal.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(mr.Results) != 1 {
		return edit{}, false
	}
	mc, ok := mr.Results[0].(*ast.CallExpr)
	if !ok || len(mc.Args) != 3 || text(mc.Args[1]) != "selections" || text(mc.Args[2]) != "v" {
		return edit{}, false
	}
	sel, ok := mc.Fun.(*ast.SelectorExpr)
	if !ok || text(sel.X) != "ec" || !safe[sel.Sel.Name] {
		return edit{}, false
	}
	return edit{
		start: off(fn.Body.Pos()),
		end:   off(fn.Body.End()),
		text: fmt.Sprintf("{\n\t// A plain leaf (graph/fastexec): marshalled without a field context.\n\treturn ec.%s(ctx, field.Selections, %s)\n}",
			sel.Sel.Name, value),
	}, true
}

// resolveConcurrently returns the case's
// out.ResolveConcurrently(ec.OperationContext, &deferred, i, true, nonNull,
// func(ctx context.Context) graphql.Marshaler { return ec._O_f(ctx, field, obj) }),
// or nil.
func resolveConcurrently(cc *ast.CaseClause) *ast.CallExpr {
	if len(cc.Body) != 1 {
		return nil
	}
	es, ok := cc.Body[0].(*ast.ExprStmt)
	if !ok {
		return nil
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 6 {
		return nil
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "ResolveConcurrently" {
		return nil
	}
	return call
}

// syncField is the non-concurrent form gqlgen writes for a field without a
// resolver, kept concurrent when the field is deferred (gqlgen only defers
// concurrent fields).
func syncField(call *ast.CallExpr, text func(ast.Node) string) string {
	lit := call.Args[5].(*ast.FuncLit)
	inner := lit.Body.List[0].(*ast.ReturnStmt).Results[0]
	invalid := "graphql.RequiredNull"
	if text(call.Args[4]) == "true" {
		invalid = "graphql.Null"
	}
	return fmt.Sprintf(`if field.IsDeferred() {
	%s
} else {
	// A computed resolver (graph/fastexec): it never waits, so it runs here.
	out.Values[i] = %s
	if out.Values[i] == %s {
		atomic.AddUint32(&out.Invalids, 1)
	}
}`, text(call), text(inner), invalid)
}

// syncWhenLoaded runs the field on the object's goroutine when ec.loaded
// reports its data loaded, and as gqlgen wrote it otherwise.
func syncWhenLoaded(key string, call *ast.CallExpr, text func(ast.Node) string) string {
	lit := call.Args[5].(*ast.FuncLit)
	inner := lit.Body.List[0].(*ast.ReturnStmt).Results[0]
	invalid := "graphql.RequiredNull"
	if text(call.Args[4]) == "true" {
		invalid = "graphql.Null"
	}
	return fmt.Sprintf(`if !field.IsDeferred() && ec.loaded(ctx, %q, obj) {
	// Loaded already (graph/fastexec): nothing to wait for.
	out.Values[i] = %s
	if out.Values[i] == %s {
		atomic.AddUint32(&out.Invalids, 1)
	}
} else {
	%s
}`, key, text(inner), invalid, text(call))
}

func apply(src []byte, edits []edit) ([]byte, error) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		if e.start < at {
			return nil, fmt.Errorf("overlapping edits at offset %d", e.start)
		}
		b.Write(src[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(src[at:])
	return format.Source(b.Bytes())
}

func concurrentTable(concurrent map[string][]string) ([]byte, error) {
	objects := make([]string, 0, len(concurrent))
	for o := range concurrent {
		objects = append(objects, o)
	}
	sort.Strings(objects)
	var b bytes.Buffer
	b.WriteString("// Code generated by graph/fastexec from graph/generated.go. DO NOT EDIT.\n\npackage graph\n\n")
	b.WriteString("// concurrentFields are the fields of each object type that gqlgen\n")
	b.WriteString("// resolves on a goroutine of their own: resolvers that may wait for a\n")
	b.WriteString("// loader or the database. marshalList (fastlist.go) marshals a list's\n")
	b.WriteString("// elements in turn only when the query selects none of them below it.\n")
	b.WriteString("var concurrentFields = map[string]map[string]bool{\n")
	for _, o := range objects {
		fields := slices.Clone(concurrent[o])
		sort.Strings(fields)
		fields = slices.Compact(fields)
		fmt.Fprintf(&b, "\t%q: {", o)
		for i, f := range fields {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: true", f)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
