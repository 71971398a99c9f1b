package api_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

type saleVariant struct {
	ID             string `json:"id"`
	SKU            string `json:"sku"`
	Price          money  `json:"price"`
	CompareAtPrice *money `json:"compareAtPrice"`
}

type saleCard struct {
	ID         string `json:"id"`
	Slug       string `json:"slug"`
	PriceRange struct {
		Min money `json:"minVariantPrice"`
		Max money `json:"maxVariantPrice"`
	} `json:"priceRange"`
	Variants []saleVariant `json:"variants"`
}

type saleCart struct {
	Subtotal  money `json:"subtotal"`
	Discount  money `json:"discount"`
	Discounts []struct {
		Name   string `json:"name"`
		Amount money  `json:"amount"`
	} `json:"discounts"`
	TaxedTotal struct {
		Gross money `json:"gross"`
	} `json:"taxedTotal"`
	Lines []struct {
		Quantity   int   `json:"quantity"`
		LineTotal  money `json:"lineTotal"`
		TaxedTotal struct {
			Gross money `json:"gross"`
		} `json:"taxedTotal"`
		Variant saleVariant `json:"variant"`
	} `json:"lines"`
}

// saleClock is the store's clock in these tests: real time moved by skew.
type saleClock struct{ skew atomic.Int64 }

func (c *saleClock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *saleClock) advance(d time.Duration) { c.skew.Add(int64(d)) }

// saleProduct reads one product as its page shows it.
func saleProduct(t *testing.T, s *store, slug string) saleCard {
	t.Helper()
	var out saleCard
	promoOp(t, s, "SaleProduct", map[string]any{"slug": slug}, &out)
	return out
}

// saleListed reads the listing and returns the card of product slug.
func saleListed(t *testing.T, s *store, slug string) saleCard {
	t.Helper()
	var out struct {
		Edges []struct{ Node saleCard } `json:"edges"`
	}
	promoOp(t, s, "SaleProductList", map[string]any{"first": 100}, &out)
	for _, e := range out.Edges {
		if e.Node.Slug == slug {
			return e.Node
		}
	}
	t.Fatalf("%s is not listed", slug)
	return saleCard{}
}

func variantOf(t *testing.T, c saleCard, id int) saleVariant {
	t.Helper()
	for _, v := range c.Variants {
		if v.ID == scalar.EncodeID(id) {
			return v
		}
	}
	t.Fatalf("no variant %d", id)
	return saleVariant{}
}

// runWindowJobs works the window jobs as the workers would when they come
// due: Resale at the store's clock.
func runWindowJobs(t *testing.T, s *store, now func() time.Time) {
	t.Helper()
	w := promotion.NewWindowWorker(s.client, s.db.Dialect, now)
	require.NoError(t, w.Work(context.Background(), &river.Job[promotion.WindowArgs]{}))
}

