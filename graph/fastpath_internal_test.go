package graph

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/ent"
)

// selection parses and validates query against the served schema and
// returns the selection set of the field at path below the first root
// field.
func selection(t *testing.T, query string, path ...string) ast.SelectionSet {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(NewExecutableSchema(Config{}).Schema(), query, nil)
	require.Empty(t, errs)
	set := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
	for _, name := range path {
		var next ast.SelectionSet
		eachField(set, func(f *ast.Field) bool {
			if f.Alias == name {
				next = f.SelectionSet
			}
			return true
		})
		require.NotNil(t, next, name)
		set = next
	}
	return set
}

// TestNeverWaits: a list is marshalled element by element only when
// nothing selected below it may wait for a loader.
func TestNeverWaits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, query string
		want        bool
	}{
		{"leaves and computed prices", `{ product(slug: "x") { variants { id sku price { amount currencyCode } compareAtPrice { amount } quantityAvailable __typename } } }`, true},
		{"a fragment of leaves", `{ product(slug: "x") { variants { ...V } } } fragment V on ProductVariant { id sku }`, true},
		{"a variant's image waits for its loader", `{ product(slug: "x") { variants { id image { id } } } }`, false},
		{"inside a fragment too", `{ product(slug: "x") { variants { ... on ProductVariant { product { id } } } } }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, neverWaits(selection(t, tc.query, "variants")))
		})
	}
}

// TestEdgesLoaded: a page of products is marshalled edge by edge when its
// products' variants are loaded up front (primeVariants) and nothing
// deeper waits; a product whose variants are not loaded, or a selection
// that waits below the products, keeps gqlgen's goroutines.
func TestEdgesLoaded(t *testing.T) {
	t.Parallel()
	edges := []*ent.ProductEdge{{Node: &ent.Product{ID: 1}}, {Node: &ent.Product{ID: 2}}}
	l := &loaders{}
	l.pageVariants.put([]int{1, 2}, [][]*ent.ProductVariant{{{ID: 10}}, {}})
	ctx := context.WithValue(context.Background(), loadersKey{}, l)

	page := `{ products(first: 2) { edges { cursor node { id name priceRange { minVariantPrice { amount } } variants { id sku price { amount } } availableForSale } } } }`
	require.True(t, edgesLoaded(ctx, selection(t, page, "edges"), edges))
	require.False(t, edgesLoaded(context.Background(), selection(t, page, "edges"), edges), "no loaders: nothing was loaded up front")

	partly := append(edges, &ent.ProductEdge{Node: &ent.Product{ID: 3}})
	require.False(t, edgesLoaded(ctx, selection(t, page, "edges"), partly), "product 3's variants are not loaded")

	deeper := `{ products(first: 2) { edges { node { id variants { id image { id } } } } } }`
	require.False(t, edgesLoaded(ctx, selection(t, deeper, "edges"), edges), "an image waits for its loader")

	// The products' categories are loaded with them (field collection) in
	// pages; these were not.
	category := `{ products(first: 2) { edges { node { id category { id } } } } }`
	require.False(t, edgesLoaded(ctx, selection(t, category, "edges"), edges))
}

// TestObjectJSON: an object is written byte for byte as gqlgen's
// FieldSet writes it, a repeated response key once.
func TestObjectJSON(t *testing.T) {
	t.Parallel()
	fields := []graphql.CollectedField{
		{Field: &ast.Field{Alias: "id"}},
		{Field: &ast.Field{Alias: "name"}},
		{Field: &ast.Field{Alias: "id"}},
		{Field: &ast.Field{Alias: "price"}},
	}
	values := []graphql.Marshaler{graphql.MarshalString("1"), graphql.MarshalString(`a "<b>"`), graphql.MarshalString("2"), graphql.Null}
	fs := graphql.NewFieldSet(fields)
	copy(fs.Values, values)
	var want, got bytes.Buffer
	fs.MarshalGQL(&want)
	(&objectJSON{fields: fields, values: values}).MarshalGQL(&got)
	require.Equal(t, want.String(), got.String())
	require.JSONEq(t, `{"id":"1","name":"a \"<b>\"","price":null}`, got.String())
}

// TestGeneratedIsRewritten: graph/generated.go went through graph/fastexec
// (go generate runs it after gqlgen; gqlgen alone writes the slow form).
func TestGeneratedIsRewritten(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("generated.go")
	require.NoError(t, err)
	require.Contains(t, string(src), "(graph/fastexec)", "run go generate ./... (gqlgen, then go run ./graph/fastexec)")
	require.Contains(t, string(src), "ec.marshalProductEdges(ctx, sel, v,")
}
