package promotion

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Catalogue promotions change the price the catalogue shows: a promotion
// without a code and without a condition on the cart (minimum subtotal or
// quantity, signed in, first order) whose action prices each unit alone
// (PERCENTAGE or FIXED_PRICE), and without a total usage limit (a price
// shown on listings cannot run out between two orders). A FIXED_AMOUNT is
// off the matching lines together, BUY_X_GET_Y depends on the quantity
// and SHIPPING on the shipping charge, so they show in the cart only.
//
// The sale price a variant shows is what the engine takes off one unit of
// it when only the running catalogue promotions apply (SalePrice), with
// the engine's stacking; the engine takes per unit, so a cart charges that
// sale price times the quantity. The cart keeps pricing from the original
// price (checkout.Price), with the sale as one of its discounts, which the
// order snapshots like any other: a sale is never taken twice.
//
// The variant keeps its sale price (sale_price_minor) and the product its
// range over sale prices, so listings read them with no extra statement.
// Resale recomputes them: on every promotion write (Service), at every
// promotion's window boundary (WindowArgs, a River job scheduled at
// starts_at and ends_at), and on writes that change what a variant costs
// or where it sits (ResaleOnWrite). Its writes go through ent, so the
// catalogue cache's hook (internal/cache) bumps the version after commit,
// on every replica.

// IsCatalogue reports whether p is a catalogue promotion (whatever its
// window).
func IsCatalogue(p *ent.Promotion) bool {
	return !p.RequiresCode && p.MinSubtotalMinor == 0 && p.MinQuantity == 0 && !p.SignedIn && !p.FirstOrder && p.UsageLimit == nil &&
		(p.Action == promotion.ActionPERCENTAGE || p.Action == promotion.ActionFIXED_PRICE)
}

// SalePrice is what one unit of the variant item, at priceMinor, sells
// for under the catalogue promotions among running (taken as running at
// now), and whether that is below priceMinor (a sale).
func SalePrice(now time.Time, running []*ent.Promotion, it Item, priceMinor int64) (int64, bool) {
	e := &Engine{Now: now, Items: map[int]Item{1: it}}
	for _, p := range running {
		if IsCatalogue(p) {
			e.Offers = append(e.Offers, Offer{Promotion: p})
		}
	}
	if len(e.Offers) == 0 {
		return priceMinor, false
	}
	t := pricing.Price(pricing.Input{
		Lines:       []pricing.Line{{ID: 1, Quantity: 1, UnitMinor: priceMinor}},
		Discounters: []pricing.Discounter{e},
	})
	off := t.Lines[0].DiscountMinor
	return priceMinor - off, off > 0
}

// resaleBatch is how many variants one statement of Resale reprices.
const resaleBatch = 1000

// saleLockKey names the PostgreSQL advisory lock that serialises Resale
// runs: the bytes "SVNSALES".
const saleLockKey int64 = 0x53564e53414c4553

// lockSales serialises, on PostgreSQL, the transactions that recompute
// sale prices, until the transaction ends: a run that read the promotions
// before another's commit could otherwise write sale prices that are no
// longer true after it. Writers take it before their first write (the
// hooks before the mutation), so it is always taken before row locks.
// SQLite has a single writer and needs nothing more.
func lockSales(ctx context.Context, c *ent.Client, d string) error {
	if d != dialect.Postgres {
		return nil
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", saleLockKey); err != nil {
		return fmt.Errorf("lock sale prices: %w", err)
	}
	return nil
}

