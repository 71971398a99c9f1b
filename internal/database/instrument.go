package database

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
)

// Hook runs around one SQL statement: it may observe the query (never its
// arguments) and must call run once, with the context the statement runs
// in, returning its error. Tracing (telemetry.SQLHook), the statement
// metric (Observe) and the tests' statement budgets (CountingDriver) are
// hooks.
type Hook func(ctx context.Context, query string, run func(context.Context) error) error

// Observe is a Hook that reports each statement's text to observe before
// it runs; observe must be safe for concurrent use.
func Observe(observe func(query string)) Hook {
	return func(ctx context.Context, query string, run func(context.Context) error) error {
		observe(query)
		return run(ctx)
	}
}

// Instrument wraps an ent driver so that every statement it runs, in
// transactions and raw SQL (savepoints, advisory locks, search) too, goes
// through hooks, the first outermost; nil hooks are skipped. Transactions
// begin through the wrapped driver's Tx, so SQLTx keeps working.
func Instrument(drv dialect.Driver, hooks ...Hook) dialect.Driver {
	var hs []Hook
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return drv
	}
	return instrument(drv, hs)
}

// instrument is Instrument's driver, with at least one hook.
func instrument(drv dialect.Driver, hs []Hook) *instrumented {
	around := func(ctx context.Context, query string, run func(context.Context) error) error {
		for i := len(hs) - 1; i >= 0; i-- {
			h, next := hs[i], run
			run = func(ctx context.Context) error { return h(ctx, query, next) }
		}
		return run(ctx)
	}
	return &instrumented{Driver: drv, around: around}
}

type instrumented struct {
	dialect.Driver
	around Hook
}

func (d *instrumented) Exec(ctx context.Context, query string, args, v any) error {
	return d.around(ctx, query, func(ctx context.Context) error { return d.Driver.Exec(ctx, query, args, v) })
}

func (d *instrumented) Query(ctx context.Context, query string, args, v any) error {
	return d.around(ctx, query, func(ctx context.Context) error { return d.Driver.Query(ctx, query, args, v) })
}

// ExecContext and QueryContext serve ent's generated Client.ExecContext
// and Client.QueryContext (raw SQL).
func (d *instrumented) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(ctx, d.Driver, d.around, query, args)
}

func (d *instrumented) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(ctx, d.Driver, d.around, query, args)
}

// Tx begins a transaction whose statements go through the hooks too.
func (d *instrumented) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &instrumentedTx{Tx: tx, around: d.around}, nil
}

type instrumentedTx struct {
	dialect.Tx
	around Hook
}

func (t *instrumentedTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.around(ctx, query, func(ctx context.Context) error { return t.Tx.Exec(ctx, query, args, v) })
}

func (t *instrumentedTx) Query(ctx context.Context, query string, args, v any) error {
	return t.around(ctx, query, func(ctx context.Context) error { return t.Tx.Query(ctx, query, args, v) })
}

func (t *instrumentedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(ctx, t.Tx, t.around, query, args)
}

func (t *instrumentedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(ctx, t.Tx, t.around, query, args)
}

var errNoRawSQL = errors.New("wrapped driver does not support ExecContext or QueryContext")

func execContext(ctx context.Context, under any, around Hook, query string, args []any) (sql.Result, error) {
	ex, ok := under.(interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errNoRawSQL
	}
	var res sql.Result
	err := around(ctx, query, func(ctx context.Context) (err error) {
		res, err = ex.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func queryContext(ctx context.Context, under any, around Hook, query string, args []any) (*sql.Rows, error) {
	q, ok := under.(interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errNoRawSQL
	}
	var rows *sql.Rows
	err := around(ctx, query, func(ctx context.Context) (err error) {
		rows, err = q.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}
