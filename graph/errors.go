package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"entgo.io/ent/privacy"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/input"
)

// Top-level error codes of the contract, in extensions.code.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
	CodeNotImplemented  = "NOT_IMPLEMENTED"
	// CodeUnavailable: a dependency (Redis) is down; the same request may
	// succeed when retried shortly (extensions.retryable is true).
	CodeUnavailable = "SERVICE_UNAVAILABLE"
)

// codedError is an error meant for the client, with its contract code.
type codedError struct {
	code string
	msg  string
}

func (e *codedError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &codedError{code: CodeBadUserInput, msg: fmt.Sprintf(format, args...)}
}

// notImplemented answers a field whose issue has not landed yet: a clean
// top-level error, never a panic.
func notImplemented(field string) error {
	return &codedError{code: CodeNotImplemented, msg: field + " is not implemented yet"}
}

// RequestIDFunc reads the request ID that the HTTP layer put in the context.
type RequestIDFunc func(context.Context) string

// ErrorPresenter maps every error to the contract's codes. Errors the
// client can act on keep their message; anything else is logged once with
// the request ID and answered as INTERNAL_SERVER_ERROR, with no SQL, driver
// or stack text.
func ErrorPresenter(log *slog.Logger, requestID RequestIDFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// Made by gqlgen (parse, validation, variable coercion) or by us
			// with a code already.
			if gqlErr.Extensions == nil || gqlErr.Extensions["code"] == nil {
				setCode(gqlErr, CodeBadUserInput)
			}
			return gqlErr
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		var coded *codedError
		var inputErr *scalar.InputError
		var problems *input.Error
		switch {
		case errors.As(err, &coded):
			out.Message = coded.msg
			setCode(out, coded.code)
		case errors.As(err, &inputErr):
			out.Message = inputErr.Error()
			setCode(out, CodeBadUserInput)
		case errors.As(err, &problems):
			// A query's argument a service refused (a mutation reports
			// these as userErrors instead).
			out.Message = problems.Error()
			setCode(out, CodeBadUserInput)
		case argumentsFailed(ctx):
			// An argument did not decode (a malformed cursor, say): the
			// resolver never ran.
			out.Message = "invalid argument: " + out.Message
			setCode(out, CodeBadUserInput)
		case errors.Is(err, privacy.Deny):
			// A write the privacy rules refuse; the directives catch most
			// before this, and the rule's text stays in the log only.
			log.WarnContext(ctx, "privacy rule denied", slog.String("request_id", requestID(ctx)), slog.Any("err", err))
			out.Message = "not allowed"
			setCode(out, CodeForbidden)
		case ent.IsNotFound(err):
			out.Message = "not found"
			setCode(out, CodeNotFound)
		case errors.Is(err, auth.ErrUnavailable):
			out.Message = auth.ErrUnavailable.Error()
			setCode(out, CodeUnavailable)
			out.Extensions["retryable"] = true
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			out.Message = "request cancelled or timed out"
			setCode(out, CodeInternal)
		default:
			id := requestID(ctx)
			log.ErrorContext(ctx, "graphql resolver failed", slog.String("request_id", id), slog.Any("err", err))
			out.Message = "internal server error"
			setCode(out, CodeInternal)
			out.Extensions["requestId"] = id
		}
		return out
	}
}

// Recover turns a resolver panic into INTERNAL_SERVER_ERROR after logging
// it with its stack.
func Recover(log *slog.Logger, requestID RequestIDFunc) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql resolver panicked",
			slog.String("request_id", requestID(ctx)),
			slog.Any("panic", p),
			slog.String("stack", string(debug.Stack())))
		return fmt.Errorf("panic: %v", p)
	}
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// argumentsFailed reports whether the current field's arguments failed to
// decode: gqlgen then reports the error before setting the field's Args.
func argumentsFailed(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Args == nil && fc.Field.Field != nil && len(fc.Field.Arguments) > 0
}
