package catalog

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/access"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Product counts per category. Every category keeps how many products it
// holds itself (product_count) and how many of those shoppers see
// (active_product_count: the Product read rule shows shoppers ACTIVE
// products). A subtree's count is the sum over its categories: a prefix
// scan of the path index over a few hundred category rows at most,
// whatever the number of products. Moving a category in the tree changes
// no count, since every count is the category's own.
//
// CountOnWrite keeps the counts in the transaction of every product write:
// a create adds, a delete subtracts, and an update that changes a
// product's category or status moves it between counts. Recount rebuilds
// them from the products, for a database that predates them.

// CountOnWrite registers the hook that keeps the per-category product
// counts current on every product write, on a database of dialect, and
// the interceptor that answers a SubtreeProducts count from them.
// Products created with BulkCounts are counted once per transaction,
// before it commits.
func CountOnWrite(client *ent.Client, dialect string) {
	client.Product.Intercept(entgo.InterceptFunc(countFromSubtree))
	client.Product.Use(func(next ent.Mutator) ent.Mutator {
		return hook.ProductFunc(func(ctx context.Context, m *ent.ProductMutation) (ent.Value, error) {
			sys := viewer.System(ctx, "catalog: product counts")
			if m.Op().Is(ent.OpCreate) {
				v, err := next.Mutate(ctx, m)
				if err != nil {
					return v, err
				}
				p := v.(*ent.Product)
				d := countDeltas{}
				d.add(p.CategoryID, p.Status, 1)
				if b, _ := ctx.Value(bulkCountsKey{}).(*bulkCounts); b != nil {
					if tx, err := m.Tx(); err == nil {
						b.add(tx, func(all *countDeltas) {
							if *all == nil {
								*all = countDeltas{}
							}
							for k, n := range d {
								(*all)[k] += n
							}
						}, func(ctx context.Context, tx *ent.Tx, all countDeltas) error {
							return all.apply(viewer.System(ctx, "catalog: product counts"), tx.Client(), dialect)
						})
						return v, nil
					}
				}
				return v, d.apply(sys, m.Client(), dialect)
			}
			_, moved := m.CategoryID()
			_, status := m.Status()
			if m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) && !moved && !status {
				return next.Mutate(ctx, m)
			}
			ids, err := m.IDs(sys)
			if err != nil {
				return nil, fmt.Errorf("product counts: %w", err)
			}
			d := countDeltas{}
			if err := d.addProducts(sys, m.Client(), ids, -1); err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			if !m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
				if err := d.addProducts(sys, m.Client(), ids, 1); err != nil {
					return nil, err
				}
			}
			return v, d.apply(sys, m.Client(), dialect)
		})
	})
}

// SubtreeProductCount is the number of products in the category with
// path and all its subcategories that the viewer of ctx may read: every
// product for a viewer who reads them all (the Product read rule lets
// them), the ACTIVE ones otherwise.
func SubtreeProductCount(ctx context.Context, client *ent.Client, path string) (int, error) {
	field := category.FieldActiveProductCount
	if rule, _ := access.Of("Product"); rule.Predicate(ctx) == nil {
		field = category.FieldProductCount
	}
	var sums []struct{ Sum int }
	err := client.Category.Query().
		Where(InSubtree(path)).
		Aggregate(ent.As(ent.Sum(field), "sum")).
		Scan(ctx, &sums)
	if err != nil {
		return 0, fmt.Errorf("count products of subtree: %w", err)
	}
	if len(sums) == 0 {
		return 0, nil
	}
	return sums[0].Sum, nil
}

// Recount sets every category's product counts from its products, in one
// statement: for a database whose counts predate CountOnWrite, and the
// reference the tests compare the maintained counts with.
func Recount(ctx context.Context, client *ent.Client) error {
	_, err := client.ExecContext(ctx, `UPDATE categories SET
	product_count = (SELECT count(*) FROM products WHERE products.category_id = categories.id),
	active_product_count = (SELECT count(*) FROM products WHERE products.category_id = categories.id AND products.status = 'ACTIVE')`)
	if err != nil {
		return fmt.Errorf("recount products per category: %w", err)
	}
	return nil
}

// BulkCounts returns ctx for one transaction of a bulk import (seed.Load):
// products created with it in that transaction are added to the counts
// together, just before it commits, rather than one UPDATE per product.
// Use a new one for each transaction.
func BulkCounts(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkCountsKey{}, &bulkCounts{})
}

// bulkCountsKey carries a bulk import's *bulkCounts in a context.
type bulkCountsKey struct{}

// bulkCounts are the count changes of one bulk import transaction.
type bulkCounts = beforeCommit[countDeltas]

// countKey is a category and whether the products counted are ACTIVE.
type countKey struct {
	category int
	active   bool
}

// countDeltas are changes to the counts.
type countDeltas map[countKey]int

func (d countDeltas) add(categoryID int, status product.Status, n int) {
	d[countKey{categoryID, status == product.StatusACTIVE}] += n
}

