package graph

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
)

// transactioner is entgql's Transactioner (one transaction per mutation)
// made safe for requests refused before an operation exists, such as an
// undecodable JSON body: entgql reads the operation unconditionally and
// panics, which turned a client's mistake into INTERNAL_SERVER_ERROR.
type transactioner struct {
	entgql.Transactioner
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	return t.Transactioner.InterceptResponse(ctx, next)
}
