package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// resolverTracing opens a span around each field whose resolver runs code
// (fc.IsResolver), named Type.field, with the operation's name. Fields
// read off an object already loaded are not traced: they cost nothing and
// would bury the spans that matter.
type resolverTracing struct {
	tracer trace.Tracer
}

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = resolverTracing{}

// ExtensionName implements graphql.HandlerExtension.
func (resolverTracing) ExtensionName() string { return "ResolverTracing" }

// Validate implements graphql.HandlerExtension.
func (resolverTracing) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField implements graphql.FieldInterceptor.
func (t resolverTracing) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	attrs := []attribute.KeyValue{attribute.String("graphql.field.path", fc.Path().String())}
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx); op.OperationName != "" {
			attrs = append(attrs, attribute.String("graphql.operation.name", op.OperationName))
		}
	}
	ctx, span := t.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(attrs...))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "resolver failed")
	}
	return res, err
}