// addProducts adds n for each of the products ids, by their category and
// status as they are now.
func (d countDeltas) addProducts(ctx context.Context, client *ent.Client, ids []int, n int) error {
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		CategoryID int            `json:"category_id"`
		Status     product.Status `json:"status"`
		Count      int            `json:"count"`
	}
	err := client.Product.Query().
		Where(product.IDIn(ids...)).
		GroupBy(product.FieldCategoryID, product.FieldStatus).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("product counts: %w", err)
	}
	for _, r := range rows {
		d.add(r.CategoryID, r.Status, n*r.Count)
	}
	return nil
}

// apply writes the changes: one UPDATE for up to countsPerStatement
// categories, adding each its own change (a bulk import touches a hundred
// categories at once; a statement each was most of its statements).
func (d countDeltas) apply(ctx context.Context, client *ent.Client, dialect string) error {
	byCategory := map[int][2]int{} // all, active
	for k, n := range d {
		c := byCategory[k.category]
		c[0] += n
		if k.active {
			c[1] += n
		}
		byCategory[k.category] = c
	}
	ids := make([]int, 0, len(byCategory))
	for id, c := range byCategory {
		if c != [2]int{} {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, countsPerStatement) {
		// A plain statement, not a Category update: the counts are no
		// edit of the category (its updated_at, hooks and events stay).
		// The changes are written as literals (they are ints): a
		// placeholder in a CASE branch has no type on PostgreSQL.
		add := func(field string, which int) sql.Querier {
			return sql.ExprFunc(func(b *sql.Builder) {
				b.Ident(field).WriteString(" + CASE ").Ident(category.FieldID)
				for _, id := range chunk {
					b.WriteString(" WHEN " + strconv.Itoa(id) + " THEN " + strconv.Itoa(byCategory[id][which]))
				}
				b.WriteString(" ELSE 0 END")
			})
		}
		q, args := sql.Dialect(dialect).Update(category.Table).
			Set(category.FieldProductCount, add(category.FieldProductCount, 0)).
			Set(category.FieldActiveProductCount, add(category.FieldActiveProductCount, 1)).
			Where(sql.InInts(category.FieldID, chunk...)).
			Query()
		if _, err := client.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("product counts of categories %d to %d: %w", chunk[0], chunk[len(chunk)-1], err)
		}
	}
	return nil
}

// countsPerStatement is the most categories one UPDATE of the counts
// writes.
const countsPerStatement = 500

// SubtreeProducts is the query for the products of the category with path
// and of every category below it, and the context to run it with. Unless
// the caller filters it further (filtered), its Count with that context is
// SubtreeProductCount, the counts' sum, instead of a count of the
// subtree's products: exact, and as cheap at 200,000 products as at 2,000.
// A filtered query counts its rows.
func SubtreeProducts(ctx context.Context, client *ent.Client, path string, filtered bool) (context.Context, *ent.ProductQuery) {
	// category_id IN (the subtree's IDs), not HasCategoryWith's EXISTS:
	// SQLite runs a correlated EXISTS once per product of the store (0.5 s
	// at 200,000), where IN reads the subtree's IDs once and seeks the
	// (category_id, status) index; PostgreSQL plans both alike.
	q := client.Product.Query().Where(func(s *sql.Selector) {
		t := sql.Table(category.Table)
		ids := sql.Dialect(s.Dialect()).Select(t.C(category.FieldID)).From(t)
		InSubtree(path)(ids)
		s.Where(sql.In(s.C(product.FieldCategoryID), ids))
	})
	if filtered {
		return ctx, q
	}
	return context.WithValue(ctx, subtreeCountKey{}, subtreeCount{client, path}), q
}

// subtreeCountKey carries a subtreeCount in a context.
type subtreeCountKey struct{}

// subtreeCount is the subtree whose product count answers a Count of
// products (SubtreeProducts).
type subtreeCount struct {
	client *ent.Client
	path   string
}

// countFromSubtree answers a Count of products run with a context from
// SubtreeProducts from the counts.
func countFromSubtree(next entgo.Querier) entgo.Querier {
	return entgo.QuerierFunc(func(ctx context.Context, q entgo.Query) (entgo.Value, error) {
		if sc, ok := ctx.Value(subtreeCountKey{}).(subtreeCount); ok {
			if qc := entgo.QueryFromContext(ctx); qc != nil && qc.Op == entgo.OpQueryCount {
				return SubtreeProductCount(ctx, sc.client, sc.path)
			}
		}
		return next.Query(ctx, q)
	})
}

// EnsureCounts recounts (Recount) when the counts do not add up to the
// products, as on a database migrated from before the counts existed
// (the migration adds them as zeros); otherwise it changes nothing.
func EnsureCounts(ctx context.Context, client *ent.Client) error {
	ctx = viewer.System(ctx, "catalog: check product counts")
	products, err := client.Product.Query().Count(ctx)
	if err != nil {
		return fmt.Errorf("check product counts: %w", err)
	}
	var sums []struct{ Sum *int } // NULL without categories
	if err := client.Category.Query().Aggregate(ent.As(ent.Sum(category.FieldProductCount), "sum")).Scan(ctx, &sums); err != nil {
		return fmt.Errorf("check product counts: %w", err)
	}
	if len(sums) == 1 && (sums[0].Sum == nil && products == 0 || sums[0].Sum != nil && *sums[0].Sum == products) {
		return nil
	}
	return Recount(ctx, client)
}
