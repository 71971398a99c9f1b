// Package schema holds the ent schema of the store: one file per entity,
// plus the mixins and custom types they share.
package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/vektah/gqlparser/v2/ast"
)

// TimeMixin adds created and updated timestamps to an entity.
type TimeMixin struct {
	mixin.Schema
}

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(time.Now).
			Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// hiddenMoney marks a field holding integer minor units (cents): GraphQL
// shows such amounts as Money through a resolver, never as a raw integer.
var hiddenMoney = entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// staffOnlyField marks a field only the catalogue's readers may read:
// @hasPermission(CATALOG_READ) on the GraphQL field, and no where-input
// filter on it (a filter would let anyone probe the value the field hides).
var staffOnlyField = []schema.Annotation{
	entgql.Directives(hasPermission("CATALOG_READ")),
	entgql.Skip(entgql.SkipWhereInput),
}

// hasPermission gates a generated GraphQL field with
// @hasPermission(permission: …), the directive graph/directives.go
// enforces; permission is a value of the schema's Permission enum
// (CATALOG_READ...).
func hasPermission(permission string) entgql.Directive {
	return entgql.NewDirective("hasPermission", &ast.Argument{
		Name:  "permission",
		Value: &ast.Value{Raw: permission, Kind: ast.EnumValue},
	})
}
