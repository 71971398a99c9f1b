package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// oneShot ends the response stream of every query and mutation after its
// first response. Streaming transports (the WebSocket) call an
// operation's response handler until it answers nil, and so call every
// response interceptor again: one that answers by itself (the catalogue
// cache) would never end the stream, and one with side effects (the
// mutation transaction) would run twice. Registered first, it wraps them
// all, so no interceptor, present or future, is asked twice. Subscriptions
// stream as before.
type oneShot struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = oneShot{}

// ExtensionName implements graphql.HandlerExtension.
func (oneShot) ExtensionName() string { return "OneShot" }

// Validate implements graphql.HandlerExtension.
func (oneShot) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (oneShot) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	responses := next(ctx)
	opCtx := graphql.GetOperationContext(ctx)
	if opCtx.Operation != nil && opCtx.Operation.Operation == ast.Subscription {
		return responses
	}
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		return responses(ctx)
	}
}
