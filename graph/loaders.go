package graph

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/catalog"
)

// loaders batch what would otherwise be one query per object: each is
// built per operation, so nothing is cached across requests.
type loaders struct {
	categoryByID     *dataloadgen.Loader[int, *ent.Category]
	childrenOf       *dataloadgen.Loader[int, []*ent.Category]
	variantsOf       *dataloadgen.Loader[int, []*ent.ProductVariant]
	availableProduct *dataloadgen.Loader[int, bool]
}

type loadersKey struct{}

// batchWait is how long a loader collects keys before it queries: long
// enough for sibling resolvers to join, short next to a query.
const batchWait = 500 * time.Microsecond

func (r *Resolver) newLoaders() *loaders {
	opt := dataloadgen.WithWait(batchWait)
	return &loaders{
		categoryByID:     dataloadgen.NewLoader(r.fetchCategories, opt),
		childrenOf:       dataloadgen.NewLoader(r.fetchChildren, opt),
		variantsOf:       dataloadgen.NewLoader(r.fetchVariants, opt),
		availableProduct: dataloadgen.NewLoader(r.fetchAvailability, opt),
	}
}

// withLoaders attaches a fresh set of loaders to an operation's context.
func (r *Resolver) withLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadersKey{}, r.newLoaders())
}

// loadersFrom returns the operation's loaders, or a fresh set when the
// context has none (a resolver called outside the handler, as in tests).
func (r *Resolver) loadersFrom(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return r.newLoaders()
}

func (r *Resolver) fetchCategories(ctx context.Context, ids []int) ([]*ent.Category, []error) {
	rows, err := r.db(ctx).Category.Query().Where(category.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fill(len(ids), err)
	}
	byID := make(map[int]*ent.Category, len(rows))
	for _, c := range rows {
		byID[c.ID] = c
	}
	out := make([]*ent.Category, len(ids))
	errs := make([]error, len(ids))
	for i, id := range ids {
		if out[i] = byID[id]; out[i] == nil {
			errs[i] = &ent.NotFoundError{}
		}
	}
	return out, errs
}

func (r *Resolver) fetchChildren(ctx context.Context, parents []int) ([][]*ent.Category, []error) {
	rows, err := r.db(ctx).Category.Query().
		Where(category.ParentIDIn(parents...)).
		Order(ent.Asc(category.FieldPosition), ent.Asc(category.FieldName), ent.Asc(category.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fill(len(parents), err)
	}
	return group(parents, rows, func(c *ent.Category) int { return *c.ParentID }), nil
}

func (r *Resolver) fetchVariants(ctx context.Context, products []int) ([][]*ent.ProductVariant, []error) {
	rows, err := r.db(ctx).ProductVariant.Query().
		Where(productvariant.ProductIDIn(products...)).
		Order(ent.Asc(productvariant.FieldPosition), ent.Asc(productvariant.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fill(len(products), err)
	}
	return group(products, rows, func(v *ent.ProductVariant) int { return v.ProductID }), nil
}

// fetchAvailability tells, per product, whether any variant has stock that
// no order has reserved.
func (r *Resolver) fetchAvailability(ctx context.Context, products []int) ([]bool, []error) {
	var rows []struct {
		ProductID int `json:"product_id"`
	}
	err := r.db(ctx).ProductVariant.Query().
		Where(productvariant.ProductIDIn(products...), catalog.Available()).
		GroupBy(productvariant.FieldProductID).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fill(len(products), err)
	}
	avail := make(map[int]bool, len(rows))
	for _, r := range rows {
		avail[r.ProductID] = true
	}
	out := make([]bool, len(products))
	for i, id := range products {
		out[i] = avail[id]
	}
	return out, nil
}

// group splits rows by key into one slice per requested key, in order;
// keys with no rows get an empty (non-nil) slice.
func group[T any](keys []int, rows []T, key func(T) int) [][]T {
	byKey := make(map[int][]T, len(keys))
	for _, row := range rows {
		k := key(row)
		byKey[k] = append(byKey[k], row)
	}
	out := make([][]T, len(keys))
	for i, k := range keys {
		if out[i] = byKey[k]; out[i] == nil {
			out[i] = []T{}
		}
	}
	return out
}

func fill(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// sortedVariants orders variants as the loader does, for variants that
// field collection already loaded.
func sortedVariants(vs []*ent.ProductVariant) []*ent.ProductVariant {
	out := slices.Clone(vs)
	slices.SortFunc(out, func(a, b *ent.ProductVariant) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// sortedCategories orders siblings as the loader does, for children that
// field collection already loaded.
func sortedCategories(cs []*ent.Category) []*ent.Category {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b *ent.Category) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// primeAvailability answers availableForSale for a whole page of products
// in one query, when the page asks for it without loading variants:
// resolvers of the page's products then read the loader's cache, instead of
// racing to join batches.
func (r *Resolver) primeAvailability(ctx context.Context, conn *ent.ProductConnection) error {
	if len(conn.Edges) == 0 || !requested(ctx, "edges", "node", "availableForSale") {
		return nil
	}
	ids := make([]int, 0, len(conn.Edges))
	for _, e := range conn.Edges {
		if _, err := e.Node.NamedVariants("variants"); err != nil {
			ids = append(ids, e.Node.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	avail, errs := r.fetchAvailability(ctx, ids)
	if errs != nil {
		return errs[0]
	}
	l := r.loadersFrom(ctx).availableProduct
	for i, id := range ids {
		l.Prime(id, avail[i])
	}
	return nil
}
