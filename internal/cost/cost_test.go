package cost_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/savannah-commerce/savannah/internal/cost"
	"github.com/savannah-commerce/savannah/internal/cost/costtest"
)

// schema loads the served schema from the files gqlgen generates the
// server from (gqlgen.yml: graph/*.graphql), as the server does, without
// building the server: the fuzz targets compile in seconds.
func schema(t testing.TB) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../../graph/*.graphql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var sources []*ast.Source
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		sources = append(sources, &ast.Source{Name: filepath.Base(f), Input: string(src)})
	}
	s, err := gqlparser.LoadSchema(sources...)
	require.NoError(t, err)
	return s
}

// document parses and validates src against the served schema, as the
// server does before measuring.
func document(t testing.TB, s *ast.Schema, src string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: src})
	require.NoError(t, err)
	require.Empty(t, validator.ValidateWithRules(s, doc, nil))
	return doc
}

// measure is Measure without limits, which must not fail.
func measure(t testing.TB, m cost.Model, s *ast.Schema, op *ast.OperationDefinition, vars map[string]any) cost.Shape {
	t.Helper()
	sh, err := m.Measure(s, op, vars, cost.Limits{})
	require.NoError(t, err)
	return sh
}

func contract(t testing.TB, s *ast.Schema, file string) *ast.QueryDocument {
	t.Helper()
	src, err := os.ReadFile("../../graph/testdata/contract/" + file)
	require.NoError(t, err)
	return document(t, s, string(src))
}

// TestContractCosts pins the cost of the contract's operations, worked
// out by hand from the model, and holds every operation of the contract
// at its largest page under the default limit of 1,000.
func TestContractCosts(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	store := contract(t, s, "storefront.graphql")
	cases := []struct {
		op   string
		vars map[string]any
		want cost.Shape
	}{
		// 3 roots × (1 + 3 children × (1 + 3 grandchildren × 1))
		{"CategoryTree", nil, cost.Shape{Cost: 39, Depth: 3, RootFields: 1}},
		// category 1 + ancestors 3 + children 3 + products (2 + 5 × (node 1 + its category 1))
		{"CategoryPage", map[string]any{"slug": "x", "first": 5}, cost.Shape{Cost: 19, Depth: 6, RootFields: 1}},
		// 2 + 20 (the default page) × (node 1 + category 1 + 3 variants)
		{"ProductList", nil, cost.Shape{Cost: 102, Depth: 5, RootFields: 1}},
		{"ProductList", map[string]any{"first": 100}, cost.Shape{Cost: 502, Depth: 5, RootFields: 1}},
		{"ProductList", map[string]any{"first": 5000}, cost.Shape{Cost: 502, Depth: 5, RootFields: 1}}, // capped like the resolver
		// product 1 + category (1 + ancestors 3) + variants 3
		{"ProductDetail", map[string]any{"slug": "x"}, cost.Shape{Cost: 8, Depth: 3, RootFields: 1}},
		// node(id:) asks for Product or Category: the dearer branch counts
		{"Node", map[string]any{"id": "x"}, cost.Shape{Cost: 1, Depth: 1, RootFields: 1}},
	}
	for _, c := range cases {
		op := store.Operations.ForName(c.op)
		require.NotNil(t, op, c.op)
		got := measure(t, m, s, op, c.vars)
		got.Fields = 0 // pinned below
		require.Equal(t, c.want, got, "%s %v", c.op, c.vars)
	}
	for _, file := range []string{"storefront.graphql", "admin.graphql"} {
		for _, op := range contract(t, s, file).Operations {
			shape := measure(t, m, s, op, map[string]any{"first": 100})
			require.LessOrEqual(t, shape.Cost, 1000, "%s at its largest page", op.Name)
			require.LessOrEqual(t, shape.Depth, 15, op.Name)
			require.LessOrEqual(t, shape.Fields, 100, "%s: far below the 2,000 fields limit", op.Name)
		}
	}
}

// TestAbusiveShapes shows what the limits are for: each query here is
// small on the wire and huge in the database.
func TestAbusiveShapes(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	cases := []struct {
		name  string
		query string
		check func(t *testing.T, sh cost.Shape)
	}{
		{"nested connections multiply", `{ products(first: 100) { edges { node { category { products(first: 100) { edges { node { id } } } } } } } }`,
			func(t *testing.T, sh cost.Shape) { require.Equal(t, 2+100*(1+1+2+100*1), sh.Cost) }},
		{"last counts like first", `{ products(last: 7) { edges { node { id } } } }`,
			func(t *testing.T, sh cost.Shape) { require.Equal(t, 9, sh.Cost) }},
		{"deep lists multiply", `{ categoryTree { children { children { children { children { children { id } } } } } } }`,
			func(t *testing.T, sh cost.Shape) {
				require.Equal(t, 3+9+27+81+243+729, sh.Cost)
				require.Equal(t, 6, sh.Depth)
			}},
		{"aliases are counted", `{ a: product(slug: "a") { id } b: product(slug: "b") { id } c: product(slug: "c") { n: name } }`,
			func(t *testing.T, sh cost.Shape) {
				require.Equal(t, 4, sh.Aliases)
				require.Equal(t, 3, sh.RootFields)
				require.Equal(t, 3, sh.Cost)
			}},
		{"fragments are expanded", `query { ...Q ...Q } fragment Q on Query { categoryTree { id } }`,
			func(t *testing.T, sh cost.Shape) { require.Equal(t, 2, sh.RootFields) }},
		{"scalars are free", `{ __typename }`,
			func(t *testing.T, sh cost.Shape) { require.Equal(t, cost.Shape{RootFields: 1, Fields: 1}, sh) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := document(t, s, c.query)
			c.check(t, measure(t, m, s, doc.Operations[0], nil))
		})
	}
}

// TestActualCost counts what an answer holds, by the same rules, reading
// the answer's JSON as the server writes it.
func TestActualCost(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	store := contract(t, s, "storefront.graphql")
	actual := func(op *ast.OperationDefinition, data string) int {
		t.Helper()
		n, err := m.Actual(s, op, []byte(data))
		require.NoError(t, err)
		return n
	}
	list := store.Operations.ForName("ProductList")
	// 2 + (node 1 + category 1 + 1 variant) + (node 1)
	require.Equal(t, 6, actual(list, `{"products":{"totalCount":2,"edges":[`+
		`{"node":{"id":"a","category":{"id":"c"},"variants":[{"id":"v1"}]}},`+
		`{"node":{"id":"b","category":null,"variants":[]}}]}}`))
	// White space, and strings holding what would otherwise be structure.
	require.Equal(t, 6, actual(list, ` { "products" : { "edges" : [ { "node" : { "name" : "a \"}{\" ,[", `+
		`"variants" : [ { "id" : "]" } ], "category" : { "id" : "c" } } } , { "node" : { "id" : "b" } } ] } } `))
	require.Equal(t, 0, actual(store.Operations.ForName("ProductDetail"), `{"product":null}`))

	// Aliases are looked up by their response key; fragments on another
	// type than the answer's count only when the answer is of that type.
	doc := document(t, s, `query($id: ID!) { a: product(slug: "x") { id } node(id: $id) { __typename ... on Product { category { id } } ... on Category { children { id } } } }`)
	require.Equal(t, 3, actual(doc.Operations[0], `{"a":{"id":"p"},"node":{"__typename":"Product","category":{"id":"c"}}}`))
	require.Equal(t, 4, actual(doc.Operations[0], `{"a":{"id":"p"},"node":{"__typename":"Category","children":[{"id":"c1"},{"id":"c2"}]}}`))

	for _, bad := range []string{``, `null`, `{"products":`, `{"products":{"edges":[{"node":{"id":"a"}}}`, `{"products" 1}`} {
		_, err := m.Actual(s, list, []byte(bad))
		require.Error(t, err, bad)
	}
}

func BenchmarkMeasureContract(b *testing.B) {
	s := schema(b)
	m := cost.DefaultModel()
	store := contract(b, s, "storefront.graphql")
	vars := map[string]any{"first": 100, "slug": "x"}
	for _, name := range []string{"ProductList", "CategoryPage", "ProductDetail", "CategoryTree"} {
		op := store.Operations.ForName(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = m.Measure(s, op, vars, cost.Limits{})
			}
		})
	}
}

// TestFragmentsMeasuredOnce: a fragment is walked once wherever it is
// spread, so a document that doubles at every fragment is measured as
// fast as it is read, with the counts it would have expanded.
func TestFragmentsMeasuredOnce(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	lim := cost.Limits{Cost: 1000, Depth: 15, Aliases: 30, RootFields: 10, Fields: 2000}

	// Small enough to count exactly: 2^10 root fields of cost 3 each.
	sh := measure(t, m, s, document(t, s, costtest.Doubling(10, false)).Operations[0], nil)
	require.Equal(t, cost.Shape{Cost: 3 << 10, Depth: 1, RootFields: 1 << 10, Fields: 2 << 10}, sh)
	sh = measure(t, m, s, document(t, s, costtest.Doubling(10, true)).Operations[0], nil)
	require.Equal(t, cost.Shape{Cost: 3, Depth: 1, RootFields: 1, Fields: 1 + 2<<10}, sh)

	for _, below := range []bool{false, true} {
		op := document(t, s, costtest.Doubling(40, below)).Operations[0]
		sh := measure(t, m, s, op, nil) // saturates, never overflows
		require.Positive(t, sh.Fields)
		_, err := m.Measure(s, op, nil, lim)
		var excess *cost.Excess
		require.ErrorAs(t, err, &excess, "below a field: %v", below)
		require.False(t, excess.Input())
	}

	// Depth through a fragment counts where it is spread.
	doc := document(t, s, `{ categoryTree { ...C children { ...C children { ...C } } } }
		fragment C on Category { parent { parent { id } } }`)
	require.Equal(t, 5, measure(t, m, s, doc.Operations[0], nil).Depth)
	_, err := m.Measure(s, doc.Operations[0], nil, cost.Limits{Depth: 4})
	require.ErrorContains(t, err, "nested deeper than the limit of 4")
	_, err = m.Measure(s, doc.Operations[0], nil, cost.Limits{Depth: 5})
	require.NoError(t, err)

	// Aliases and root fields in a fragment count at every spread.
	doc = document(t, s, `{ ...A ...A } fragment A on Query { a: categoryTree { id } b: categoryTree { id } }`)
	sh = measure(t, m, s, doc.Operations[0], nil)
	require.Equal(t, cost.Shape{Cost: 12, Depth: 1, Aliases: 4, RootFields: 4, Fields: 8}, sh)
	_, err = m.Measure(s, doc.Operations[0], nil, cost.Limits{Aliases: 3})
	require.ErrorContains(t, err, "more than 3 aliases")

	// A fragment used both in and out of a connection.
	doc = document(t, s, `{ products(first: 10) { ...E } p: products(first: 2) { ...E } }
		fragment E on ProductConnection { edges { node { id category { id } } } }`)
	require.Equal(t, (2+10*2)+(2+2*2), measure(t, m, s, doc.Operations[0], nil).Cost)
}

// TestLimitsStopTheMeasure: each limit is an Excess naming it.
func TestLimitsStopTheMeasure(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	cases := []struct {
		name, query string
		lim         cost.Limits
		limit       cost.Limit
		message     string
	}{
		{"cost", `{ products(first: 100) { edges { node { category { products(first: 100) { edges { node { id } } } } } } } }`,
			cost.Limits{Cost: 1000}, cost.LimitCost, "costs 10402, more than the limit of 1000"},
		{"root fields", `{ a: categoryTree { id } b: categoryTree { id } c: categoryTree { id } }`,
			cost.Limits{RootFields: 2}, cost.LimitRootFields, "more than 2 root fields"},
		{"fields", `{ categoryTree { id name slug } }`,
			cost.Limits{Fields: 3}, cost.LimitFields, "more than 3 fields"},
	}
	for _, c := range cases {
		op := document(t, s, c.query).Operations[0]
		_, err := m.Measure(s, op, nil, c.lim)
		var excess *cost.Excess
		require.ErrorAs(t, err, &excess, c.name)
		require.Equal(t, c.limit, excess.Limit, c.name)
		require.ErrorContains(t, err, c.message, c.name)
		_, err = m.Measure(s, op, nil, cost.Limits{})
		require.NoError(t, err, c.name)
	}
}

// TestListsSizedByTheirIDs: nodes(ids:) costs one item per ID, and more
// IDs than a page holds are refused as input.
func TestListsSizedByTheirIDs(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	op := document(t, s, `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { category { id } } } }`).Operations[0]
	ids := func(n int) map[string]any {
		v := make([]any, n)
		for i := range v {
			v[i] = fmt.Sprint("id-", i)
		}
		return map[string]any{"ids": v}
	}
	require.Equal(t, 5*2, measure(t, m, s, op, ids(5)).Cost)
	require.Equal(t, 100*2, measure(t, m, s, op, ids(100)).Cost)
	_, err := m.Measure(s, op, ids(101), cost.Limits{})
	var excess *cost.Excess
	require.ErrorAs(t, err, &excess)
	require.Equal(t, cost.LimitItems, excess.Limit)
	require.True(t, excess.Input())
	require.EqualError(t, err, `argument "ids" of nodes has 101 items, more than the limit of 100`)

	literal := document(t, s, `{ nodes(ids: ["a", "b", "c", "d"]) { id } }`).Operations[0]
	require.Equal(t, 4, measure(t, m, s, literal, nil).Cost)
}

// nestedWhere is a filter on products (or categories) nested depth
// levels deep through not, and, has...With and or in turn.
func nestedWhere(depth int, product bool) map[string]any {
	switch {
	case depth == 0:
		return map[string]any{"nameHasPrefix": "a"}
	case depth%4 == 0:
		return map[string]any{"not": nestedWhere(depth-1, product)}
	case depth%4 == 1:
		return map[string]any{"and": []any{nestedWhere(depth-1, product), map[string]any{"slug": "x"}}}
	case depth%4 == 2 && product:
		return map[string]any{"hasCategoryWith": []any{nestedWhere(depth-1, false)}}
	case depth%4 == 2:
		return map[string]any{"hasProductsWith": []any{nestedWhere(depth-1, true)}}
	}
	return map[string]any{"or": []any{nestedWhere(depth-1, product)}}
}

// wideWhere is a product filter of n alternatives.
func wideWhere(n int) map[string]any {
	or := make([]any, n)
	for i := range or {
		or[i] = map[string]any{"nameHasPrefix": fmt.Sprint(i)}
	}
	return map[string]any{"or": or}
}

// TestWhereBounds: a filter deeper or wider than the limits is refused as
// input, naming the argument; within them its terms add to the cost.
func TestWhereBounds(t *testing.T) {
	t.Parallel()
	s := schema(t)
	m := cost.DefaultModel()
	lim := cost.Limits{WhereDepth: 5, WhereTerms: 100}
	op := document(t, s, `query($w: ProductWhereInput) { products(first: 1, where: $w) { edges { node { id } } } }`).Operations[0]
	base := measure(t, m, s, op, nil).Cost
	require.Equal(t, 3, base)

	sh, err := m.Measure(s, op, map[string]any{"w": map[string]any{"nameHasPrefix": "a", "slugIn": []any{"a", "b"}}}, lim)
	require.NoError(t, err)
	require.Equal(t, base+3, sh.Cost, "one term a value")

	sh, err = m.Measure(s, op, map[string]any{"w": nestedWhere(5, true)}, lim)
	require.NoError(t, err)
	require.Greater(t, sh.Cost, base)
	_, err = m.Measure(s, op, map[string]any{"w": wideWhere(49)}, lim)
	require.NoError(t, err)

	for name, w := range map[string]map[string]any{"deep": nestedWhere(6, true), "very deep": nestedWhere(5000, true), "wide": wideWhere(51), "very wide": wideWhere(100000)} {
		_, err := m.Measure(s, op, map[string]any{"w": w}, lim)
		var excess *cost.Excess
		require.ErrorAs(t, err, &excess, name)
		require.True(t, excess.Input(), name)
		require.Equal(t, "products", excess.Field)
		require.Equal(t, "where", excess.Arg)
		require.ErrorContains(t, err, `argument "where" of products`, name)
	}

	// The same bounds hold for a filter written in the document.
	lit := document(t, s, `{ products(where: {not: {not: {not: {not: {not: {not: {nameHasPrefix: "a"}}}}}}}) { totalCount } }`).Operations[0]
	_, err = m.Measure(s, lit, nil, lim)
	require.ErrorContains(t, err, "nests filters deeper than the limit of 5 levels")
}

// BenchmarkMeasure measures documents of 10, 100 and 1000 fragments, each
// spreading the next twice: the time per fragment stays flat.
func BenchmarkMeasure(b *testing.B) {
	s := schema(b)
	m := cost.DefaultModel()
	for _, n := range []int{10, 100, 1000} {
		op := document(b, s, costtest.Doubling(n, true)).Operations[0]
		b.Run(fmt.Sprintf("fragments=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = m.Measure(s, op, nil, cost.Limits{})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/fragment")
		})
	}
}
