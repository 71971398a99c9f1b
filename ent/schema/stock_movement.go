package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// StockMovement is one entry of the stock ledger: every change of a
// variant's stock on hand, with who made it and why. The sum of a variant's
// movements equals its stock on hand.
type StockMovement struct {
	ent.Schema
}

// Fields of the StockMovement.
func (StockMovement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("delta").Immutable(),
		field.String("reason").NotEmpty().MaxLen(500).Immutable(),
		field.Int("resulting_level").NonNegative().Immutable(),
		field.Int("variant_id").Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
	}
}

// Edges of the StockMovement.
func (StockMovement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("variant", ProductVariant.Type).
			Ref("stock_movements").
			Field("variant_id").
			Unique().
			Required().
			Immutable(),
		edge.To("actor", Customer.Type).
			Field("actor_id").
			Unique().
			Immutable(),
		edge.To("order", Order.Type).
			Field("order_id").
			Unique().
			Immutable(),
	}
}

// Indexes of the StockMovement.
func (StockMovement) Indexes() []ent.Index {
	return []ent.Index{index.Fields("variant_id", "created_at")}
}

// Mixin of the StockMovement.
func (StockMovement) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the StockMovement.
func (StockMovement) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
