package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/media"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/inventory"
	"github.com/savannah-commerce/savannah/internal/money"
)

// Limits of product and variant fields.
const (
	MaxProductNameLen = 300
	MaxSKULen         = 64
	MaxVariants       = 100
	MaxOptions        = 10
	MaxOptionNameLen  = 50
	MaxOptionValueLen = 100
	// MaxStock bounds a variant's stock on hand, on creation and after
	// every adjustment, and one adjustment's size, so a typo cannot create
	// billions of units (the inventory's bound).
	MaxStock = inventory.MaxStock
)

// MaxPrice is the highest price accepted, in major units of the store's
// currency (100 million: KES 100,000,000.00), well above anything sold and
// far below what int64 minor units hold in any currency.
const MaxPrice int64 = 100_000_000

// InitialStockReason is the ledger reason of a variant's opening stock.
const InitialStockReason = inventory.OpeningReason

// ProductInput creates or changes a product. On update, nil fields are left
// as they are; Variants applies only to creation.
type ProductInput struct {
	Name        *string
	Slug        *string
	Description *string
	Status      *product.Status
	CategoryID  *int
	Variants    []VariantInput
}

// VariantInput creates or changes a variant. On update, nil fields are
// left as they are; a non-nil Options replaces them all.
type VariantInput struct {
	SKU  *string
	Name *string
	// Price is decimal text as the client sent it (money.CheckDecimal),
	// read in the store's currency: "1299.00" for KES, "1500" for UGX.
	Price       *string
	StockOnHand *int
	Options     []schematype.VariantOption
	// OptionsSet tells "replace the options by none" from "leave them".
	OptionsSet bool
	// WeightGrams is the shipping weight (internal/shipping); nil leaves
	// it (on creation: none, so the store's default counts).
	WeightGrams *int
}

// MaxWeightGrams is the heaviest variant accepted: a tonne.
const MaxWeightGrams = 1_000_000

// checkedVariant is a VariantInput that passed validation.
type checkedVariant struct {
	sku, name  string
	priceMinor int64
	stock      int
	options    []schematype.VariantOption
	weight     *int
}

// CreateProduct adds a product with its variants, their opening stock
// (each recorded in the stock ledger, by actorID when known) and its price
// range, all at once or not at all.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput, actorID *int) (*ent.Product, error) {
	var ps problems
	name := checkName(&ps, in.Name, true, MaxProductNameLen, "input", "name")
	checkDescription(&ps, in.Description)
	slug := checkSlug(&ps, in.Slug)
	if in.CategoryID == nil {
		ps.Add(ErrRequired, "a category is required", "input", "categoryID")
	}
	if len(in.Variants) > MaxVariants {
		ps.Add(ErrInvalid, fmt.Sprintf("at most %d variants", MaxVariants), "input", "variants")
	}
	variants := make([]checkedVariant, len(in.Variants))
	seenSKU := map[string]int{}
	for i, v := range in.Variants {
		path := []string{"input", "variants", strconv.Itoa(i)}
		variants[i] = s.checkVariant(&ps, v, true, path)
		if sku := variants[i].sku; sku != "" {
			if j, dup := seenSKU[sku]; dup {
				ps.Add(ErrTaken, fmt.Sprintf("variant %d has the same SKU", j), append(path, "sku")...)
			}
			seenSKU[sku] = i
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.Product
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := checkCategory(ctx, c, *in.CategoryID); err != nil {
			return err
		}
		inVariants := func(i int) []string { return []string{"input", "variants", strconv.Itoa(i), "sku"} }
		if err := checkSKUsFree(ctx, c, variants, 0, inVariants); err != nil {
			return err
		}
		if slug == "" {
			if err := s.lockName(ctx, c, "product-slug:"+Slugify(name)); err != nil {
				return err
			}
		}
		slug, err := productSlug(ctx, c, slug, name, 0)
		if err != nil {
			return err
		}
		create := c.Product.Create().
			SetName(name).
			SetSlug(slug).
			SetCategoryID(*in.CategoryID)
		if in.Description != nil {
			create.SetDescription(*in.Description)
		}
		if in.Status != nil {
			create.SetStatus(*in.Status)
		}
		p, err := create.Save(ctx)
		if err != nil {
			return productWriteErr(err, "create product")
		}
		for i, v := range variants {
			if _, err := createVariant(ctx, c, p.ID, i, v, actorID, inVariants(i)); err != nil {
				return err
			}
		}
		out, err = reprice(ctx, c, p.ID)
		return err
	})
	return out, err
}

