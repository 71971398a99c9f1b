package viewer_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSystemReasonsAreNamed keeps the one bypass of the privacy rules
// auditable: every viewer.System call in the module's code (tests
// aside) names its reason as a string literal "area: what", so
// `grep -rn 'viewer.System('` reads as the list of what the store does
// on its own authority.
func TestSystemReasonsAreNamed(t *testing.T) {
	root := filepath.Join("..", "..")
	reason := regexp.MustCompile(`^[a-z-]+: \S.*$`)
	calls := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "clients") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(src, []byte("viewer.System(")) {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "System" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "viewer" {
				return true
			}
			calls++
			require.Len(t, call.Args, 2, "%s: viewer.System(ctx, reason)", path)
			lit, ok := call.Args[1].(*ast.BasicLit)
			require.True(t, ok && lit.Kind == token.STRING, "%s: the reason of viewer.System is a string literal", path)
			s, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			require.Regexp(t, reason, s, "%s: a reason reads \"area: what\"", path)
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.NotZero(t, calls)
}
