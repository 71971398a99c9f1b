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

// Driver wraps an ent driver with a span per SQL statement (the statement
// text, never its arguments). A nil tp returns drv unchanged.
func Driver(drv dialect.Driver, tp trace.TracerProvider) dialect.Driver {
	if tp == nil {
		return drv
	}
	system := "postgresql"
	if drv.Dialect() == dialect.SQLite {
		system = "sqlite"
	}
	return &tracedDriver{Driver: drv, t: sqlTracer{tracer: tp.Tracer(ScopeName), system: system}}
}

type sqlTracer struct {
	tracer trace.Tracer
	system string
}

// start opens a statement's span; end closes it with the error, if any.
func (s sqlTracer) start(ctx context.Context, query string) (context.Context, trace.Span) {
	op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	return s.tracer.Start(ctx, "sql "+strings.ToUpper(op), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", s.system), attribute.String("db.query.text", query)))
}

// run runs one statement, f, inside its span.
func (s sqlTracer) run(ctx context.Context, query string, f func(context.Context) error) error {
	ctx, span := s.start(ctx, query)
	err := f(ctx)
	end(span, err)
	return err
}

func end(span trace.Span, err error) {
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "statement failed")
	}
	span.End()
}

type tracedDriver struct {
	dialect.Driver
	t sqlTracer
}

func (d *tracedDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.t.run(ctx, query, func(ctx context.Context) error { return d.Driver.Exec(ctx, query, args, v) })
}

func (d *tracedDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.t.run(ctx, query, func(ctx context.Context) error { return d.Driver.Query(ctx, query, args, v) })
}

// ExecContext and QueryContext serve ent's raw SQL (savepoints, search).
func (d *tracedDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(ctx, d.Driver, d.t, query, args)
}

func (d *tracedDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(ctx, d.Driver, d.t, query, args)
}

// Tx begins a transaction whose statements are traced too. It goes
// through the wrapped driver's Tx, so database.SQLTx keeps working.
func (d *tracedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tracedTx{Tx: tx, t: d.t}, nil
}

type tracedTx struct {
	dialect.Tx
	t sqlTracer
}

func (t *tracedTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.t.run(ctx, query, func(ctx context.Context) error { return t.Tx.Exec(ctx, query, args, v) })
}

func (t *tracedTx) Query(ctx context.Context, query string, args, v any) error {
	return t.t.run(ctx, query, func(ctx context.Context) error { return t.Tx.Query(ctx, query, args, v) })
}

func (t *tracedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(ctx, t.Tx, t.t, query, args)
}

func (t *tracedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(ctx, t.Tx, t.t, query, args)
}

var errNoRawSQL = errors.New("wrapped driver does not support ExecContext or QueryContext")

func execContext(ctx context.Context, under any, t sqlTracer, query string, args []any) (sql.Result, error) {
	ex, ok := under.(interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errNoRawSQL
	}
	var res sql.Result
	err := t.run(ctx, query, func(ctx context.Context) (err error) {
		res, err = ex.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func queryContext(ctx context.Context, under any, t sqlTracer, query string, args []any) (*sql.Rows, error) {
	q, ok := under.(interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errNoRawSQL
	}
	var rows *sql.Rows
	err := t.run(ctx, query, func(ctx context.Context) (err error) {
		rows, err = q.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}
