package database

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// CountingDriver wraps an ent driver and counts the SQL statements it runs,
// including those inside transactions. Tests use it to hold queries to a
// statement budget, so an N+1 regression fails.
type CountingDriver struct {
	dialect.Driver
	n   atomic.Int64
	mu  sync.Mutex
	log []string
}

// NewCountingDriver wraps drv.
func NewCountingDriver(drv dialect.Driver) *CountingDriver {
	return &CountingDriver{Driver: drv}
}

// Count is the number of statements run since the last Reset.
func (d *CountingDriver) Count() int64 { return d.n.Load() }

// Statements returns the statements run since the last Reset, for
// failure messages.
func (d *CountingDriver) Statements() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.log...)
}

// Reset sets the count back to zero.
func (d *CountingDriver) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n.Store(0)
	d.log = nil
}

func (d *CountingDriver) record(query string) {
	d.n.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = append(d.log, query)
}

// Exec counts and runs a statement.
func (d *CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.record(query)
	return d.Driver.Exec(ctx, query, args, v)
}

// Query counts and runs a query.
func (d *CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.record(query)
	return d.Driver.Query(ctx, query, args, v)
}

// execContexter is what ent's generated ExecContext asks of a driver: raw
// statements (savepoints, advisory locks) that ent's builders do not write.
type execContexter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// queryContexter is what ent's generated QueryContext asks of a driver:
// raw queries (full-text search) that ent's builders do not write.
type queryContexter interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

var errNoExecContext = errors.New("wrapped driver does not support ExecContext or QueryContext")

// ExecContext counts and runs a raw statement, so the wrapper supports
// what ent's generated Client.ExecContext needs.
func (d *CountingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.Driver.(execContexter)
	if !ok {
		return nil, errNoExecContext
	}
	d.record(query)
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext counts and runs a raw query, so the wrapper supports what
// ent's generated Client.QueryContext needs.
func (d *CountingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(queryContexter)
	if !ok {
		return nil, errNoExecContext
	}
	d.record(query)
	return q.QueryContext(ctx, query, args...)
}

// Tx starts a transaction whose statements are counted too.
func (d *CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, d: d}, nil
}

type countingTx struct {
	dialect.Tx
	d *CountingDriver
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.d.record(query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.d.record(query)
	return t.Tx.Query(ctx, query, args, v)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(execContexter)
	if !ok {
		return nil, errNoExecContext
	}
	t.d.record(query)
	return ex.ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(queryContexter)
	if !ok {
		return nil, errNoExecContext
	}
	t.d.record(query)
	return q.QueryContext(ctx, query, args...)
}
