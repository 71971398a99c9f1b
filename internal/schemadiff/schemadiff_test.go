package schemadiff_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/internal/schemadiff"
)

const release = `
directive @auth on FIELD_DEFINITION
directive @trace(label: String) on FIELD
type Query {
  product(id: ID!): Product
  products(first: Int): [Product!]!
}
type Product {
  id: ID!
  name: String!
  tags: [String!]
  status: Status!
}
enum Status { ACTIVE ARCHIVED }
union Result = Product
input ProductInput { name: String!, note: String }
type Mutation { save(input: ProductInput!): Product @auth }
`

func parse(t *testing.T, src string) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphql", Input: src})
	require.NoError(t, err)
	return s
}

func paths(cs []schemadiff.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Path)
	}
	return out
}

func TestBreaking(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		next string
		want []string
	}{
		{"additive changes pass", `
directive @auth on FIELD_DEFINITION
directive @trace(label: String, level: Int) on FIELD | FRAGMENT_SPREAD
type Query {
  product(id: ID!): Product
  products(first: Int, after: String, sort: String = "name"): [Product!]!
  categories: [String!]!
}
type Product {
  id: ID!
  name: String!
  "Now never null: safe for readers."
  tags: [String!]!
  status: Status!
  oldName: String @deprecated(reason: "use name")
}
type Category { name: String! }
enum Status { ACTIVE ARCHIVED DRAFT }
union Result = Product | Category
input ProductInput { name: String, note: String, extra: Int, level: Int! = 1 }
type Mutation { save(input: ProductInput!): Product }
`, nil},
		{"a removed field fails", `
directive @auth on FIELD_DEFINITION
directive @trace(label: String) on FIELD
type Query {
  product(id: ID!): Product
  products(first: Int): [Product!]!
}
type Product { id: ID!, tags: [String!], status: Status! }
enum Status { ACTIVE ARCHIVED }
union Result = Product
input ProductInput { name: String!, note: String }
type Mutation { save(input: ProductInput!): Product @auth }
`, []string{"Product.name"}},
		{"every other kind of break fails", `
directive @auth on FIELD_DEFINITION
type Query {
  product(id: ID!, locale: String!): Product
  products: [Product]!
}
type Product { id: ID!, name: String, tags: [Int!], status: Status! }
enum Status { ACTIVE }
type Other { id: ID! }
union Result = Other
input ProductInput { name: String!, note: Int, sku: String! }
`, []string{
			"@trace", "Mutation", "Product.name", "Product.tags", "ProductInput.note", "ProductInput.sku",
			"Query.product(locale)", "Query.products", "Query.products(first)", "Result", "Status.ARCHIVED",
		}},
		{"an input made required fails", `
directive @auth on FIELD_DEFINITION
directive @trace(label: String) on FIELD
type Query {
  product(id: ID!): Product
  products(first: Int!): [Product!]!
}
type Product { id: ID!, name: String!, tags: [String!], status: Status! }
enum Status { ACTIVE ARCHIVED }
union Result = Product
input ProductInput { name: String!, note: String! }
type Mutation { save(input: ProductInput!): Product @auth }
`, []string{"ProductInput.note", "Query.products(first)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := schemadiff.Breaking(parse(t, release), parse(t, tc.next))
			require.Equal(t, tc.want, paths(got), "%v", got)
		})
	}
}

// TestCheck is the check CI runs (graph/schemacheck): a removed field
// fails it until the intentional-changes file lists it, and an additive
// change passes.
func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	write("v0.9.0.graphql", "type Query { a: Int }")
	write("v0.10.0.graphql", "type Query { a: Int, b: Int }")
	latest, err := schemadiff.LatestRelease(dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "v0.10.0.graphql"), latest, "releases sort by number, not text")
	before, err := schemadiff.Load(latest)
	require.NoError(t, err)

	removed := parse(t, "type Query { a: Int }")
	none, err := schemadiff.Intentional(filepath.Join(dir, "missing.txt"))
	require.NoError(t, err)
	require.Equal(t, []string{"Query.b"}, paths(schemadiff.Check(before, removed, none)))

	listed, err := schemadiff.Intentional(write("breaking.txt", "# why each is fine\nQuery.b  # replaced by a, see CHANGELOG\n"))
	require.NoError(t, err)
	require.Empty(t, schemadiff.Check(before, removed, listed))

	additive := parse(t, "type Query { a: Int, b: Int, c: String }")
	require.Empty(t, schemadiff.Check(before, additive, none))
}