// TestCatalogueSaleWindow: a catalogue sale (25 % off one product, no
// code) scheduled an hour ahead shows nowhere before its start; at its
// start (the window job run at the store's clock) the product page, the
// listing (through the catalogue cache) and the cart show the sale price
// with the original as compareAtPrice, the cart charges exactly the sale
// price times the quantity, once, and the order keeps it; at its end all
// is back to the original price.
func TestCatalogueSaleWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		clock := &saleClock{}
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{
			protection: api.Protection{CatalogCache: cache.NewMemory(8<<20, time.Minute, time.Now)},
			app:        func(c *app.Config) { c.Checkout.Now = clock.now },
		})
		staff := s.asStaff()
		v := stocked(t, s, 10)
		sys := viewer.System(context.Background(), "test: set up")
		p := s.client.Product.Query().Where(product.ID(v.ProductID)).WithVariants().OnlyX(sys)
		price := v.PriceMinor
		sale := price - price*2500/10000

		start := clock.now().Add(time.Hour).Truncate(time.Second)
		end := start.Add(time.Hour)
		newPromotion(t, staff, map[string]any{
			"name": "Quarter off", "action": "PERCENTAGE", "percentBp": 2500,
			"productIds": []string{scalar.EncodeID(p.ID)},
			"startsAt":   start.Format(time.RFC3339), "endsAt": end.Format(time.RFC3339),
		})
		var at []time.Time
		rows, err := db.SQL.QueryContext(sys, "SELECT scheduled_at FROM river_job WHERE kind = 'promotion_window' ORDER BY scheduled_at")
		require.NoError(t, err)
		for rows.Next() {
			var ts time.Time
			require.NoError(t, rows.Scan(&ts))
			at = append(at, ts.UTC())
		}
		require.NoError(t, rows.Close())
		require.Equal(t, []time.Time{start.UTC(), end.UTC()}, at, "a window job at each boundary")

		notYet := func(when string) {
			t.Helper()
			for _, c := range []saleCard{saleProduct(t, s, p.Slug), saleListed(t, s, p.Slug)} {
				got := variantOf(t, c, v.ID)
				require.Equal(t, price, cents(t, got.Price.Amount), when)
				require.Nil(t, got.CompareAtPrice, when)
			}
		}
		notYet("before the start")
		alice, _ := s.asCustomer(t, "alice")
		cart := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 3)}}).Cart.ID
		var c saleCart
		promoOp(t, alice, "SaleCart", map[string]any{"id": cart}, &c)
		require.Equal(t, "0.00", c.Discount.Amount, "before the start")

		clock.advance(time.Hour)
		runWindowJobs(t, s, clock.now)
		for _, card := range []saleCard{saleProduct(t, s, p.Slug), saleListed(t, s, p.Slug)} {
			got := variantOf(t, card, v.ID)
			require.Equal(t, sale, cents(t, got.Price.Amount))
			require.NotNil(t, got.CompareAtPrice)
			require.Equal(t, price, cents(t, got.CompareAtPrice.Amount))
			lo := sale
			for _, pv := range p.Edges.Variants {
				lo = min(lo, pv.PriceMinor-pv.PriceMinor*2500/10000)
			}
			require.Equal(t, lo, cents(t, card.PriceRange.Min.Amount), "priceRange follows the sale")
		}
		promoOp(t, alice, "SaleCart", map[string]any{"id": cart}, &c)
		l := c.Lines[0]
		require.Equal(t, sale, cents(t, l.Variant.Price.Amount))
		require.Equal(t, 3*sale, cents(t, l.TaxedTotal.Gross.Amount), "the cart charges the catalogue's sale price")
		require.Equal(t, 3*(price-sale), cents(t, c.Discount.Amount), "the sale is taken once")
		require.Len(t, c.Discounts, 1)
		require.Equal(t, "Quarter off", c.Discounts[0].Name)

		placed, err := placePromo(alice, placeOrderVars(cart, "sale-1"))
		require.NoError(t, err)
		require.Empty(t, placed.PlaceOrder.UserErrors)
		o := placed.PlaceOrder.Order
		require.Equal(t, c.Discount, o.Discount)
		require.Equal(t, 3*(price-sale), cents(t, o.Lines[0].Discount.Amount))
		require.Equal(t, 3*sale, cents(t, o.Lines[0].TaxedTotal.Gross), "the order keeps the sale price")

		clock.advance(time.Hour)
		runWindowJobs(t, s, clock.now)
		notYet("after the end")
		again := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}}).Cart.ID
		promoOp(t, alice, "SaleCart", map[string]any{"id": again}, &c)
		require.Equal(t, "0.00", c.Discount.Amount, "after the end")
		require.Nil(t, c.Lines[0].Variant.CompareAtPrice)
	})
}