// UpdateProduct changes a product's fields. A new name does not change the
// slug (links keep working); a slug is changed only when given.
func (s *Service) UpdateProduct(ctx context.Context, id int, in ProductInput) (*ent.Product, error) {
	var ps problems
	var name string
	if in.Name != nil {
		name = checkName(&ps, in.Name, true, MaxProductNameLen, "input", "name")
	}
	checkDescription(&ps, in.Description)
	slug := checkSlug(&ps, in.Slug)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.Product
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := productExists(ctx, c, id, "id"); err != nil {
			return err
		}
		upd := c.Product.UpdateOneID(id)
		if in.Name != nil {
			upd.SetName(name)
		}
		if in.Description != nil {
			upd.SetDescription(*in.Description)
		}
		if in.Status != nil {
			if *in.Status == product.StatusACTIVE {
				if err := imagesDescribed(ctx, c, id); err != nil {
					return err
				}
			}
			upd.SetStatus(*in.Status)
		}
		if in.CategoryID != nil {
			if err := checkCategory(ctx, c, *in.CategoryID); err != nil {
				return err
			}
			upd.SetCategoryID(*in.CategoryID)
		}
		if slug != "" {
			if _, err := productSlug(ctx, c, slug, "", id); err != nil {
				return err
			}
			upd.SetSlug(slug)
		}
		p, err := upd.Save(ctx)
		if err != nil {
			return productWriteErr(err, "update product")
		}
		out = p
		return nil
	})
	return out, err
}

// imagesDescribed refuses to publish a product with an image, its own or
// a variant's, that has no alt text: a shopper using a screen reader would
// get nothing.
func imagesDescribed(ctx context.Context, c *ent.Client, id int) error {
	n, err := c.Media.Query().
		Where(media.AltText(""), media.Or(media.ProductID(id), media.HasVariantWith(productvariant.ProductID(id)))).
		Count(ctx)
	if err != nil {
		return fmt.Errorf("catalog: images of product: %w", err)
	}
	if n > 0 {
		return input.Fail(input.ErrInvalid, "every image of the product needs alt text before it is published", "input", "status")
	}
	return nil
}

// ArchiveProduct takes a product off the storefront, keeping its rows for
// past orders; updateProduct can bring it back. Archiving an archived
// product changes nothing.
func (s *Service) ArchiveProduct(ctx context.Context, id int) (*ent.Product, error) {
	archived := product.StatusARCHIVED
	return s.UpdateProduct(ctx, id, ProductInput{Status: &archived})
}

// CreateVariant adds a variant after the product's last one, with its
// opening stock in the ledger, and updates the product's price range.
func (s *Service) CreateVariant(ctx context.Context, productID int, in VariantInput, actorID *int) (*ent.ProductVariant, error) {
	var ps problems
	v := s.checkVariant(&ps, in, true, []string{"input"})
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.ProductVariant
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := productExists(ctx, c, productID, "productId"); err != nil {
			return err
		}
		if err := checkSKUsFree(ctx, c, []checkedVariant{v}, 0, inputSKU); err != nil {
			return err
		}
		n, err := c.ProductVariant.Query().Where(productvariant.ProductID(productID)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count variants: %w", err)
		}
		if n >= MaxVariants {
			return fail(ErrInvalid, fmt.Sprintf("a product has at most %d variants", MaxVariants), "productId")
		}
		last, err := c.ProductVariant.Query().
			Where(productvariant.ProductID(productID)).
			Order(ent.Desc(productvariant.FieldPosition)).
			Select(productvariant.FieldPosition).
			First(ctx)
		pos := 0
		switch {
		case err == nil:
			pos = last.Position + 1
		case !ent.IsNotFound(err):
			return fmt.Errorf("read variant positions: %w", err)
		}
		out, err = createVariant(ctx, c, productID, pos, v, actorID, inputSKU(0))
		if err != nil {
			return err
		}
		_, err = reprice(ctx, c, productID)
		return err
	})
	return out, err
}

