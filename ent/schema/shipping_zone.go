package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// ShippingZone is where a set of shipping methods applies: a country,
// optionally narrowed to a region (county) and to a town or a postal-code
// pattern. internal/shipping matches addresses to zones (the most specific
// wins) and refuses overlapping zones.
type ShippingZone struct {
	ent.Schema
}

// Fields of the ShippingZone.
func (ShippingZone) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.String("country_code").Validate(schematype.CheckCountryCode),
		// Empty means "any": matched case-insensitively.
		field.String("region").Default("").MaxLen(100),
		field.String("town").Default("").MaxLen(100),
		// Empty, an exact postal code ("00100") or a prefix ending in "*"
		// ("001*").
		field.String("postal_code_pattern").Default("").MaxLen(20),
		// The normalised country, region, town and pattern: two zones with
		// the same definition are refused by the database itself, even
		// when written at once (internal/shipping refuses every overlap).
		field.String("match_key").Unique().NotEmpty().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the ShippingZone.
func (ShippingZone) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("methods", ShippingMethod.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		// Tax rates for this zone only go with it.
		edge.To("tax_rates", TaxRate.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
	}
}

// Mixin of the ShippingZone.
func (ShippingZone) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
