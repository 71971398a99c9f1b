package graph

import (
	"context"
	"encoding/json"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// strictVariables coerces variables as the GraphQL specification says,
// where gqlparser is lenient: a number is not a String, a string is not an
// Int, Float or Boolean, an Int fits in 32 bits, and an enum value is
// spelt exactly. A variable that does not coerce is a request error
// (GRAPHQL_VALIDATION_FAILED), before anything runs or is charged.
// Custom scalars are left to their own unmarshalers.
type strictVariables struct {
	schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = strictVariables{}

// ExtensionName implements graphql.HandlerExtension.
func (strictVariables) ExtensionName() string { return "StrictVariables" }

// Validate implements graphql.HandlerExtension.
func (strictVariables) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator. It
// runs after gqlparser's own coercion, on the values the client sent.
func (s strictVariables) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	for _, def := range opCtx.Operation.VariableDefinitions {
		v, ok := opCtx.Variables[def.Variable]
		if !ok {
			continue
		}
		path := ast.Path{ast.PathName("variable"), ast.PathName(def.Variable)}
		if err := s.coerce(def.Type, v, path); err != nil {
			errcode.Set(err, errcode.ValidationFailed)
			return err
		}
	}
	return nil
}

// coerce checks v against typ.
func (s strictVariables) coerce(typ *ast.Type, v any, path ast.Path) *gqlerror.Error {
	def := s.schema.Types[typ.Name()]
	if v == nil || def == nil {
		return nil // null: gqlparser has checked non-null
	}
	if typ.Elem != nil {
		items, ok := v.([]any)
		if !ok {
			return s.coerce(typ.Elem, v, path) // one item stands for a list
		}
		for i, item := range items {
			if err := s.coerce(typ.Elem, item, append(path, ast.PathIndex(i))); err != nil {
				return err
			}
		}
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) != nil {
			return nil
		}
		return gqlerror.ErrorPathf(path, "must be one of the values of %s", def.Name)
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return gqlerror.ErrorPathf(path, "must be a %s object", def.Name)
		}
		for _, f := range def.Fields {
			if fv, ok := m[f.Name]; ok {
				if err := s.coerce(f.Type, fv, append(path, ast.PathName(f.Name))); err != nil {
					return err
				}
			}
		}
		return nil
	case ast.Scalar:
		if scalarOK(def.Name, v) {
			return nil
		}
		return gqlerror.ErrorPathf(path, "must be a %s", def.Name)
	}
	return nil
}

// scalarOK: the built-in scalars' input coercion; other scalars pass.
func scalarOK(name string, v any) bool {
	switch name {
	case "String":
		_, ok := v.(string)
		return ok
	case "Boolean":
		_, ok := v.(bool)
		return ok
	case "Int":
		n, ok := integer(v)
		return ok && n >= math.MinInt32 && n <= math.MaxInt32
	case "Float":
		switch v := v.(type) {
		case json.Number:
			_, err := v.Float64()
			return err == nil
		case float64, float32, int, int32, int64:
			return true
		}
		return false
	case "ID":
		if _, ok := v.(string); ok {
			return true
		}
		_, ok := integer(v)
		return ok
	}
	return true
}

func integer(v any) (int64, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case float64:
		return int64(v), v == math.Trunc(v) && math.Abs(v) < 1<<53
	}
	return 0, false
}