// UpdateVariant changes a variant's SKU, name, price or options, and keeps
// the product's price range current. Stock changes go through AdjustStock,
// so that the ledger explains them.
func (s *Service) UpdateVariant(ctx context.Context, id int, in VariantInput) (*ent.ProductVariant, error) {
	var ps problems
	v := s.checkVariant(&ps, in, false, []string{"input"})
	if in.StockOnHand != nil {
		ps.Add(ErrInvalid, "change stock with adjustStock", "input", "stockOnHand")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.ProductVariant
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		cur, err := c.ProductVariant.Get(ctx, id)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such variant", "id")
		}
		if err != nil {
			return fmt.Errorf("read variant: %w", err)
		}
		upd := c.ProductVariant.UpdateOneID(id)
		if in.SKU != nil {
			if err := checkSKUsFree(ctx, c, []checkedVariant{v}, id, inputSKU); err != nil {
				return err
			}
			upd.SetSku(v.sku)
		}
		if in.Name != nil {
			upd.SetName(v.name)
		}
		if in.Price != nil {
			upd.SetPriceMinor(v.priceMinor)
		}
		if in.OptionsSet {
			upd.SetOptions(v.options)
		}
		upd.SetNillableWeightGrams(v.weight)
		out, err = upd.Save(ctx)
		if err != nil {
			return takenOr(err, "update variant", "another variant has this SKU", "input", "sku")
		}
		if in.Price != nil {
			_, err = reprice(ctx, c, cur.ProductID)
		}
		return err
	})
	return out, err
}

