package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/audit"
)

// auditFields tells the audit recorder (internal/audit) where each root
// mutation field starts and ends, and whether it failed: an error, or a
// payload whose userErrors are not empty (its writes were undone).
func auditFields(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" {
		return next(ctx)
	}
	end := audit.Field(ctx, fc.Field.Name)
	res, err := next(ctx)
	end(err != nil || hasUserErrors(res))
	return res, err
}

// hasUserErrors reports whether v is a payload with userErrors.
func hasUserErrors(v any) bool {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return false
	}
	f := rv.FieldByName("UserErrors")
	return f.IsValid() && f.Kind() == reflect.Slice && f.Len() > 0
}

// auditFilter translates the auditLog filter.
func auditFilter(in *model.AuditLogFilter) (audit.Filter, error) {
	var f audit.Filter
	if in == nil {
		return f, nil
	}
	if in.Actor != nil {
		id, err := scalar.DecodeID(*in.Actor)
		if err != nil {
			return f, err
		}
		f.ActorCustomerID = id
	}
	if in.Target != nil {
		if _, err := scalar.DecodeID(*in.Target); err != nil {
			return f, err
		}
		f.Target = *in.Target
	}
	f.ActorClient = deref(in.Client)
	f.Operation = deref(in.Operation)
	if in.Since != nil {
		f.Since = *in.Since
	}
	if in.Until != nil {
		f.Until = *in.Until
	}
	return f, nil
}
