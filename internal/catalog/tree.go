// Package catalog holds the rules of the catalogue that span entities: the
// category tree's materialised paths, what the storefront may see, and
// Service, which carries out the admin writes (tree operations, products
// and variants, the stock ledger) and full-text search.
package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/predicate"
)

// Path is the materialised path of a category: the IDs from the root down
// to the category itself, as "/1/7/42/".
func Path(parentPath string, id int) string {
	if parentPath == "" {
		parentPath = "/"
	}
	return parentPath + strconv.Itoa(id) + "/"
}

// AncestorIDs returns the IDs in a path from the root down to, but not
// including, the category itself.
func AncestorIDs(path string) ([]int, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 0 || parts[0] == "" {
		return nil, fmt.Errorf("malformed category path %q", path)
	}
	ids := make([]int, 0, len(parts)-1)
	for _, p := range parts[:len(parts)-1] {
		id, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("malformed category path %q", path)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// InSubtree matches the category with the given path and every category
// below it, as one prefix scan of the path index. PostgreSQL uses LIKE on
// its text_pattern_ops index; SQLite uses GLOB, which (unlike its
// case-insensitive LIKE) can use an ordinary index. Paths hold only digits
// and slashes, so neither needs escaping.
func InSubtree(path string) predicate.Category {
	return func(s *sql.Selector) {
		col := s.C(category.FieldPath)
		if s.Dialect() == dialect.SQLite {
			s.Where(sql.P(func(b *sql.Builder) {
				b.WriteString(col).WriteString(" GLOB ").Arg(path + "*")
			}))
			return
		}
		s.Where(sql.HasPrefix(col, path))
	}
}
