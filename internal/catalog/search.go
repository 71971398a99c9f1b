package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
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

// Search finds ACTIVE products whose name or description holds every word
// of query, the last word also as a prefix (as a shopper types), ranked by
// relevance: a name equal to the query first, then names that start with
// it (a shopper typing "kett" looks for a kettle, not for a stand that
// mentions kettles twice), then by how well the words match, a name
// weighing more than a description; ties by ID. offset and
// limit pick the page.
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
	var match, count, page string
	switch s.dialect {
	case dialect.Postgres:
		// Every term is letters and digits only, so none can carry
		// tsquery syntax.
		parts := make([]string, len(terms))
		copy(parts, terms)
		parts[len(parts)-1] += ":*"
		match = strings.Join(parts, " & ")
		count = `SELECT count(*) FROM products p
			WHERE p.status = 'ACTIVE' AND p.search_vector @@ to_tsquery('simple', $1)`
		page = `SELECT p.id FROM products p, to_tsquery('simple', $1) q
			WHERE p.status = 'ACTIVE' AND p.search_vector @@ q
			ORDER BY lower(p.name) = $2 DESC, substr(lower(p.name), 1, length($2)) = $2 DESC,
				ts_rank(p.search_vector, q) DESC, p.id
			LIMIT $3 OFFSET $4`
	default:
		// FTS5 strings in double quotes are taken literally; the terms
		// hold no quotes.
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = `"` + t + `"`
		}
		parts[len(parts)-1] += "*"
		match = strings.Join(parts, " ")
		count = `SELECT count(*) FROM product_search JOIN products p ON p.id = product_search.rowid
			WHERE product_search MATCH ? AND p.status = 'ACTIVE'`
		page = `SELECT p.id FROM product_search JOIN products p ON p.id = product_search.rowid
			WHERE product_search MATCH ?1 AND p.status = 'ACTIVE'
			ORDER BY lower(p.name) = ?2 DESC, substr(lower(p.name), 1, length(?2)) = ?2 DESC,
				bm25(product_search, 10.0, 1.0), p.id
			LIMIT ?3 OFFSET ?4`
	}
	var out SearchPage
	rows, err := c.QueryContext(ctx, count, match)
	if err != nil {
		return SearchPage{}, fmt.Errorf("count search results: %w", err)
	}
	for rows.Next() {
		if err := rows.Scan(&out.Total); err != nil {
			_ = rows.Close()
			return SearchPage{}, fmt.Errorf("count search results: %w", err)
		}
	}
	if err := closeRows(rows); err != nil {
		return SearchPage{}, fmt.Errorf("count search results: %w", err)
	}
	if limit == 0 || offset >= out.Total {
		return out, nil
	}
	rows, err = c.QueryContext(ctx, page, match, exact, limit, offset)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search: %w", err)
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return SearchPage{}, fmt.Errorf("search: %w", err)
		}
		out.IDs = append(out.IDs, id)
	}
	if err := closeRows(rows); err != nil {
		return SearchPage{}, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// closeRows reports an iteration error before the close error.
func closeRows(rows interface {
	Err() error
	Close() error
}) error {
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return err
	}
	return rows.Close()
}