// Resale recomputes the sale prices of the variants of productIDs (none
// given: of every product) for the catalogue promotions running at now,
// writes those that changed, and the price ranges of their products, in
// c (a transaction's client, or the root), under the sale lock of
// dialect d. It returns how many variants changed. It reads in at most
// four statements (promotions, variants, products, categories) and writes
// in one statement for the variants whose sale ends, one per thousand
// variants with a new sale price and one for their products' ranges.
func Resale(ctx context.Context, c *ent.Client, d string, now time.Time, productIDs ...int) (int, error) {
	if err := lockSales(ctx, c, d); err != nil {
		return 0, err
	}
	sys := viewer.System(ctx, "promotion: keep the catalogue's sale prices")
	running, err := c.Promotion.Query().
		Where(promotion.Active(true), promotion.RequiresCode(false), Running(now)).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("read promotions: %w", err)
	}
	running = slices.DeleteFunc(running, func(p *ent.Promotion) bool { return !IsCatalogue(p) })
	q := c.ProductVariant.Query().
		Select(productvariant.FieldPriceMinor, productvariant.FieldSalePriceMinor, productvariant.FieldProductID)
	if len(productIDs) > 0 {
		q.Where(productvariant.ProductIDIn(productIDs...))
	}
	if len(running) == 0 {
		// No sale: only the variants still on sale change.
		q.Where(productvariant.SalePriceMinorNotNil())
	} else {
		byCategory := slices.ContainsFunc(running, func(p *ent.Promotion) bool { return len(p.CategoryIds) > 0 })
		q.WithProduct(func(pq *ent.ProductQuery) {
			pq.Select(product.FieldCategoryID)
			if byCategory {
				pq.WithCategory(func(cq *ent.CategoryQuery) { cq.Select(category.FieldPath) })
			}
		})
	}
	variants, err := q.All(sys)
	if err != nil {
		return 0, fmt.Errorf("read variants: %w", err)
	}
	var cleared, pricedIDs []int
	priced := map[int]int64{} // variant → its new sale price
	products := map[int]bool{}
	for _, v := range variants {
		sale, onSale := SalePrice(now, running, itemOf(v), v.PriceMinor)
		switch {
		case !onSale && v.SalePriceMinor != nil:
			cleared = append(cleared, v.ID)
		case onSale && (v.SalePriceMinor == nil || *v.SalePriceMinor != sale):
			priced[v.ID] = sale
			pricedIDs = append(pricedIDs, v.ID)
		default:
			continue
		}
		products[v.ProductID] = true
	}
	if len(cleared) > 0 {
		if err := c.ProductVariant.Update().Where(productvariant.IDIn(cleared...)).ClearSalePriceMinor().Exec(sys); err != nil {
			return 0, fmt.Errorf("end sale prices: %w", err)
		}
	}
	n := len(cleared) + len(pricedIDs)
	// One statement per resaleBatch variants, each set to its own price
	// (CASE id WHEN … THEN …; the cast tells PostgreSQL the type), through
	// ent so its hooks see the write.
	for ids := range slices.Chunk(pricedIDs, resaleBatch) {
		price := sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString("CASE ").Ident(productvariant.FieldID)
			for _, id := range ids {
				b.WriteString(" WHEN ").Arg(id).WriteString(" THEN CAST(").Arg(priced[id]).WriteString(" AS BIGINT)")
			}
			b.WriteString(" END")
		})
		err := c.ProductVariant.Update().Where(productvariant.IDIn(ids...)).
			Modify(func(u *sql.UpdateBuilder) { u.Set(productvariant.FieldSalePriceMinor, price) }).
			Exec(sys)
		if err != nil {
			return 0, fmt.Errorf("set sale prices: %w", err)
		}
	}
	if len(products) > 0 {
		ids := make([]int, 0, len(products))
		for id := range products {
			ids = append(ids, id)
		}
		if err := catalog.Reprice(sys, c, ids...); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// itemOf is what the engine knows of a variant loaded with its product
// (and the product's category, for promotions by category).
func itemOf(v *ent.ProductVariant) Item {
	it := Item{VariantID: v.ID, ProductID: v.ProductID}
	if p := v.Edges.Product; p != nil {
		it.Categories = []int{p.CategoryID}
		if ct := p.Edges.Category; ct != nil {
			it.Categories = append(it.Categories, pathIDs(ct.Path)...)
		}
	}
	return it
}

// pathIDs are the category IDs of a materialised path ("/1/5/").
func pathIDs(path string) []int {
	var out []int
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.Atoi(part); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// bulkKey carries a bulk import's *bulk in a context.
type bulkKey struct{}

// bulk is one bulk import transaction's products, whose sale prices are
// recomputed together before it commits.
type bulk struct {
	mu       sync.Mutex
	hooked   bool
	products map[int]bool
}

// Bulk returns ctx for one transaction of a bulk import (seed.Load):
// variants created with it in that transaction have their sale prices
// recomputed once, for all their products, just before it commits,
// rather than once per variant. Use a new one for each transaction.
func Bulk(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkKey{}, &bulk{products: map[int]bool{}})
}

// add records productID, and reports whether it is the first (the commit
// hook is still to be registered).
func (b *bulk) add(productID int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.products[productID] = true
	first := !b.hooked
	b.hooked = true
	return first
}

// take returns the products recorded and forgets them.
func (b *bulk) take() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]int, 0, len(b.products))
	for id := range b.products {
		ids = append(ids, id)
	}
	clear(b.products)
	b.hooked = false
	slices.Sort(ids)
	return ids
}

