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

// TaxClass groups what is taxed alike: standard, zero-rated, exempt, and
// any class the store adds. A variant has one (none: the store's default,
// config TAX_DEFAULT_CLASS); its rates say how much tax it bears. An
// exempt class has no rates; a zero-rated one has a 0 % rate, so invoices
// show it.
type TaxClass struct {
	ent.Schema
}

// Fields of the TaxClass.
func (TaxClass) Fields() []ent.Field {
	return []ent.Field{
		// The stable handle configuration refers to, such as "standard".
		field.String("code").
			MaxLen(64).
			Unique().
			Validate(schematype.CheckSlug),
		field.String("name").
			NotEmpty().
			MaxLen(200),
	}
}

// Edges of the TaxClass.
func (TaxClass) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("rates", TaxRate.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("variants", ProductVariant.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Mixin of the TaxClass.
func (TaxClass) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// TaxRate is one rate of a tax class, in basis points (1600 = 16 %). All
// rates of a class apply to the same net amount, each a tax line of its
// own on the order. A rate without a zone applies everywhere; a class's
// rates for the order's shipping zone replace its zone-less ones
// (pricing.For).
type TaxRate struct {
	ent.Schema
}

// Fields of the TaxRate.
func (TaxRate) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			NotEmpty().
			MaxLen(100),
		field.Int64("basis_points").
			Range(0, 10000),
		field.Int("tax_class_id"),
		// The shipping zone the rate is for; none: every zone.
		field.Int("zone_id").
			Optional().
			Nillable(),
	}
}

// Edges of the TaxRate.
func (TaxRate) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tax_class", TaxClass.Type).
			Ref("rates").
			Field("tax_class_id").
			Unique().
			Required(),
		edge.From("zone", ShippingZone.Type).
			Ref("tax_rates").
			Field("zone_id").
			Unique(),
	}
}

// Indexes of the TaxRate.
func (TaxRate) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tax_class_id", "name").Unique()}
}

// Mixin of the TaxRate.
func (TaxRate) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
