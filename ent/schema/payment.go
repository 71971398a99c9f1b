package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Payment is one attempt to pay for an order: an M-Pesa STK push, or cash
// on delivery confirmed by staff.
type Payment struct {
	ent.Schema
}

// Fields of the Payment.
func (Payment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("method").
			Values("MPESA", "CASH_ON_DELIVERY").
			Immutable().
			Annotations(entgql.Type("PaymentMethod")),
		field.Enum("status").
			Values("PENDING", "SUCCEEDED", "FAILED", "REFUNDED").
			Default("PENDING"),
		field.Int64("amount_minor").NonNegative().Annotations(hiddenMoney).Immutable(),
		field.String("currency").MinLen(3).MaxLen(3).Immutable(),
		// The provider's receipt, such as the M-Pesa receipt number.
		field.String("reference").Optional(),
		// The provider's request ID (M-Pesa CheckoutRequestID) that a
		// callback is matched by.
		field.String("provider_request_id").
			Optional().
			Nillable().
			Unique().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("phone").Optional(),
		field.String("failure_reason").Optional(),
		field.Int("order_id").Immutable(),
	}
}

// Edges of the Payment.
func (Payment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("payments").
			Field("order_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the Payment.
func (Payment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("status", "method")}
}

// Mixin of the Payment.
func (Payment) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