// TestCatalogueSaleFollowsWrites: a running sale shows at once when staff
// create it, follows a variant's new price, and stops when deactivated;
// a code-only or cart-conditioned promotion never shows in the catalogue.
func TestCatalogueSaleFollowsWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 10)
		sys := viewer.System(context.Background(), "test: set up")
		slug := s.client.Product.GetX(sys, v.ProductID).Slug
		variants := []string{scalar.EncodeID(v.ID)}

		newPromotion(t, staff, map[string]any{"name": "Code", "action": "PERCENTAGE", "percentBp": 5000, "requiresCode": true, "variantIds": variants})
		newPromotion(t, staff, map[string]any{"name": "Big carts", "action": "PERCENTAGE", "percentBp": 5000, "minQuantity": 5, "variantIds": variants})
		got := variantOf(t, saleProduct(t, s, slug), v.ID)
		require.Nil(t, got.CompareAtPrice, "not catalogue promotions")

		id := newPromotion(t, staff, map[string]any{"name": "Fixed", "action": "FIXED_PRICE", "amount": "100.00", "variantIds": variants})
		got = variantOf(t, saleProduct(t, s, slug), v.ID)
		require.Equal(t, "100.00", got.Price.Amount, "at once")
		require.Equal(t, v.PriceMinor, cents(t, got.CompareAtPrice.Amount))

		var up struct {
			Variant    *struct{ ID string } `json:"variant"`
			UserErrors []userError          `json:"userErrors"`
		}
		promoOp(t, staff, "UpdateVariant", map[string]any{"id": scalar.EncodeID(v.ID), "input": map[string]any{"price": "50.00"}}, &up)
		require.Empty(t, up.UserErrors)
		got = variantOf(t, saleProduct(t, s, slug), v.ID)
		require.Equal(t, "50.00", got.Price.Amount, "a price under the sale's is no sale")
		require.Nil(t, got.CompareAtPrice)
		promoOp(t, staff, "UpdateVariant", map[string]any{"id": scalar.EncodeID(v.ID), "input": map[string]any{"price": "300.00"}}, &up)
		got = variantOf(t, saleProduct(t, s, slug), v.ID)
		require.Equal(t, "100.00", got.Price.Amount)
		require.Equal(t, "300.00", got.CompareAtPrice.Amount)

		var off struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "DeactivatePromotion", map[string]any{"id": id}, &off)
		require.Empty(t, off.UserErrors)
		got = variantOf(t, saleProduct(t, s, slug), v.ID)
		require.Equal(t, "300.00", got.Price.Amount)
		require.Nil(t, got.CompareAtPrice)
	})
}

// TestCatalogueSaleStatementBudget: with a sale running on the whole
// catalogue, listings, category pages, product pages and search take
// the statements TestStatementBudget allows, and the sale shows in them.
func TestCatalogueSaleStatementBudget(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(100))
		staff := s.asStaff()
		newPromotion(t, staff, map[string]any{"name": "Everything", "action": "PERCENTAGE", "percentBp": 1000})

		list := s.statements("ProductList", map[string]any{"first": 100})
		require.Equal(t, int64(4), list, "ProductList with 100 products on sale")
		n := s.statements("SaleProductList", map[string]any{"first": 100})
		// The count, the products (with their range), their variants (with
		// their sale prices): no statement for the sale.
		require.Equal(t, int64(3), n, "with compareAtPrice and priceRange")
		var out struct {
			Edges []struct{ Node saleCard } `json:"edges"`
		}
		promoOp(t, s, "SaleProductList", map[string]any{"first": 100}, &out)
		require.Len(t, out.Edges, 100)
		for _, e := range out.Edges {
			for _, v := range e.Node.Variants {
				require.NotNil(t, v.CompareAtPrice, e.Node.Slug)
				require.Equal(t, cents(t, v.CompareAtPrice.Amount)*9/10, cents(t, v.Price.Amount))
			}
		}
		page := s.statements("CategoryPage", map[string]any{"slug": "root", "first": 100})
		require.LessOrEqual(t, page, int64(6))
		detail := s.statements("ProductDetail", map[string]any{"slug": "product-7"})
		require.LessOrEqual(t, detail, int64(4))
		search := s.statements("Search", map[string]any{"query": "product", "first": 100})
		require.Equal(t, int64(5), search)
	})
}

