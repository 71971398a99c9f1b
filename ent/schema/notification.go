package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Notification is one message (SMS or email) to one recipient, written in
// the same transaction as the change that caused it and delivered by a job.
type Notification struct {
	ent.Schema
}

// Fields of the Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("channel").Values("SMS", "EMAIL").Immutable(),
		field.String("recipient").NotEmpty().MaxLen(254).Immutable(),
		field.String("template").NotEmpty().MaxLen(100).Immutable(),
		field.Enum("status").Values("PENDING", "SENT", "FAILED").Default("PENDING"),
		field.Int("attempts").NonNegative().Default(0),
		field.String("last_error").Optional().Nillable().MaxLen(2000),
		field.Time("sent_at").Optional().Nillable(),
		field.String("provider_message_id").Optional(),
		field.Int("order_id").Optional().Nillable().Immutable(),
		// Who the message is for: the order's customer, or the store (the
		// staff's copy), which only staff may read.
		// The one-time code or reset link an account message carries,
		// kept only until the message is delivered or given up on.
		field.String("secret").Optional().Nillable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("audience").Values("CUSTOMER", "STORE").Default("CUSTOMER").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Notification.
func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("notifications").
			Field("order_id").
			Unique().
			Immutable(),
	}
}

// Indexes of the Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "created_at"),
		index.Fields("order_id"),
	}
}

// Mixin of the Notification.
func (Notification) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the Notification.
func (Notification) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Directives(hasPermission("NOTIFICATIONS_MANAGE")),
		entgql.RelayConnection(),
	}
}