// checkVariant validates one variant input; on creation SKU, name and price
// are required. Problems are reported under path.
func (s *Service) checkVariant(ps *problems, in VariantInput, create bool, path []string) checkedVariant {
	at := func(f ...string) []string { return append(append([]string(nil), path...), f...) }
	var v checkedVariant
	if in.SKU == nil {
		if create {
			ps.Add(ErrRequired, "a SKU is required", at("sku")...)
		}
	} else {
		v.sku = strings.TrimSpace(*in.SKU)
		switch {
		case v.sku == "":
			ps.Add(ErrRequired, "a SKU is required", at("sku")...)
		case len(v.sku) > MaxSKULen:
			ps.Add(ErrInvalid, fmt.Sprintf("a SKU is at most %d characters", MaxSKULen), at("sku")...)
		case strings.IndexFunc(v.sku, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
			ps.Add(ErrInvalid, "a SKU has no spaces or control characters", at("sku")...)
		}
	}
	if in.Name != nil || create {
		v.name = checkName(ps, in.Name, true, MaxProductNameLen, at("name")...)
	}
	if in.Price == nil {
		if create {
			ps.Add(ErrRequired, "a price is required", at("price")...)
		}
	} else {
		minor, err := PriceMinor(s.currency, *in.Price)
		if err != nil {
			ps.Add(ErrInvalid, err.Error(), at("price")...)
		}
		v.priceMinor = minor
	}
	if in.StockOnHand != nil {
		v.stock = *in.StockOnHand
		if v.stock < 0 || v.stock > MaxStock {
			ps.Add(ErrInvalid, fmt.Sprintf("stock on hand must be between 0 and %d", MaxStock), at("stockOnHand")...)
		}
	}
	v.options = checkOptions(ps, in.Options, at("options"))
	if w := in.WeightGrams; w != nil && (*w < 1 || *w > MaxWeightGrams) {
		ps.Add(ErrInvalid, fmt.Sprintf("a weight is from 1 to %d grams", MaxWeightGrams), at("weightGrams")...)
	}
	v.weight = in.WeightGrams
	return v
}

// checkOptions trims options and refuses empty, overlong or repeated names
// (compared case-insensitively: "Size" and "size" are one option).
func checkOptions(ps *problems, opts []schematype.VariantOption, path []string) []schematype.VariantOption {
	at := func(i int, f string) []string {
		return append(append([]string(nil), path...), strconv.Itoa(i), f)
	}
	if len(opts) > MaxOptions {
		ps.Add(ErrInvalid, fmt.Sprintf("at most %d options", MaxOptions), path...)
	}
	out := make([]schematype.VariantOption, 0, len(opts))
	seen := map[string]int{}
	for i, o := range opts {
		name, value := strings.TrimSpace(o.Name), strings.TrimSpace(o.Value)
		switch {
		case name == "":
			ps.Add(ErrRequired, "an option name is required", at(i, "name")...)
		case utf8.RuneCountInString(name) > MaxOptionNameLen:
			ps.Add(ErrInvalid, fmt.Sprintf("an option name is at most %d characters", MaxOptionNameLen), at(i, "name")...)
		default:
			key := strings.ToLower(name)
			if j, dup := seen[key]; dup {
				ps.Add(ErrInvalid, fmt.Sprintf("option %d has the same name", j), at(i, "name")...)
			}
			seen[key] = i
		}
		switch {
		case value == "":
			ps.Add(ErrRequired, "an option value is required", at(i, "value")...)
		case utf8.RuneCountInString(value) > MaxOptionValueLen:
			ps.Add(ErrInvalid, fmt.Sprintf("an option value is at most %d characters", MaxOptionValueLen), at(i, "value")...)
		}
		out = append(out, schematype.VariantOption{Name: name, Value: value})
	}
	return out
}

// PriceMinor reads a price in cur as integer minor units, refusing
// negative prices, more decimals than the currency has and prices above
// MaxPrice.
func PriceMinor(cur money.Currency, price string) (int64, error) {
	ceiling := cur.Amount(MaxPrice * cur.Scale())
	minor, err := cur.Parse(price)
	var pe *money.PrecisionError
	switch {
	case err != nil && !errors.Is(err, money.ErrNotDecimal) && strings.HasPrefix(price, "-"), minor < 0:
		return 0, fmt.Errorf("a price cannot be negative")
	case errors.As(err, &pe):
		return 0, fmt.Errorf("a price has %s", pe.Limit())
	case errors.Is(err, money.ErrOutOfRange):
		return 0, fmt.Errorf("a price is at most %s", ceiling.Decimal())
	case err != nil:
		return 0, fmt.Errorf("a price is a decimal number, such as %q", cur.Amount(129900).Decimal())
	case minor > ceiling.Minor:
		return 0, fmt.Errorf("a price is at most %s", ceiling.Decimal())
	}
	return minor, nil
}

// createVariant inserts one validated variant and its opening stock
// movement, so the ledger sums to the stock on hand from the start. A SKU
// taken meanwhile is reported at skuField.
func createVariant(ctx context.Context, c *ent.Client, productID, position int, v checkedVariant, actorID *int, skuField []string) (*ent.ProductVariant, error) {
	pv, err := c.ProductVariant.Create().
		SetProductID(productID).
		SetSku(v.sku).
		SetName(v.name).
		SetPriceMinor(v.priceMinor).
		SetStockOnHand(v.stock).
		SetOptions(v.options).
		SetNillableWeightGrams(v.weight).
		SetPosition(position).
		Save(ctx)
	if err != nil {
		return nil, takenOr(err, "create variant", "another variant has this SKU", skuField...)
	}
	if m := inventory.Opening(c, pv, InitialStockReason, actorID); m != nil {
		if err := m.Exec(ctx); err != nil {
			return nil, fmt.Errorf("record opening stock: %w", err)
		}
	}
	return pv, nil
}

// reprice sets the product's price range (Reprice) and returns the
// product as it is now.
func reprice(ctx context.Context, c *ent.Client, productID int) (*ent.Product, error) {
	if err := Reprice(ctx, c, productID); err != nil {
		return nil, err
	}
	p, err := c.Product.Get(ctx, productID)
	if err != nil {
		return nil, fmt.Errorf("read product: %w", err)
	}
	return p, nil
}

// Reprice sets each product's price range, the lowest and highest price
// among its variants as they are now (a variant's sale price while it has
// one, internal/promotion) (zero without variants), so that
// price sorting and priceRange never need a join. It is the one place the
// range is computed: every writer of variant prices (this service, the
// seed import) calls it after writing, and it takes one statement however
// many products it is given.
func Reprice(ctx context.Context, c *ent.Client, productIDs ...int) error {
	if len(productIDs) == 0 {
		return nil
	}
	of := func(agg string) sql.Querier {
		return sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString("COALESCE((SELECT " + agg + "(COALESCE(").Ident(productvariant.FieldSalePriceMinor).
				WriteString(", ").Ident(productvariant.FieldPriceMinor).
				WriteString(")) FROM ").Ident(productvariant.Table).
				WriteString(" WHERE ").Ident(productvariant.Table).WriteByte('.').Ident(productvariant.FieldProductID).
				WriteString(" = ").Ident(product.Table).WriteByte('.').Ident(product.FieldID).
				WriteString("), 0)")
		})
	}
	err := c.Product.Update().
		Where(product.IDIn(productIDs...)).
		Modify(func(u *sql.UpdateBuilder) {
			u.Set(product.FieldMinPriceMinor, of("MIN"))
			u.Set(product.FieldMaxPriceMinor, of("MAX"))
		}).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("set price range: %w", err)
	}
	return nil
}

