package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// PickupPoint is a place (an agent, a mall counter) where a PICKUP
// method's orders are collected.
type PickupPoint struct {
	ent.Schema
}

// Fields of the PickupPoint.
func (PickupPoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.String("line1").NotEmpty().MaxLen(200),
		field.String("line2").Default("").MaxLen(200),
		field.String("town").NotEmpty().MaxLen(100),
		field.String("region").Default("").MaxLen(100),
		field.String("postal_code").Default("").MaxLen(20),
		field.String("country_code").Validate(schematype.CheckCountryCode),
		// Free text, such as "Mon–Sat 08:00–20:00, Sun 10:00–16:00".
		field.String("opening_hours").NotEmpty().MaxLen(500),
		field.String("phone").Validate(validatePhone),
		field.Bool("active").Default(true),
		field.Int("method_id"),
	}
}

// Edges of the PickupPoint.
func (PickupPoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("method", ShippingMethod.Type).
			Ref("pickup_points").
			Field("method_id").
			Unique().
			Required(),
		// Carts that chose the point forget it when it goes.
		edge.To("carts", Cart.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the PickupPoint.
func (PickupPoint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("method_id")}
}

// Mixin of the PickupPoint.
func (PickupPoint) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
