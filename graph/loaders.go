package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

// loaders batch what would otherwise be one query per object: each is
// built per operation, so nothing is cached across requests, and only
// when the operation first asks for it (lazy): most operations use one or
// two, and an open subscription keeps its set for as long as it runs.
type loaders struct {
	r            *Resolver
	categoryByID lazy[int, *ent.Category]
	childrenOf   lazy[int, []*ent.Category]
	variantsOf   lazy[int, []*ent.ProductVariant]
	// pageVariants are the variants primeVariants loaded for pages of
	// products: Product.variants answers from them at once, on the
	// product's own goroutine (graph/fastpath.go, loaded).
	pageVariants variantsByProduct
	// Images by owner, in position order (graph/media.go).
	productMedia  lazy[int, []*ent.Media]
	variantMedia  lazy[int, []*ent.Media]
	categoryMedia lazy[int, []*ent.Media]
	// currencyOf is an order's currency, by order ID: the currency of its
	// lines' money. It is immutable, so caching it for a whole operation
	// (a subscription included) is exact.
	currencyOf lazy[int, string]
	// tax is the store's tax setup, read once per operation by the
	// first field that prices with tax.
	tax taxMemo
	// cartPrices are the carts priced so far (graph/cartshipping.go).
	cartPrices cartPrices
}

// taxMemo reads the tax setup on first use, with that field's context
// (inside a mutation's transaction, its client).
type taxMemo struct {
	once sync.Once
	tax  checkout.Tax
	err  error
}

// taxOf returns the operation's tax setup.
func (r *Resolver) taxOf(ctx context.Context) (checkout.Tax, error) {
	m := &r.loadersFrom(ctx).tax
	m.once.Do(func() { m.tax, m.err = r.checkout.Tax(ctx) })
	return m.tax, m.err
}

// variantsByProduct holds variants by product ID; pages resolved at the
// same time (two aliased lists) write it concurrently.
type variantsByProduct struct {
	mu sync.RWMutex
	m  map[int][]*ent.ProductVariant
}

func (v *variantsByProduct) get(product int) ([]*ent.ProductVariant, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	vs, ok := v.m[product]
	return vs, ok
}

func (v *variantsByProduct) put(ids []int, variants [][]*ent.ProductVariant) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[int][]*ent.ProductVariant, len(ids))
	}
	for i, id := range ids {
		v.m[id] = variants[i]
	}
}

type loadersKey struct{}

// batchWait is how long a loader collects keys before it queries: long
// enough for sibling resolvers to join, short next to a query.
const batchWait = 500 * time.Microsecond

func (r *Resolver) newLoaders() *loaders {
	return &loaders{r: r}
}

// lazy is a loader made on first use.
type lazy[K comparable, V any] struct {
	p atomic.Pointer[dataloadgen.Loader[K, V]]
}

// get returns the loader, made on first use to fetch with the method
// fetch of r (a method expression: nothing is allocated once it exists).
func (z *lazy[K, V]) get(r *Resolver, fetch func(*Resolver, context.Context, []K) ([]V, []error)) *dataloadgen.Loader[K, V] {
	if l := z.p.Load(); l != nil {
		return l
	}
	z.p.CompareAndSwap(nil, dataloadgen.NewLoader(func(ctx context.Context, keys []K) ([]V, []error) {
		return fetch(r, ctx, keys)
	}, dataloadgen.WithWait(batchWait)))
	return z.p.Load()
}

func (l *loaders) categories() *dataloadgen.Loader[int, *ent.Category] {
	return l.categoryByID.get(l.r, (*Resolver).fetchCategories)
}

func (l *loaders) children() *dataloadgen.Loader[int, []*ent.Category] {
	return l.childrenOf.get(l.r, (*Resolver).fetchChildren)
}

func (l *loaders) variants() *dataloadgen.Loader[int, []*ent.ProductVariant] {
	return l.variantsOf.get(l.r, (*Resolver).fetchVariants)
}

func (l *loaders) productImages() *dataloadgen.Loader[int, []*ent.Media] {
	return l.productMedia.get(l.r, (*Resolver).fetchProductMedia)
}

func (l *loaders) variantImages() *dataloadgen.Loader[int, []*ent.Media] {
	return l.variantMedia.get(l.r, (*Resolver).fetchVariantMedia)
}

func (l *loaders) categoryImages() *dataloadgen.Loader[int, []*ent.Media] {
	return l.categoryMedia.get(l.r, (*Resolver).fetchCategoryMedia)
}

func (l *loaders) currencies() *dataloadgen.Loader[int, string] {
	return l.currencyOf.get(l.r, (*Resolver).fetchCurrencies)
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

// fetchCurrencies reads the currencies of orders, through the orders'
// read rule: a line of an order the viewer may not see has no currency.
func (r *Resolver) fetchCurrencies(ctx context.Context, orders []int) ([]string, []error) {
	rows, err := r.db(ctx).Order.Query().
		Where(order.IDIn(orders...)).
		Select(order.FieldID, order.FieldCurrency).
		All(ctx)
	if err != nil {
		return nil, fill(len(orders), err)
	}
	byID := make(map[int]string, len(rows))
	for _, o := range rows {
		byID[o.ID] = o.Currency
	}
	out := make([]string, len(orders))
	errs := make([]error, len(orders))
	for i, id := range orders {
		var ok bool
		if out[i], ok = byID[id]; !ok {
			errs[i] = &ent.NotFoundError{}
		}
	}
	return out, errs
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

// Loaders batch keys that arrive within batchWait, so how many queries a
// list costs would depend on goroutine timing. The list resolvers below
// make it exact instead: they fetch what the items' resolvers will ask for
// in one query per level and prime the loaders' caches with it.

// prefetchChildren loads, level by level, the children that the query
// asks for below cats (categoryTree { children { children } }): one query
// per level of the selection, however many categories each level holds.
func (r *Resolver) prefetchChildren(ctx context.Context, cats []*ent.Category) error {
	l := r.loadersFrom(ctx).children()
	path := []string{"children"}
	for len(cats) > 0 && requested(ctx, path...) {
		ids := make([]int, len(cats))
		for i, c := range cats {
			ids[i] = c.ID
		}
		kids, errs := r.fetchChildren(ctx, ids)
		if errs != nil {
			return errs[0]
		}
		cats = cats[:0:0]
		for i, id := range ids {
			l.Prime(id, kids[i])
			cats = append(cats, kids[i]...)
		}
		path = append(path, "children")
	}
	return nil
}

// primeVariants loads the variants of a whole page of products in one
// query when the page asks for variants or for availableForSale (which is
// derived from them).
//
// It also loads the page's images, in one query per kind of owner asked
// for (primeMedia).
func (r *Resolver) primeVariants(ctx context.Context, conn *ent.ProductConnection) error {
	if len(conn.Edges) == 0 {
		return nil
	}
	ids := make([]int, len(conn.Edges))
	for i, e := range conn.Edges {
		ids[i] = e.Node.ID
	}
	var variants []int
	if requested(ctx, "edges", "node", "variants") || requested(ctx, "edges", "node", "availableForSale") {
		vs, errs := r.fetchVariants(ctx, ids)
		if errs != nil {
			return errs[0]
		}
		ls := r.loadersFrom(ctx)
		ls.pageVariants.put(ids, vs)
		l := ls.variants()
		for i, id := range ids {
			l.Prime(id, vs[i])
			for _, v := range vs[i] {
				variants = append(variants, v.ID)
			}
		}
	}
	return r.primeMedia(ctx, ids, variants)
}