// checkSKUsFree answers TAKEN, at skuPath(i) for the i-th variant, for a
// SKU that another variant (than self) uses.
func checkSKUsFree(ctx context.Context, c *ent.Client, vs []checkedVariant, self int, skuPath func(i int) []string) error {
	skus := make([]string, 0, len(vs))
	for _, v := range vs {
		skus = append(skus, v.sku)
	}
	used, err := c.ProductVariant.Query().
		Where(productvariant.SkuIn(skus...), productvariant.IDNEQ(self)).
		Select(productvariant.FieldSku).
		Strings(ctx)
	if err != nil {
		return fmt.Errorf("look up SKUs: %w", err)
	}
	var ps problems
	for _, u := range used {
		for i, v := range vs {
			if v.sku != u {
				continue
			}
			ps.Add(ErrTaken, "another variant has this SKU", skuPath(i)...)
		}
	}
	return ps.Err()
}

// productWriteErr reports what a concurrent transaction changed between
// the checks and the write of a product: its slug taken (TAKEN) or its
// category deleted (NOT_FOUND). Other errors are wrapped with what.
func productWriteErr(err error, what string) error {
	if sqlgraph.IsForeignKeyConstraintError(err) {
		return fail(ErrNotFound, "no such category", "input", "categoryID")
	}
	return takenOr(err, what, "another product has this slug", "input", "slug")
}

func inputSKU(int) []string { return []string{"input", "sku"} }

func checkCategory(ctx context.Context, c *ent.Client, id int) error {
	ok, err := c.Category.Query().Where(category.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("read category: %w", err)
	}
	if !ok {
		return fail(ErrNotFound, "no such category", "input", "categoryID")
	}
	return nil
}

// productExists answers NOT_FOUND at field when there is no such product.
func productExists(ctx context.Context, c *ent.Client, id int, field string) error {
	ok, err := c.Product.Query().Where(product.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("read product: %w", err)
	}
	if !ok {
		return fail(ErrNotFound, "no such product", field)
	}
	return nil
}

// productSlug is categorySlug for products.
func productSlug(ctx context.Context, c *ent.Client, explicit, name string, self int) (string, error) {
	if explicit != "" {
		taken, err := c.Product.Query().Where(product.Slug(explicit), product.IDNEQ(self)).Exist(ctx)
		if err != nil {
			return "", fmt.Errorf("look up slug: %w", err)
		}
		if taken {
			return "", fail(ErrTaken, "another product has this slug", "input", "slug")
		}
		return explicit, nil
	}
	base := Slugify(name)
	if base == "" {
		base = "product"
	}
	return uniqueSlug(ctx, base, func(ctx context.Context, prefix string) ([]string, error) {
		return c.Product.Query().Where(product.SlugHasPrefix(prefix)).Select(product.FieldSlug).Strings(ctx)
	})
}
