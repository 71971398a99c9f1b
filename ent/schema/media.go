package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Media is one image of a product, a variant or a category: an original
// in object storage, named by the SHA-256 of its bytes, and the resized
// derivatives a River job makes of it (internal/media). The GraphQL layer
// shows it as an Image (graph/media.graphql).
type Media struct {
	ent.Schema
}

// Fields of the Media.
func (Media) Fields() []ent.Field {
	return []ent.Field{
		// The hex SHA-256 of the original's bytes: every object of the
		// image is named after it, so its URLs never change meaning.
		field.String("content_hash").
			Immutable().
			MinLen(64).
			MaxLen(64).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The sniffed format of the original.
		field.Enum("format").
			Values("JPEG", "PNG", "WEBP").
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("bytes").
			Immutable().
			Positive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Pixel size as displayed (EXIF orientation applied once the
		// derivatives exist; as stored before).
		field.Int("width").Positive().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("height").Positive().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("alt_text").
			Default("").
			MaxLen(512).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("position").
			Default(0).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The focal point, as fractions of the width and height (0 to 1).
		field.Float("focal_x").Optional().Nillable().Min(0).Max(1).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("focal_y").Optional().Nillable().Min(0).Max(1).Annotations(entgql.Skip(entgql.SkipAll)),
		// PENDING until the derivative job has run: the original is
		// served meanwhile.
		field.Enum("derivative_status").
			Values("PENDING", "READY", "FAILED").
			Default("PENDING").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The widths of the derivatives made, ascending.
		field.JSON("derivative_widths", []int{}).
			Default([]int{}).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// A tiny preview (a data: URI of a few hundred bytes) to show
		// while the image loads.
		field.String("placeholder").
			Default("").
			MaxLen(2048).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("product_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("variant_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("category_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Media. It belongs to exactly one of a product, a variant
// or a category (MediaOwnerCheck).
func (Media) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("media").Field("product_id").Unique().Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("variant", ProductVariant.Type).Ref("media").Field("variant_id").Unique().Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("category", Category.Type).Ref("media").Field("category_id").Unique().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Media.
func (Media) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "position"),
		index.Fields("variant_id", "position"),
		index.Fields("category_id", "position"),
		index.Fields("content_hash"),
	}
}

// Annotations of the Media.
func (Media) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			MediaOwnerCheck: "(CASE WHEN product_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN variant_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN category_id IS NULL THEN 0 ELSE 1 END) = 1",
		}),
		// A Relay Node named Image (graph/media.graphql adds its fields):
		// node(id:) finds it, through the read rule above.
		entgql.Type("Image"),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// MediaOwnerCheck names the CHECK constraint that gives every media row
// exactly one owner.
const MediaOwnerCheck = "media_one_owner"

// Mixin of the Media.
func (Media) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
