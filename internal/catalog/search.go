package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Limits of a search query: longer text is refused rather than cut, so a
// shopper never gets results for words they cannot see; extra words past
// MaxSearchTerms are ignored.
const (
	MaxSearchLen   = 200
	MaxSearchTerms = 8
)

// SearchTerms splits a query into the words the index holds: runs of
// letters and digits, lower-cased, as the index splits names and
// descriptions (internal/database/search.go). Punctuation only gives none.
func SearchTerms(query string) ([]string, error) {
	if utf8.RuneCountInString(query) > MaxSearchLen {
		return nil, fail(ErrInvalid, fmt.Sprintf("a search is at most %d characters", MaxSearchLen), "query")
	}
	words := strings.FieldsFunc(strings.ToLower(query), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	if len(words) > MaxSearchTerms {
		words = words[:MaxSearchTerms]
	}
	return words, nil
}

// SearchPage is one page of search results: product IDs, best match first,
// and how many products match in all.
type SearchPage struct {
	IDs   []int
	Total int
}

// Search finds the products a shopper sees (for staff too: search is the
// storefront's) whose name or description holds every word of query, the
// last word also as a prefix (as a shopper types), ranked by relevance: a
// name equal to the query first, then names that start with it (a
// shopper typing "kett" looks for a kettle, not for a stand that mentions
// kettles twice), then by how well the words match, a name weighing more
// than a description; ties by ID. offset and limit pick the page.
//
// Which products a shopper sees is the Product read rule
// (ent/schema/access): the search is an ent query read through privacy
// as a shopper (viewer.AsShopper), so it restates no visibility rule.
func (s *Service) Search(ctx context.Context, query string, offset, limit int) (SearchPage, error) {
	terms, err := SearchTerms(query)
	if err != nil || len(terms) == 0 {
		return SearchPage{}, err
	}
	c := s.client
	if tc := ent.FromContext(ctx); tc != nil {
		c = tc
	}
	exact := strings.ToLower(strings.TrimSpace(query))
	var (
		match func(*sql.Selector) // products matching the terms
		rank  func(*sql.Selector) // the full-text relevance, as an ORDER BY term
	)
	switch s.dialect {
	case dialect.Postgres:
		// Every term is letters and digits only, so none can carry
		// tsquery syntax.
		parts := make([]string, len(terms))
		copy(parts, terms)
		parts[len(parts)-1] += ":*"
		tsquery := strings.Join(parts, " & ")
		match = func(s *sql.Selector) {
			s.Where(sql.P(func(b *sql.Builder) {
				b.Ident(s.C("search_vector")).WriteString(" @@ to_tsquery('simple', ").Arg(tsquery).WriteString(")")
			}))
		}
		rank = func(s *sql.Selector) {
			// ORDER BY arguments go through ExprFunc: OrderExprFunc
			// drops them.
			s.OrderExpr(sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("ts_rank(").Ident(s.C("search_vector")).WriteString(", to_tsquery('simple', ").Arg(tsquery).WriteString(")) DESC")
			}))
		}
	default:
		// FTS5 strings in double quotes are taken literally; the terms
		// hold no quotes.
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = `"` + t + `"`
		}
		parts[len(parts)-1] += "*"
		fts := strings.Join(parts, " ")
		// The matches are a subquery joined to products, not the FTS
		// table itself: with the table, SQLite's planner (without
		// statistics) scans products by the storefront's status filter
		// and runs the MATCH once per product, minutes at 200,000
		// products; the subquery makes it read the matches first.
		match = func(s *sql.Selector) {
			m := sql.Select("rowid", "bm25(product_search, 10.0, 1.0) AS search_rank").
				From(sql.Table("product_search")).
				Where(sql.P(func(b *sql.Builder) { b.WriteString("product_search MATCH ").Arg(fts) })).
				As("search_match")
			s.Join(m).On(s.C("id"), m.C("rowid"))
		}
		rank = func(s *sql.Selector) {
			s.OrderExpr(sql.Expr("search_match.search_rank"))
		}
	}
	shopper := viewer.AsShopper(ctx)
	var out SearchPage
	q := c.Product.Query()
	q.Modify(match)
	if out.Total, err = q.Count(shopper); err != nil {
		return SearchPage{}, fmt.Errorf("count search results: %w", err)
	}
	if limit == 0 || offset >= out.Total {
		return out, nil
	}
	out.IDs, err = c.Product.Query().
		Select(product.FieldID).
		Modify(match, func(s *sql.Selector) {
			name := func(b *sql.Builder) *sql.Builder {
				return b.WriteString("lower(").Ident(s.C(product.FieldName)).WriteString(")")
			}
			s.OrderExpr(sql.ExprFunc(func(b *sql.Builder) { name(b).WriteString(" = ").Arg(exact).WriteString(" DESC") }))
			s.OrderExpr(sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("substr(")
				name(b).WriteString(", 1, length(").Arg(exact).WriteString(")) = ").Arg(exact).WriteString(" DESC")
			}))
			rank(s)
			s.OrderBy(s.C(product.FieldID))
			s.Limit(limit).Offset(offset)
		}).
		Ints(shopper)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search: %w", err)
	}
	return out, nil
}
