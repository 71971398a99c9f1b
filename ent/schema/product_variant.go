package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// ProductVariant is one purchasable form of a product (a size, a colour),
// with its own SKU, price and stock.
type ProductVariant struct {
	ent.Schema
}

// Fields of the ProductVariant.
func (ProductVariant) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").
			NotEmpty().
			MaxLen(64).
			Unique(),
		field.String("name").
			NotEmpty().
			MaxLen(300),
		field.Int64("price_minor").NonNegative().Annotations(hiddenMoney),
		// The price while a catalogue promotion runs (none: no sale), kept
		// by internal/promotion (Resale) on promotion writes, at each
		// promotion's window boundaries and on variant writes, so the
		// catalogue shows it with no extra statement. price_minor stays
		// the original (compareAtPrice).
		field.Int64("sale_price_minor").Optional().Nillable().NonNegative().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Stock figures are staff's: shoppers see quantityAvailable, and no
		// filter may probe what the field hides.
		field.Int("stock_on_hand").
			NonNegative().
			Default(0).
			Annotations(staffOnlyField...),
		// Units held by placed orders that have not shipped yet.
		field.Int("reserved").
			NonNegative().
			Default(0).
			Annotations(staffOnlyField...),
		field.Bool("track_inventory").
			Default(true),
		field.JSON("options", []schematype.VariantOption{}).
			Default([]schematype.VariantOption{}).
			Annotations(entgql.Type("[VariantOption!]")),
		field.Int("position").
			Default(0),
		// The variant's shipping weight; without one, the store's default
		// (SHIPPING_DEFAULT_WEIGHT_GRAMS) counts (internal/shipping).
		field.Int("weight_grams").
			Optional().
			Nillable().
			Positive(),
		field.Int("product_id"),
		// None: the store's default tax class.
		field.Int("tax_class_id").
			Optional().
			Nillable(),
	}
}

// Edges of the ProductVariant.
func (ProductVariant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).
			Ref("variants").
			Field("product_id").
			Unique().
			Required(),
		edge.To("stock_movements", StockMovement.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
		edge.To("cart_lines", CartLine.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
		edge.To("order_lines", OrderLine.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("tax_class", TaxClass.Type).
			Ref("variants").
			Field("tax_class_id").
			Unique(),
		// Images, resolved by hand (graph/media.graphql), by position.
		edge.To("media", Media.Type).
			Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the ProductVariant.
func (ProductVariant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "position"),
	}
}

// Annotations of the ProductVariant.
func (ProductVariant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		// The stock invariant, 0 <= reserved <= stock_on_hand, held by the
		// database itself on both dialects. internal/inventory moves stock
		// with conditional updates that never break it; this constraint is
		// the last line should any writer ever try.
		entsql.Checks(map[string]string{
			StockCheck: "reserved >= 0 AND reserved <= stock_on_hand",
		}),
	}
}

// StockCheck names the CHECK constraint on a variant's stock, so that a
// violation reaching the database is recognised (internal/inventory).
const StockCheck = "product_variant_stock"

// Mixin of the ProductVariant.
func (ProductVariant) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