// TestDemoCatalogueSale: the demo store's sale (15 % off audio and its
// subcategories) shows on audio products and not on others; a product
// moved into audio, or a category moved under it, goes on sale, and one
// moved out comes off it.
func TestDemoCatalogueSale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, seed.DemoPromotions(ctx, s.client, s.services.Promotions))
		audio := s.client.Category.Query().Where(category.Slug(seed.DemoSaleCategory)).OnlyX(ctx)
		inAudio := product.HasCategoryWith(category.PathHasPrefix(audio.Path))
		onSale := s.client.Product.Query().Where(product.StatusEQ(product.StatusACTIVE), inAudio).WithVariants().FirstX(ctx)
		other := s.client.Product.Query().Where(product.StatusEQ(product.StatusACTIVE), product.Not(inAudio)).WithVariants().FirstX(ctx)

		check := func(p *ent.Product, sale bool, msg string) {
			t.Helper()
			card := saleProduct(t, s, p.Slug)
			for _, pv := range p.Edges.Variants {
				got := variantOf(t, card, pv.ID)
				if !sale {
					require.Nil(t, got.CompareAtPrice, msg)
					require.Equal(t, pv.PriceMinor, cents(t, got.Price.Amount), msg)
					continue
				}
				require.NotNil(t, got.CompareAtPrice, msg)
				require.Equal(t, pv.PriceMinor, cents(t, got.CompareAtPrice.Amount), msg)
				require.Equal(t, pv.PriceMinor-pv.PriceMinor*seed.DemoSalePercent/100, cents(t, got.Price.Amount), msg)
			}
		}
		check(onSale, true, "an audio product")
		check(other, false, "another product")

		var up struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "UpdateProduct", map[string]any{"id": scalar.EncodeID(other.ID), "input": map[string]any{"categoryID": scalar.EncodeID(audio.ID)}}, &up)
		require.Empty(t, up.UserErrors)
		check(other, true, "moved into audio")
		promoOp(t, staff, "UpdateProduct", map[string]any{"id": scalar.EncodeID(other.ID), "input": map[string]any{"categoryID": scalar.EncodeID(onSale.CategoryID)}}, &up)
		require.Empty(t, up.UserErrors)
		check(other, true, "moved within audio")

		// A root of its own, moved under audio with its product.
		gadgets := "Gadgets"
		root, err := s.services.Catalog.CreateCategory(ctx, catalog.CategoryInput{Name: &gadgets})
		require.NoError(t, err)
		promoOp(t, staff, "UpdateProduct", map[string]any{"id": scalar.EncodeID(other.ID), "input": map[string]any{"categoryID": scalar.EncodeID(root.ID)}}, &up)
		require.Empty(t, up.UserErrors)
		check(other, false, "moved out of audio")
		promoOp(t, staff, "UpdateCategory", map[string]any{"id": scalar.EncodeID(root.ID), "input": map[string]any{"parentID": scalar.EncodeID(audio.ID)}}, &up)
		require.Empty(t, up.UserErrors)
		check(other, true, "its category moved under audio")
	})
}

// TestCatalogueSaleRace: window jobs running on every replica at once,
// beside staff ending the sale, leave the catalogue as the promotions
// are: no stale sale price survives (the recomputations are serialised).
func TestCatalogueSaleRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		v := stocked(t, s, 10)
		sys := viewer.System(context.Background(), "test: set up")
		slug := s.client.Product.GetX(sys, v.ProductID).Slug
		id := newPromotion(t, staff, map[string]any{"name": "Flash", "action": "PERCENTAGE", "percentBp": 3000})
		require.NotNil(t, variantOf(t, saleProduct(t, s, slug), v.ID).CompareAtPrice)

		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := promotion.NewWindowWorker(s.client, s.db.Dialect, time.Now)
				errs <- w.Work(context.Background(), &river.Job[promotion.WindowArgs]{})
			}()
		}
		var off struct {
			UserErrors []userError `json:"userErrors"`
		}
		promoOp(t, staff, "DeactivatePromotion", map[string]any{"id": id}, &off)
		require.Empty(t, off.UserErrors)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got := variantOf(t, saleProduct(t, s, slug), v.ID)
		require.Nil(t, got.CompareAtPrice, "the sale has ended everywhere")
		require.Equal(t, v.PriceMinor, cents(t, got.Price.Amount))
		require.Zero(t, s.client.ProductVariant.Query().Where(productvariant.SalePriceMinorNotNil()).CountX(sys))
	})
}
