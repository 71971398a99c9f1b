package database

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
)

// MeteredDriver wraps an ent driver and reports every SQL statement it
// runs, inside transactions too, to observe: production counts them for
// metrics (statements per request, so an N+1 regression shows up on a
// dashboard), tests record them to hold queries to a budget.
type MeteredDriver struct {
	dialect.Driver
	observe func(query string)
}

// NewMeteredDriver wraps drv; observe must be safe for concurrent use.
func NewMeteredDriver(drv dialect.Driver, observe func(query string)) *MeteredDriver {
	return &MeteredDriver{Driver: drv, observe: observe}
}

// Exec reports and runs a statement.
func (d *MeteredDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.observe(query)
	return d.Driver.Exec(ctx, query, args, v)
}

// Query reports and runs a query.
func (d *MeteredDriver) Query(ctx context.Context, query string, args, v any) error {
	d.observe(query)
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext reports and runs a raw statement (savepoints, advisory
// locks), as ent's generated Client.ExecContext needs of its driver.
func (d *MeteredDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(ctx, d.Driver, d.observe, query, args)
}

// QueryContext reports and runs a raw query (full-text search), as ent's
// generated Client.QueryContext needs of its driver.
func (d *MeteredDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(ctx, d.Driver, d.observe, query, args)
}

// Tx starts a transaction whose statements are reported too.
func (d *MeteredDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &meteredTx{Tx: tx, observe: d.observe}, nil
}

type meteredTx struct {
	dialect.Tx
	observe func(query string)
}

func (t *meteredTx) Exec(ctx context.Context, query string, args, v any) error {
	t.observe(query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *meteredTx) Query(ctx context.Context, query string, args, v any) error {
	t.observe(query)
	return t.Tx.Query(ctx, query, args, v)
}

func (t *meteredTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(ctx, t.Tx, t.observe, query, args)
}

func (t *meteredTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(ctx, t.Tx, t.observe, query, args)
}

var errNoRawSQL = errors.New("wrapped driver does not support ExecContext or QueryContext")

func execContext(ctx context.Context, under any, observe func(string), query string, args []any) (sql.Result, error) {
	ex, ok := under.(interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errNoRawSQL
	}
	observe(query)
	return ex.ExecContext(ctx, query, args...)
}

func queryContext(ctx context.Context, under any, observe func(string), query string, args []any) (*sql.Rows, error) {
	q, ok := under.(interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errNoRawSQL
	}
	observe(query)
	return q.QueryContext(ctx, query, args...)
}
