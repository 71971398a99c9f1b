package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// Address is an entry in a customer's address book.
type Address struct {
	ent.Schema
}

// Fields of the Address.
func (Address) Fields() []ent.Field {
	return []ent.Field{
		field.String("line1").NotEmpty().MaxLen(200),
		field.String("line2").Optional().MaxLen(200),
		field.String("city").NotEmpty().MaxLen(100),
		field.String("region").Optional().MaxLen(100),
		field.String("postal_code").Optional().MaxLen(20),
		field.String("country_code").Validate(schematype.CheckCountryCode),
		field.String("phone").Optional().Validate(validatePhone),
		field.Bool("is_default").Default(false),
		field.Int("customer_id").Immutable(),
	}
}

// Edges of the Address.
func (Address) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("addresses").
			Field("customer_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the Address.
func (Address) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id")}
}

// Mixin of the Address.
func (Address) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
