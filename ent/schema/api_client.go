package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

// APIClient is an integration (an ERP, a warehouse, an accounting
// package) that calls the API with OAuth2 client credentials
// (internal/oauth). Its secret is stored only as a hash; after a
// rotation the previous secret's hash keeps working until
// previous_secret_expires_at.
type APIClient struct {
	ent.Schema
}

// Fields of the APIClient.
func (APIClient) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.String("client_id").NotEmpty().Unique().Immutable(),
		field.String("secret_hash").NotEmpty().Sensitive(),
		field.String("previous_secret_hash").Optional().Nillable().Sensitive(),
		field.Time("previous_secret_expires_at").Optional().Nillable(),
		// The scopes the client may request: permission names
		// (internal/viewer/permission.go).
		field.JSON("scopes", []viewer.Permission{}),
		field.Bool("disabled").Default(false),
		// Updated at most once a minute (internal/oauth), not per request.
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Mixin of the APIClient.
func (APIClient) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the APIClient: its GraphQL type is hand-written
// (graph/apiclient.graphql).
func (APIClient) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// RevokedToken is the jti of an API client's access token revoked before
// its expiry (RFC 7009), kept until expires_at so every replica refuses
// it.
type RevokedToken struct {
	ent.Schema
}

// Fields of the RevokedToken.
func (RevokedToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("jti").NotEmpty().Unique().Immutable(),
		field.String("client_id").NotEmpty().Immutable(),
		field.Time("expires_at").Immutable(),
	}
}

// Indexes of the RevokedToken.
func (RevokedToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

// Mixin of the RevokedToken.
func (RevokedToken) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}}
}

// Annotations of the RevokedToken.
func (RevokedToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
