package schemadiff

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Load parses an SDL file as a schema.
func Load(path string) (*ast.Schema, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, gerr := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(src)})
	if gerr != nil {
		return nil, fmt.Errorf("%s: %w", path, gerr)
	}
	return s, nil
}

// Check returns the breaking changes from before to after that intentional
// does not list (by Path).
func Check(before, after *ast.Schema, intentional map[string]bool) []Change {
	var out []Change
	for _, c := range Breaking(before, after) {
		if !intentional[c.Path] {
			out = append(out, c)
		}
	}
	return out
}

// Intentional reads the file of breaking changes made on purpose: one
// schema coordinate (a Change's Path) per line, then, after "#", why and
// what clients do instead. Blank lines and lines starting with "#" are
// skipped. A missing file lists nothing.
func Intentional(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			out[line] = true
		}
	}
	return out, sc.Err()
}

// LatestRelease returns the SDL file of the newest release in dir, named
// vMAJOR.MINOR.PATCH.graphql.
func LatestRelease(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "v*.graphql"))
	if err != nil {
		return "", err
	}
	best, bestV := "", [3]int{-1}
	for _, f := range files {
		var v [3]int
		if _, err := fmt.Sscanf(filepath.Base(f), "v%d.%d.%d.graphql", &v[0], &v[1], &v[2]); err != nil {
			return "", fmt.Errorf("%s: a release is named vMAJOR.MINOR.PATCH.graphql", f)
		}
		if v[0] > bestV[0] || v[0] == bestV[0] && (v[1] > bestV[1] || v[1] == bestV[1] && v[2] > bestV[2]) {
			best, bestV = f, v
		}
	}
	if best == "" {
		return "", fmt.Errorf("no release in %s", dir)
	}
	return best, nil
}
