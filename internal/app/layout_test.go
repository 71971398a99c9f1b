package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependenciesPointDown: server → HTTP/GraphQL (server/api, graph) →
// internal services → ent. No file under internal/, tests included,
// imports the layers above it.
func TestDependenciesPointDown(t *testing.T) {
	const module = "github.com/savannah-commerce/savannah/"
	above := []string{module + "graph", module + "server"}
	files := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, a := range above {
				if p == a || strings.HasPrefix(p, a+"/") {
					t.Errorf("%s imports %s: internal/ must not depend on the layers above it", path, p)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 50, "the walk saw internal/")
}
