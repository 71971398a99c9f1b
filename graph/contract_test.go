package graph_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/graph"
)

// TestContractValidates checks every operation the clients send (copied
// unchanged from the shared contract) against the served schema, so a
// rename that would break a client fails here.
func TestContractValidates(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	files, err := filepath.Glob("testdata/contract/*.graphql")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "the two shared contract files and the documents added since (tax.graphql) are present")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			doc, errs := gqlparser.LoadQueryWithRules(schema, string(src), nil)
			require.Empty(t, errs, "contract operations must validate")
			require.NotEmpty(t, doc.Operations)
			for _, op := range doc.Operations {
				require.NotEmpty(t, op.Name)
				require.Contains(t, []ast.Operation{ast.Query, ast.Mutation, ast.Subscription}, op.Operation)
			}
		})
	}
}
