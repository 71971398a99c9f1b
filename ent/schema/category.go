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

// Category is a node of the catalogue tree, of any depth.
//
// Besides parent_id, every category stores its materialised path: the IDs
// from the root down to itself, as "/1/7/42/". Ancestors are then one
// primary-key lookup of the IDs in the path, and the whole subtree is one
// prefix scan of the path index (text_pattern_ops on PostgreSQL, GLOB on
// SQLite), and moving a subtree is one UPDATE of the paths under it.
type Category struct {
	ent.Schema
}

// Fields of the Category.
func (Category) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("slug").
			MaxLen(200).
			Unique().
			Validate(schematype.CheckSlug),
		field.Text("description").
			Default(""),
		field.Int("position").
			Default(0).
			Annotations(entgql.OrderField("POSITION")),
		field.Int("depth").
			NonNegative().
			Default(0),
		field.String("path").
			Default("").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The number of products in this category itself (not its
		// subcategories), all of them and the ACTIVE ones (what shoppers
		// see, the Product read rule), so that a subtree's count sums a
		// few category rows instead of scanning its products. Kept on
		// every product write by internal/catalog (CountOnWrite), in the
		// write's transaction; the CHECK below holds them consistent.
		field.Int("product_count").
			NonNegative().
			Default(0).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("active_product_count").
			NonNegative().
			Default(0).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("parent_id").
			Optional().
			Nillable(),
	}
}

// Edges of the Category.
func (Category) Edges() []ent.Edge {
	return []ent.Edge{
		// Children and products are resolved by hand (graph/catalog.graphql):
		// siblings are ordered by position, and pages batch their loads.
		edge.To("children", Category.Type).
			Annotations(entgql.Skip(entgql.SkipType), entsql.OnDelete(entsql.Restrict)).
			From("parent").
			Field("parent_id").
			Unique(),
		edge.To("products", Product.Type).
			Annotations(entgql.Skip(entgql.SkipType), entsql.OnDelete(entsql.Restrict)),
		// Images, resolved by hand (graph/media.graphql), by position.
		edge.To("media", Media.Type).
			Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Category.
func (Category) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("parent_id", "position"),
		index.Fields("path").
			Annotations(entsql.OpClass("text_pattern_ops")),
	}
}

// Mixin of the Category.
func (Category) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the Category.
func (Category) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"category_product_counts": "active_product_count >= 0 AND active_product_count <= product_count",
		}),
	}
}
