package cost_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/cost"
)

func schema(t testing.TB) *ast.Schema {
	t.Helper()
	return graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
}

// document parses and validates src against the served schema, as the
// server does before measuring.
func document(t testing.TB, s *ast.Schema, src string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: src})
	require.NoError(t, err)
	require.Empty(t, validator.Validate(s, doc))
	return doc
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
		require.Equal(t, c.want, m.Measure(s, op, c.vars), "%s %v", c.op, c.vars)
	}
	for _, file := range []string{"storefront.graphql", "admin.graphql"} {
		for _, op := range contract(t, s, file).Operations {
			shape := m.Measure(s, op, map[string]any{"first": 100})
			require.LessOrEqual(t, shape.Cost, 1000, "%s at its largest page", op.Name)
			require.LessOrEqual(t, shape.Depth, 15, op.Name)
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
			func(t *testing.T, sh cost.Shape) { require.Equal(t, cost.Shape{RootFields: 1}, sh) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := document(t, s, c.query)
			c.check(t, m.Measure(s, doc.Operations[0], nil))
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
				_ = m.Measure(s, op, vars)
			}
		})
	}
}
