package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OneTimeSecret is one password-reset link or one-time code, stored only
// as a salted SHA-256 hash; the account service (internal/auth,
// recovery.go) issues and redeems them. It has no read or write rule, so
// only the system (viewer.System) reaches it.
type OneTimeSecret struct {
	ent.Schema
}

// Fields of the OneTimeSecret.
func (OneTimeSecret) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("purpose").Values("PASSWORD_RESET", "VERIFY_EMAIL", "VERIFY_PHONE").Immutable(),
		// The email or E.164 phone the secret was sent to; the secret
		// proves control of it.
		field.String("target").NotEmpty().MaxLen(254).Immutable(),
		field.String("salt").NotEmpty().Immutable().Sensitive(),
		field.String("hash").NotEmpty().Immutable().Sensitive(),
		field.Time("expires_at").Immutable(),
		// Set when redeemed, or when a newer secret or a reset replaces it.
		field.Time("used_at").Optional().Nillable(),
		// Nil on a decoy: a request for an unknown account writes one, so
		// it does the same work as a real one.
		field.Int("customer_id").Optional().Nillable().Immutable(),
	}
}

// Edges of the OneTimeSecret.
func (OneTimeSecret) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("one_time_secrets").
			Field("customer_id").
			Unique().
			Immutable(),
	}
}

// Indexes of the OneTimeSecret.
func (OneTimeSecret) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("purpose", "target"),
		index.Fields("customer_id"),
		index.Fields("expires_at"),
	}
}

// Mixin of the OneTimeSecret.
func (OneTimeSecret) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the OneTimeSecret.
func (OneTimeSecret) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
