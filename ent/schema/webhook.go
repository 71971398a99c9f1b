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

// WebhookSubscription is a URL that receives the store's events of the
// types it names, signed with its secret (Standard Webhooks). Staff with
// webhooks:manage manage them (internal/webhook).
type WebhookSubscription struct {
	ent.Schema
}

// Fields of the WebhookSubscription.
func (WebhookSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2000),
		field.Strings("event_types").
			Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// The signing secret in Standard Webhooks form (whsec_ and the
		// base64 key); shown once, when created or rotated.
		field.String("secret").NotEmpty().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("active").Default(true),
		// Why the circuit opened, when it did; empty while active.
		field.String("disabled_reason").Optional().MaxLen(500),
		field.Int("consecutive_failures").NonNegative().Default(0),
		// When the current run of failures began; nil after a success.
		field.Time("failing_since").Optional().Nillable(),
	}
}

// Edges of the WebhookSubscription.
func (WebhookSubscription) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
	}
}

// Mixin of the WebhookSubscription.
func (WebhookSubscription) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the WebhookSubscription.
func (WebhookSubscription) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Directives(hasPermission("WEBHOOKS_MANAGE")),
		entgql.RelayConnection(),
	}
}

// WebhookDelivery is one event for one subscription: written in the
// transaction of the change that caused it, with the River job that
// delivers it, and kept as the delivery log.
type WebhookDelivery struct {
	ent.Schema
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("subscription_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The event's ID (webhook-id), the same on every attempt and
		// redelivery, and for every subscription the event went to.
		field.String("event_id").NotEmpty().MaxLen(64).Immutable(),
		field.String("event_type").NotEmpty().MaxLen(100).Immutable(),
		field.Int("payload_version").Positive().Immutable(),
		// The request body, exactly as signed and sent.
		field.Text("body").Immutable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Enum("state").Values("PENDING", "DELIVERED", "FAILED").Default("PENDING"),
		field.Int("attempts").NonNegative().Default(0),
		field.Int("response_status").Optional().Nillable(),
		field.Int("latency_ms").Optional().Nillable(),
		field.Time("next_attempt_at").Optional().Nillable(),
		field.String("last_error").Optional().MaxLen(1000),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", WebhookSubscription.Type).
			Ref("deliveries").
			Field("subscription_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		// One delivery per event per subscription; a redelivery reuses it.
		index.Fields("subscription_id", "event_id").Unique(),
		index.Fields("state", "created_at"),
	}
}

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the WebhookDelivery.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
	}
}