// ResaleOnWrite registers the hooks that keep sale prices current when a
// catalogue write changes what a variant costs or where it sits: a
// variant created or repriced, a product moved to another category, a
// category moved in the tree. They run Resale in the write's transaction
// (for the products concerned when known), with now as the clock, under
// the sale lock of dialect d, taken before the write. Variants created in
// a bulk import (Bulk) are recomputed once per transaction, before it
// commits.
func ResaleOnWrite(client *ent.Client, d string, now func() time.Time) {
	client.ProductVariant.Use(func(next ent.Mutator) ent.Mutator {
		return hook.ProductVariantFunc(func(ctx context.Context, m *ent.ProductVariantMutation) (ent.Value, error) {
			if b, _ := ctx.Value(bulkKey{}).(*bulk); b != nil && m.Op().Is(ent.OpCreate) {
				if tx, err := m.Tx(); err == nil {
					return bulkCreate(ctx, next, m, tx, b, d, now)
				}
			}
			_, price := m.PriceMinor()
			_, moved := m.ProductID()
			if price || moved {
				if err := lockSales(ctx, m.Client(), d); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || (!price && !moved) {
				return v, err
			}
			var ids []int
			if pv, ok := v.(*ent.ProductVariant); ok {
				ids = []int{pv.ProductID}
			}
			if _, err := Resale(ctx, m.Client(), d, now(), ids...); err != nil {
				return nil, err
			}
			return v, nil
		})
	})
	client.Product.Use(func(next ent.Mutator) ent.Mutator {
		return hook.ProductFunc(func(ctx context.Context, m *ent.ProductMutation) (ent.Value, error) {
			_, moved := m.CategoryID()
			moved = moved && !m.Op().Is(ent.OpCreate)
			if moved {
				if err := lockSales(ctx, m.Client(), d); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || !moved {
				return v, err
			}
			var ids []int
			if p, ok := v.(*ent.Product); ok {
				ids = []int{p.ID}
			}
			if _, err := Resale(ctx, m.Client(), d, now(), ids...); err != nil {
				return nil, err
			}
			return v, nil
		})
	})
	client.Category.Use(func(next ent.Mutator) ent.Mutator {
		return hook.CategoryFunc(func(ctx context.Context, m *ent.CategoryMutation) (ent.Value, error) {
			_, moved := m.ParentID()
			moved = (moved || m.ParentIDCleared()) && !m.Op().Is(ent.OpCreate)
			if moved {
				if err := lockSales(ctx, m.Client(), d); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || !moved {
				return v, err
			}
			if _, err := Resale(ctx, m.Client(), d, now()); err != nil {
				return nil, err
			}
			return v, nil
		})
	})
}

// bulkCreate creates a variant of a bulk import in tx, and leaves its sale
// price to tx's commit hook, registered with the import's first variant,
// which also takes the sale lock before that first write.
func bulkCreate(ctx context.Context, next ent.Mutator, m *ent.ProductVariantMutation, tx *ent.Tx, b *bulk, d string, now func() time.Time) (ent.Value, error) {
	productID, _ := m.ProductID()
	if b.add(productID) {
		if err := lockSales(ctx, m.Client(), d); err != nil {
			b.take()
			return nil, err
		}
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				if _, err := Resale(ctx, tx.Client(), d, now(), b.take()...); err != nil {
					return err
				}
				return next.Commit(ctx, tx)
			})
		})
		tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
			return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
				b.take()
				return next.Rollback(ctx, tx)
			})
		})
	}
	return next.Mutate(ctx, m)
}
