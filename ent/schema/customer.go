package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Customer is a person with an account: a shopper, or a member of staff.
type Customer struct {
	ent.Schema
}

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			MaxLen(254).
			Unique().
			Validate(validateEmail),
		field.String("name").
			NotEmpty().
			MaxLen(200),
		field.String("phone").
			Optional().
			Validate(validatePhone),
		field.String("password_hash").
			Optional().
			Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("role").
			Values("CUSTOMER", "STAFF", "ADMIN").
			Default("CUSTOMER").
			Annotations(entgql.Type("Role")),
		// A staff member's narrowed permission set, given by an ADMIN
		// (auth.Service.SetPermissions); nil (NULL) is the role's set.
		// Access tokens carry it; changing it bumps token_version.
		field.JSON("permissions", []viewer.Permission{}).
			Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("password_changed_at").
			Optional().
			Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Carried by every access token; the auth service bumps it when
		// the account's rights shrink (role change, password change,
		// logout everywhere), and tokens of an older version are refused.
		field.Int("token_version").
			NonNegative().
			Default(0).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// When the customer proved control of the email or phone with a
		// one-time code (or a reset link); nil while unproven. Changing
		// the phone clears its mark.
		field.Time("email_verified_at").
			Optional().
			Nillable().
			Annotations(verifiedMark),
		field.Time("phone_verified_at").
			Optional().
			Nillable().
			Annotations(verifiedMark),
	}
}

// verifiedMark shows a verification time in GraphQL, read-only.
var verifiedMark = entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipOrderField)

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("addresses", Address.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("identities", Identity.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
		edge.To("orders", Order.Type).
			Annotations(entgql.RelayConnection()),
		edge.To("carts", Cart.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
		edge.To("refresh_tokens", RefreshToken.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
		edge.To("one_time_secrets", OneTimeSecret.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
	}
}

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField("customers").Directives(hasPermission("CUSTOMERS_READ")),
		entgql.RelayConnection(),
	}
}
