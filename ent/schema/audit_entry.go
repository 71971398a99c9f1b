package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// AuditEntry is one mutation by staff or an API client, written in the
// transaction of the change by internal/audit: who (a customer ID or an
// API client's client_id), which root mutation field of which operation,
// the global IDs it wrote and a summary of the fields it changed, from
// which address, when. Rows are append-only: every field is immutable and
// the hook below refuses updates and deletes, for the system too.
type AuditEntry struct {
	ent.Schema
}

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		// The staff member's account, or nil for an API client.
		field.Int("actor_customer_id").Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The API client's client_id, or "" for a person.
		field.String("actor_client").Default("").MaxLen(200).Immutable(),
		field.String("actor_role").Default("").MaxLen(20).Immutable(),
		// The root mutation field (such as updateProduct) and the
		// operation's name as the client sent it ("" when anonymous).
		field.String("field").NotEmpty().MaxLen(200).Immutable(),
		field.String("operation").Default("").MaxLen(200).Immutable(),
		field.JSON("target_ids", []string{}).Immutable(),
		field.JSON("changes", []schematype.AuditChange{}).Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("client_addr").Default("").MaxLen(64).Immutable(),
	}
}

// Indexes of the AuditEntry: the log is read newest first, by actor and
// by field.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("actor_customer_id", "created_at"),
		index.Fields("actor_client", "created_at"),
		index.Fields("field", "created_at"),
	}
}

// Mixin of the AuditEntry.
func (AuditEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}}
}

// Hooks of the AuditEntry: append-only, whoever asks.
func (AuditEntry) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if !m.Op().Is(ent.OpCreate) {
					return nil, fmt.Errorf("audit entries are append-only: %s refused", m.Op())
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}

// Annotations of the AuditEntry: the type and its connection; the query
// field is auditLog (graph/audit.graphql), with its own filter.
func (AuditEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
