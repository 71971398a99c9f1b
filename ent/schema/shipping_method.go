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

// ShippingMethod is a way a zone's orders reach the shopper: DELIVERY to
// the address or PICKUP at one of its pickup points, priced flat or by
// band of the cart subtotal or weight, free over a threshold.
type ShippingMethod struct {
	ent.Schema
}

// Fields of the ShippingMethod.
func (ShippingMethod) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.Enum("kind").Values("DELIVERY", "PICKUP"),
		field.Enum("rate_type").Values("FLAT", "SUBTOTAL_BANDS", "WEIGHT_BANDS"),
		// The FLAT price.
		field.Int64("rate_minor").NonNegative().Default(0).Annotations(hiddenMoney),
		// The bands of SUBTOTAL_BANDS and WEIGHT_BANDS (schematype.RateBand).
		field.JSON("bands", []schematype.RateBand{}).
			Default([]schematype.RateBand{}).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// A cart subtotal at or above this ships free.
		field.Int64("free_over_minor").Optional().Nillable().NonNegative().Annotations(hiddenMoney),
		field.Int("min_days").NonNegative().Default(0),
		field.Int("max_days").NonNegative().Default(0),
		// Orders placed before this hour (store time) leave the same day.
		field.Int("same_day_cutoff_hour").Optional().Nillable().Range(0, 23),
		field.Bool("active").Default(true),
		field.Int("zone_id"),
	}
}

// Edges of the ShippingMethod.
func (ShippingMethod) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("zone", ShippingZone.Type).
			Ref("methods").
			Field("zone_id").
			Unique().
			Required(),
		edge.To("pickup_points", PickupPoint.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		// Carts that chose the method forget the choice when it goes.
		edge.To("carts", Cart.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the ShippingMethod.
func (ShippingMethod) Indexes() []ent.Index {
	return []ent.Index{index.Fields("zone_id")}
}

// Annotations of the ShippingMethod.
func (ShippingMethod) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"shipping_method_days": "max_days >= min_days",
		}),
	}
}

// Mixin of the ShippingMethod.
func (ShippingMethod) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
