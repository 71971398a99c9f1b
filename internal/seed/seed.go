// Package seed loads a catalogue in the bench-catalog/1 format (categories,
// products and their variants, as in ../shared/bench/README.md) into the
// store, idempotently: it keys categories and products by slug and variants
// by SKU, and leaves everything whose key already exists alone, so a second
// run creates and changes nothing. It also embeds a small demo catalogue for
// a first start on an empty database.
package seed

import (
	"context"
	_ "embed" // the demo catalogue
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	_ "github.com/savannah-commerce/savannah/ent/runtime" // the schema validators Validate uses
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/inventory"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Format is the only catalogue format this package reads.
const Format = "bench-catalog/1"

// StockReason is the reason recorded on the stock-ledger entry of every
// seeded variant's initial stock.
const StockReason = "initial stock (seed)"

const (
	// productsPerTx bounds a transaction: a failure loses at most one chunk
	// (a rerun picks up from there), and locks are held only briefly.
	productsPerTx = 250
	// rowsPerStatement bounds a bulk INSERT or an IN list, well below the
	// bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
	rowsPerStatement = 1000
)

// ErrInvalidCatalog is wrapped by every error Parse and Validate return for
// a catalogue that cannot be loaded.
var ErrInvalidCatalog = errors.New("invalid catalogue")

// demo is a string, not a []byte, so that no caller can change it.
//
//go:embed demo.json
var demo string

// Demo returns the embedded demo catalogue, a small hand-written store in
// the bench-catalog/1 format.
func Demo() []byte { return []byte(demo) }

// Catalog is a catalogue in the bench-catalog/1 format. IDs are the file's
// own: they only link products to categories and children to parents.
type Catalog struct {
	Format     string     `json:"format"`
	Currency   string     `json:"currency"`
	Categories []Category `json:"categories"`
	Products   []Product  `json:"products"`
}

// Category is a category of a Catalog. Parents are listed before their
// children.
type Category struct {
	ID          int    `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	ParentID    *int   `json:"parentId"`
	// Depth is informative only: Load computes depths from the parents.
	Depth    int `json:"depth"`
	Position int `json:"position"`
}

// Product is a product of a Catalog, in the category with the file's ID
// CategoryID.
type Product struct {
	ID          int       `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CategoryID  int       `json:"categoryId"`
	Variants    []Variant `json:"variants"`
}

// Variant is a variant of a Product; Size becomes its one option, "size".
type Variant struct {
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Size           string `json:"size"`
	Price          int64  `json:"price"` // minor units of the catalogue's currency
	StockOnHand    int    `json:"stockOnHand"`
	TrackInventory bool   `json:"trackInventory"`
}

// Parse reads a catalogue and validates it (see Catalog.Validate).
func Parse(r io.Reader) (*Catalog, error) {
	var c Catalog
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrInvalidCatalog, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks that c can be loaded: the format is bench-catalog/1,
// parents are listed before their children, every product's category
// exists, slugs and SKUs are unique, and every field passes the ent
// schema's own validators (so a bad row is named here, not failed on later
// in the middle of a batch). Errors wrap ErrInvalidCatalog and name the
// offending item.
func (c *Catalog) Validate() error {
	if c.Format != Format {
		return fmt.Errorf("%w: format %q, want %q", ErrInvalidCatalog, c.Format, Format)
	}
	if _, err := money.ParseCurrency(c.Currency); err != nil {
		return fmt.Errorf("%w: currency: %w", ErrInvalidCatalog, err)
	}
	categoryIDs := make(map[int]bool, len(c.Categories))
	categorySlugs := make(map[string]bool, len(c.Categories))
	for _, cat := range c.Categories {
		if err := cat.validate(categoryIDs, categorySlugs); err != nil {
			return fmt.Errorf("%w: category %d %q: %w", ErrInvalidCatalog, cat.ID, cat.Slug, err)
		}
		categoryIDs[cat.ID] = true
		categorySlugs[cat.Slug] = true
	}
	productSlugs := make(map[string]bool, len(c.Products))
	skus := make(map[string]bool, 3*len(c.Products))
	for _, p := range c.Products {
		if err := p.validate(categoryIDs, productSlugs, skus); err != nil {
			return fmt.Errorf("%w: product %d %q: %w", ErrInvalidCatalog, p.ID, p.Slug, err)
		}
		productSlugs[p.Slug] = true
	}
	return nil
}

// ErrOtherCurrency is returned by ForStore for a catalogue priced in
// another currency than the store's.
var ErrOtherCurrency = errors.New("catalogue priced in another currency")

// ForStore checks that c is priced in the store's currency (its prices are
// minor units of c.Currency). With keepFigures, as for the demo catalogue,
// a catalogue in another currency is repriced instead: the same figures in
// the store's currency and its decimals (KES 1,299.00 becomes UGX 1,299 or
// KWD 1,299.000), refusing a price that has no exact equivalent.
func (c *Catalog) ForStore(store string, keepFigures bool) error {
	to, err := money.StoreCurrency(store)
	if err != nil {
		return err
	}
	if c.Currency == store {
		return nil
	}
	if !keepFigures {
		return fmt.Errorf("%w: %s, the store sells in %s", ErrOtherCurrency, c.Currency, store)
	}
	from, err := money.ParseCurrency(c.Currency)
	if err != nil {
		return fmt.Errorf("%w: currency: %w", ErrInvalidCatalog, err)
	}
	prices := make([][]int64, len(c.Products))
	for i, p := range c.Products {
		prices[i] = make([]int64, len(p.Variants))
		for j, v := range p.Variants {
			minor, err := to.Parse(from.Amount(v.Price).Decimal())
			if err != nil {
				return fmt.Errorf("%w: variant %q: price in %s: %w", ErrInvalidCatalog, v.SKU, store, err)
			}
			prices[i][j] = minor
		}
	}
	for i, p := range c.Products {
		for j := range p.Variants {
			p.Variants[j].Price = prices[i][j]
		}
	}
	c.Currency = store
	return nil
}

// validate checks one category against those listed before it.
func (c Category) validate(seenIDs map[int]bool, seenSlugs map[string]bool) error {
	switch {
	case c.Slug == "":
		return errors.New("empty slug")
	case seenIDs[c.ID]:
		return errors.New("duplicate id")
	case seenSlugs[c.Slug]:
		return errors.New("duplicate slug")
	case c.ParentID != nil && !seenIDs[*c.ParentID]:
		return fmt.Errorf("parent %d is not listed before it", *c.ParentID)
	}
	return checkFields(
		field{"slug", category.SlugValidator(c.Slug)},
		field{"name", category.NameValidator(c.Name)},
	)
}

// validate checks one product and its variants; it adds the variants'
// SKUs to seenSKUs.
func (p Product) validate(categoryIDs map[int]bool, seenSlugs, seenSKUs map[string]bool) error {
	switch {
	case p.Slug == "":
		return errors.New("empty slug")
	case seenSlugs[p.Slug]:
		return errors.New("duplicate slug")
	case !categoryIDs[p.CategoryID]:
		return fmt.Errorf("unknown category %d", p.CategoryID)
	}
	if err := checkFields(
		field{"slug", product.SlugValidator(p.Slug)},
		field{"name", product.NameValidator(p.Name)},
	); err != nil {
		return err
	}
	for i, v := range p.Variants {
		switch {
		case v.SKU == "":
			return fmt.Errorf("variant %d: empty sku", i)
		case seenSKUs[v.SKU]:
			return fmt.Errorf("variant %q: duplicate sku", v.SKU)
		}
		if err := checkFields(
			field{"sku", productvariant.SkuValidator(v.SKU)},
			field{"name", productvariant.NameValidator(v.Name)},
			field{"price", productvariant.PriceMinorValidator(v.Price)},
			field{"stockOnHand", productvariant.StockOnHandValidator(v.StockOnHand)},
		); err != nil {
			return fmt.Errorf("variant %q: %w", v.SKU, err)
		}
		seenSKUs[v.SKU] = true
	}
	return nil
}

// field is the outcome of one schema validator, with the field's name.
type field struct {
	name string
	err  error
}

func checkFields(fields ...field) error {
	for _, f := range fields {
		if f.err != nil {
			return fmt.Errorf("%s: %w", f.name, f.err)
		}
	}
	return nil
}

// Result counts the rows a Load created.
type Result struct {
	CategoriesCreated int
	ProductsCreated   int
	VariantsCreated   int
}

// Load creates the categories, products and variants of cat that the store
// does not have yet, keyed by slug and SKU; it leaves existing ones as they
// are, so loading the same catalogue twice creates nothing the second time.
// Every created variant with stock gets a stock-ledger entry for it.
//
// The categories load in one transaction, the products in transactions of
// a few hundred each, every step a bulk statement. If Load fails, what it
// committed stays (the Result counts it) and a rerun continues from there.
// The one change to an existing row: a product that gains a new variant
// has its price range widened to cover it.
func Load(ctx context.Context, client *ent.Client, cat *Catalog) (Result, error) {
	// Loading a catalogue is the system's act, whoever runs it: it
	// bypasses the privacy rules (catalogue writes are STAFF-only).
	ctx = viewer.System(ctx, "seed: load a catalogue")
	var res Result
	if err := cat.Validate(); err != nil {
		return res, err
	}
	var categoryIDs map[int]int // the file's category ID → the database's
	err := withTx(ctx, client, func(ctx context.Context, tx *ent.Tx) error {
		var err error
		categoryIDs, res.CategoriesCreated, err = loadCategories(ctx, tx, cat.Categories)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("load categories: %w", err)
	}
	for chunk := range slices.Chunk(cat.Products, productsPerTx) {
		var products, variants int
		err := withTx(ctx, client, func(ctx context.Context, tx *ent.Tx) error {
			var err error
			// A bulk import: sale prices are recomputed, and products
			// counted and indexed for search once per chunk.
			products, variants, err = loadProducts(catalog.BulkIndex(catalog.BulkCounts(promotion.Bulk(ctx))), tx, chunk, categoryIDs)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("load products %q to %q: %w", chunk[0].Slug, chunk[len(chunk)-1].Slug, err)
		}
		res.ProductsCreated += products
		res.VariantsCreated += variants
	}
	return res, nil
}

// IsEmpty reports whether the store has no category and no product, as on
// a first start.
func IsEmpty(ctx context.Context, client *ent.Client) (bool, error) {
	hasCategory, err := client.Category.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("look for categories: %w", err)
	}
	hasProduct, err := client.Product.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("look for products: %w", err)
	}
	return !hasCategory && !hasProduct, nil
}

// loadCategories creates the categories missing from the store and returns
// the database ID of every category of the file, and how many it created.
//
// A category's path holds its own database ID, known only once it is
// inserted, and its parent's path. So new categories are created in waves
// (the new roots and the children of existing categories first, then their
// children, and so on), each wave one bulk insert followed by setting the
// paths of its rows.
func loadCategories(ctx context.Context, tx *ent.Tx, cats []Category) (map[int]int, int, error) {
	slugs := make([]string, len(cats))
	for i, c := range cats {
		slugs[i] = c.Slug
	}
	existing, err := inBatches(slugs, func(batch []string) ([]*ent.Category, error) {
		return tx.Category.Query().
			Where(category.SlugIn(batch...)).
			Select(category.FieldSlug, category.FieldPath, category.FieldDepth).
			All(ctx)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find existing: %w", err)
	}
	bySlug := make(map[string]*ent.Category, len(existing))
	for _, c := range existing {
		bySlug[c.Slug] = c
	}

	ids := make(map[int]int, len(cats))
	stored := make(map[int]*ent.Category, len(cats)) // by the file's ID
	var waves [][]Category
	wave := make(map[int]int, len(cats)) // the file's ID → the wave creating it
	for _, c := range cats {
		if e, ok := bySlug[c.Slug]; ok {
			ids[c.ID], stored[c.ID] = e.ID, e
			continue
		}
		w := 0
		if c.ParentID != nil && stored[*c.ParentID] == nil {
			w = wave[*c.ParentID] + 1
		}
		wave[c.ID] = w
		if w == len(waves) {
			waves = append(waves, nil)
		}
		waves[w] = append(waves[w], c)
	}

	created := 0
	for _, batch := range waves {
		builders := make([]*ent.CategoryCreate, len(batch))
		for i, c := range batch {
			b := tx.Category.Create().
				SetSlug(c.Slug).
				SetName(c.Name).
				SetDescription(c.Description).
				SetPosition(c.Position).
				SetDepth(0)
			if c.ParentID != nil {
				parent := stored[*c.ParentID]
				b.SetParentID(parent.ID).SetDepth(parent.Depth + 1)
			}
			builders[i] = b
		}
		rows, err := inBatches(builders, func(b []*ent.CategoryCreate) ([]*ent.Category, error) {
			return tx.Category.CreateBulk(b...).Save(ctx)
		})
		if err != nil {
			return nil, 0, fmt.Errorf("create: %w", err)
		}
		for i, c := range batch {
			row := rows[i]
			parentPath := ""
			if c.ParentID != nil {
				parentPath = stored[*c.ParentID].Path
			}
			row.Path = catalog.Path(parentPath, row.ID)
			// One UPDATE per new category: categories number in the
			// hundreds, and catalog.Path stays the one place the path
			// format lives.
			// (Update, not UpdateOne, which would read the row back.)
			err := tx.Category.Update().Where(category.ID(row.ID)).SetPath(row.Path).Exec(ctx)
			if err != nil {
				return nil, 0, fmt.Errorf("set path of %q: %w", c.Slug, err)
			}
			ids[c.ID], stored[c.ID] = row.ID, row
		}
		created += len(rows)
	}
	return ids, created, nil
}

// loadProducts creates the products of one chunk that the store does not
// have yet and every variant whose SKU it does not have yet, with their
// stock-ledger entries. It returns how many products and variants it
// created.
func loadProducts(ctx context.Context, tx *ent.Tx, products []Product, categoryIDs map[int]int) (int, int, error) {
	slugs := make([]string, len(products))
	var skus []string
	for i, p := range products {
		slugs[i] = p.Slug
		for _, v := range p.Variants {
			skus = append(skus, v.SKU)
		}
	}
	existing, err := inBatches(slugs, func(batch []string) ([]*ent.Product, error) {
		return tx.Product.Query().
			Where(product.SlugIn(batch...)).
			Select(product.FieldSlug).
			All(ctx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("find existing products: %w", err)
	}
	productIDs := make(map[string]int, len(products)) // by slug
	for _, p := range existing {
		productIDs[p.Slug] = p.ID
	}
	existingSKUs, err := inBatches(skus, func(batch []string) ([]string, error) {
		return tx.ProductVariant.Query().
			Where(productvariant.SkuIn(batch...)).
			Select(productvariant.FieldSku).
			Strings(ctx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("find existing variants: %w", err)
	}
	skuExists := make(map[string]bool, len(existingSKUs))
	for _, s := range existingSKUs {
		skuExists[s] = true
	}

	// Products: the new ones, priced below once their variants exist.
	var newProducts []*ent.ProductCreate
	var newSlugs []string
	for _, p := range products {
		if _, ok := productIDs[p.Slug]; ok {
			continue
		}
		b := tx.Product.Create().
			SetSlug(p.Slug).
			SetName(p.Name).
			SetDescription(p.Description).
			SetStatus(product.StatusACTIVE).
			SetCategoryID(categoryIDs[p.CategoryID])
		newProducts = append(newProducts, b)
		newSlugs = append(newSlugs, p.Slug)
	}
	created, err := inBatches(newProducts, func(b []*ent.ProductCreate) ([]*ent.Product, error) {
		return tx.Product.CreateBulk(b...).Save(ctx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("create products: %w", err)
	}
	for i, p := range created {
		productIDs[newSlugs[i]] = p.ID
	}

	// Variants: every SKU not in the store yet, in new or existing products.
	var newVariants []*ent.ProductVariantCreate
	var repriced []int // products that gain a variant, new or existing
	for _, p := range products {
		n := len(newVariants)
		for i, v := range p.Variants {
			if skuExists[v.SKU] {
				continue
			}
			newVariants = append(newVariants, tx.ProductVariant.Create().
				SetProductID(productIDs[p.Slug]).
				SetSku(v.SKU).
				SetName(v.Name).
				SetPriceMinor(v.Price).
				SetStockOnHand(v.StockOnHand).
				SetTrackInventory(v.TrackInventory).
				SetOptions([]schematype.VariantOption{{Name: "size", Value: v.Size}}).
				SetPosition(i))
		}
		if len(newVariants) > n {
			repriced = append(repriced, productIDs[p.Slug])
		}
	}
	variants, err := inBatches(newVariants, func(b []*ent.ProductVariantCreate) ([]*ent.ProductVariant, error) {
		return tx.ProductVariant.CreateBulk(b...).Save(ctx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("create variants: %w", err)
	}

	// The stock ledger: the initial stock of every new variant that has some.
	var movements []*ent.StockMovementCreate
	for _, v := range variants {
		if m := inventory.Opening(tx.Client(), v, StockReason, nil); m != nil {
			movements = append(movements, m)
		}
	}
	if _, err := inBatches(movements, func(b []*ent.StockMovementCreate) ([]*ent.StockMovement, error) {
		return tx.StockMovement.CreateBulk(b...).Save(ctx)
	}); err != nil {
		return 0, 0, fmt.Errorf("record initial stock: %w", err)
	}

	// The price ranges, as the catalogue keeps them (catalog.Reprice).
	if _, err := inBatches(repriced, func(ids []int) ([]int, error) {
		return nil, catalog.Reprice(ctx, tx.Client(), ids...)
	}); err != nil {
		return 0, 0, fmt.Errorf("reprice products: %w", err)
	}
	return len(created), len(variants), nil
}

// inBatches calls fn on items in batches of at most rowsPerStatement and
// concatenates the results, in order.
func inBatches[T, R any](items []T, fn func([]T) ([]R, error)) ([]R, error) {
	out := make([]R, 0, len(items))
	for batch := range slices.Chunk(items, rowsPerStatement) {
		rows, err := fn(batch)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// withTx runs fn in a transaction (database.InTx: hooks that write in the
// causing transaction, such as webhook events, find it in ctx),
// committing if it succeeds and rolling back if it fails.
func withTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Tx) error) error {
	return database.InTx(ctx, client, func(ctx context.Context) error {
		return fn(ctx, ent.TxFromContext(ctx))
	})
}
