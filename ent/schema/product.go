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

// Product is a sellable item with one or more variants, in one category.
type Product struct {
	ent.Schema
}

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			NotEmpty().
			MaxLen(300).
			Annotations(entgql.OrderField("NAME")),
		field.String("slug").
			MaxLen(200).
			Unique().
			Validate(schematype.CheckSlug),
		field.Text("description").
			Default(""),
		field.Enum("status").
			Values("DRAFT", "ACTIVE", "ARCHIVED").
			Default("DRAFT"),
		field.Int("category_id"),
		// The lowest and highest price among the product's variants, kept
		// current on every variant write, so price sorting and priceRange
		// need no join.
		field.Int64("min_price_minor").
			NonNegative().
			Default(0).
			Annotations(
				entgql.OrderField("PRICE"),
				hiddenMoney,
			),
		field.Int64("max_price_minor").NonNegative().Annotations(hiddenMoney).Default(0),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("category", Category.Type).
			Ref("products").
			Field("category_id").
			Unique().
			Required(),
		// Variants are resolved by hand (graph/catalog.graphql), in position
		// order, one query per page of products.
		edge.To("variants", ProductVariant.Type).
			Annotations(entgql.Skip(entgql.SkipType), entsql.OnDelete(entsql.Cascade)),
		// Images, resolved by hand (graph/media.graphql), by position.
		edge.To("media", Media.Type).
			Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("category_id", "status"),
		index.Fields("status", "created_at"),
		index.Fields("status", "min_price_minor"),
	}
}

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}
