package graph

import (
	"context"
	"regexp"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// noIntrospection refuses, while introspection is off, an operation that
// asks for __schema or __type: a request error the client made
// (GRAPHQL_VALIDATION_FAILED), refused before anything runs, rather than
// the resolver error gqlgen would raise, which the error presenter would
// log and answer as an internal error. __typename stays allowed.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

// ExtensionName implements graphql.HandlerExtension.
func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

// Validate implements graphql.HandlerExtension.
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (noIntrospection) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if !hasRootField(opCtx.Operation, "__schema", "__type") {
		return nil
	}
	err := gqlerror.Errorf("introspection is disabled on this server")
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// suggestion is gqlparser's "Did you mean …?" tail of a validation
// message; names cannot hold a question mark.
var suggestion = regexp.MustCompile(`\s*(?i:did you mean)[^?]*\?`)

// withoutSuggestions wraps the error presenter, while introspection is
// off, so that no validation message suggests a name: gqlgen's
// SetDisableSuggestion covers unknown fields only, not unknown arguments,
// enum values, input fields or types.
func withoutSuggestions(present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := present(ctx, err)
		if out != nil {
			out.Message = suggestion.ReplaceAllString(out.Message, "")
		}
		return out
	}
}
