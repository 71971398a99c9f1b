package telemetry

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// SQLHook is the database.Hook that gives every SQL statement a span
// with its text (never its arguments); nil when tp is nil. dialectName is
// the database's (dialect.SQLite or dialect.Postgres).
func SQLHook(tp trace.TracerProvider, dialectName string) func(ctx context.Context, query string, run func(context.Context) error) error {
	if tp == nil {
		return nil
	}
	system := "postgresql"
	if dialectName == dialect.SQLite {
		system = "sqlite"
	}
	tracer := tp.Tracer(ScopeName)
	return func(ctx context.Context, query string, run func(context.Context) error) error {
		op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
		ctx, span := tracer.Start(ctx, "sql "+strings.ToUpper(op), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system.name", system), attribute.String("db.query.text", query)))
		err := run(ctx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			span.RecordError(err)
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
		return err
	}
}
