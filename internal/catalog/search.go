package catalog

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Limits of a search query: longer text is refused rather than cut, so a
// shopper never gets results for words they cannot see; extra words past
// MaxSearchTerms are ignored.
const (
	MaxSearchLen   = 200
	MaxSearchTerms = 8
)

// SearchTerms splits a query into the words the index holds
// (database.SearchWords: runs of letters and digits, lower-cased), as the
// index splits names and descriptions. Punctuation only gives none.
func SearchTerms(query string) ([]string, error) {
	if utf8.RuneCountInString(query) > MaxSearchLen {
		return nil, fail(ErrInvalid, fmt.Sprintf("a search is at most %d characters", MaxSearchLen), "query")
	}
	words := database.SearchWords(query)
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
// last word also as the start of a longer one (as a shopper types),
// ranked by relevance: the words' places summed (the name's first word
// above a later word of the name, above the description), then the
// shorter name (so a name equal to the query comes first), then the
// product ID. offset and limit pick the page.
//
// It reads the search index (internal/database/search.go), which holds
// the products the Product read rule shows a shopper, kept current by
// IndexOnWrite: the count is exact and the order total, on both
// databases.
func (s *Service) Search(ctx context.Context, query string, offset, limit int) (SearchPage, error) {
	terms, err := SearchTerms(query)
	if err != nil || len(terms) == 0 {
		return SearchPage{}, err
	}
	c := s.client
	if tc := ent.FromContext(ctx); tc != nil {
		c = tc
	}
	ids, total, err := database.SearchIndex(ctx, c, s.dialect, terms, offset, limit)
	if err != nil {
		return SearchPage{}, err
	}
	return SearchPage{IDs: ids, Total: total}, nil
}

// IndexOnWrite registers the hook that keeps the search index current on
// every product write, on a database of dialect: in the write's
// transaction, a create indexes the product, and an update that changes a
// name, a description or a status reindexes the products it changed
// (database.IndexProducts; a delete's rows go by the foreign key's
// cascade). Products created with BulkIndex are indexed together, once
// per transaction, before it commits.
func IndexOnWrite(client *ent.Client, dialect string) {
	client.Product.Use(func(next ent.Mutator) ent.Mutator {
		return hook.ProductFunc(func(ctx context.Context, m *ent.ProductMutation) (ent.Value, error) {
			sys := viewer.System(ctx, "catalog: search index")
			switch {
			case m.Op().Is(ent.OpCreate):
				v, err := next.Mutate(ctx, m)
				if err != nil {
					return v, err
				}
				id := v.(*ent.Product).ID
				if b, _ := ctx.Value(bulkIndexKey{}).(*bulkIndex); b != nil {
					if tx, err := m.Tx(); err == nil {
						b.add(tx, func(ids *[]int) { *ids = append(*ids, id) }, func(ctx context.Context, tx *ent.Tx, ids []int) error {
							return database.IndexProducts(viewer.System(ctx, "catalog: search index"), tx.Client(), dialect, ids, true)
						})
						return v, nil
					}
				}
				return v, database.IndexProducts(sys, m.Client(), dialect, []int{id}, true)
			case m.Op().Is(ent.OpUpdate | ent.OpUpdateOne):
				if !changesSearch(m) {
					return next.Mutate(ctx, m)
				}
				ids, err := m.IDs(sys)
				if err != nil {
					return nil, fmt.Errorf("search index: %w", err)
				}
				v, err := next.Mutate(ctx, m)
				if err != nil {
					return v, err
				}
				return v, database.IndexProducts(sys, m.Client(), dialect, ids, false)
			default:
				return next.Mutate(ctx, m)
			}
		})
	})
}

// changesSearch reports whether m sets a field the index reads: the name
// and description it holds, the status the Product read rule reads.
func changesSearch(m *ent.ProductMutation) bool {
	_, name := m.Name()
	_, desc := m.Description()
	_, status := m.Status()
	return name || desc || status
}

// BulkIndex returns ctx for one transaction of a bulk import (seed.Load):
// products created with it in that transaction are indexed together, just
// before it commits, rather than a few statements per product. Use a new
// one for each transaction.
func BulkIndex(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkIndexKey{}, &bulkIndex{})
}

// bulkIndexKey carries a bulk import's *bulkIndex in a context.
type bulkIndexKey struct{}

// bulkIndex are the products created in one bulk import transaction.
type bulkIndex = beforeCommit[[]int]
