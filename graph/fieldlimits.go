package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/savannah-commerce/savannah/internal/ratelimit"
)

// fieldLimits meters chosen mutation fields on limiters of their own,
// stricter than the cost budget: sign-in and registration are cheap to
// ask for and dear to answer (a password hash each), and guessing
// passwords or creating accounts in bulk is exactly what a cost budget
// sized for shoppers lets through.
//
// Each occurrence of a limited field in a mutation takes one token from
// its limiter, keyed like the cost budget (the client address for
// anonymous requests), before any resolver runs.
type fieldLimits struct {
	limits map[string]*ratelimit.Limiter // by root mutation field name
	client ClientFunc
	log    *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = fieldLimits{}

// ExtensionName implements graphql.HandlerExtension.
func (fieldLimits) ExtensionName() string { return "FieldLimits" }

// Validate implements graphql.HandlerExtension.
func (fieldLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext takes a token for every limited root field and
// refuses the whole operation when a limiter is empty.
func (f fieldLimits) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil || opCtx.Operation.Operation != ast.Mutation {
		return nil
	}
	counts := map[string]int{}
	for _, rf := range rootFields(opCtx.Operation) {
		if _, ok := f.limits[rf.Name]; ok {
			counts[rf.Name]++
		}
	}
	if len(counts) == 0 {
		return nil
	}
	key, exempt := f.client(ctx)
	if exempt {
		return nil
	}
	for name, n := range counts {
		res, err := f.limits[name].Take(ctx, key, float64(n))
		if err != nil {
			// As with the cost budget: a failed bucket store must not
			// lock every shopper out. Sign-in keeps its own per-account
			// failure throttle in any case.
			f.log.WarnContext(ctx, "rate limit unavailable", slog.String("field", name), slog.Any("err", err))
			continue
		}
		if !res.Allowed {
			if note, ok := ctx.Value(throttleKey{}).(*throttleNote); ok {
				note.retryAfter = res.RetryAfter
			}
			e := gqlerror.Errorf("rate limited: too many %s requests from this client; retry in %d s", name, retrySeconds(res.RetryAfter))
			e.Extensions = map[string]any{"code": CodeRateLimited, "retryAfterSeconds": retrySeconds(res.RetryAfter)}
			return e
		}
	}
	return nil
}
