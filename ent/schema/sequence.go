package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Sequence is a named counter, such as the one order numbers come from.
// A counter row incremented with UPDATE … RETURNING in the caller's
// transaction works the same on PostgreSQL and SQLite, and, unlike a
// PostgreSQL sequence, gives no gaps when a checkout rolls back: numbers
// are handed out in commit order under the row's lock.
type Sequence struct {
	ent.Schema
}

// Fields of the Sequence.
func (Sequence) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(64).Unique().Immutable(),
		field.Int64("value").Default(0),
	}
}

// Annotations of the Sequence: not part of the graph.
func (Sequence) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Mixin of the Sequence.
func (Sequence) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}}
}
