package database

import (
	"context"

	"entgo.io/ent/dialect"
)

// MeteredDriver wraps an ent driver and calls inc for every SQL statement,
// inside transactions too, so that production metrics show statements per
// request (and an N+1 regression shows up on a dashboard). Unlike
// CountingDriver it keeps nothing.
type MeteredDriver struct {
	dialect.Driver
	inc func()
}

// NewMeteredDriver wraps drv; inc must be safe for concurrent use (a
// Prometheus counter's Inc is).
func NewMeteredDriver(drv dialect.Driver, inc func()) *MeteredDriver {
	return &MeteredDriver{Driver: drv, inc: inc}
}

// Exec counts and runs a statement.
func (d *MeteredDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.inc()
	return d.Driver.Exec(ctx, query, args, v)
}

// Query counts and runs a query.
func (d *MeteredDriver) Query(ctx context.Context, query string, args, v any) error {
	d.inc()
	return d.Driver.Query(ctx, query, args, v)
}

// Tx starts a transaction whose statements are counted too.
func (d *MeteredDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &meteredTx{Tx: tx, inc: d.inc}, nil
}

type meteredTx struct {
	dialect.Tx
	inc func()
}

func (t *meteredTx) Exec(ctx context.Context, query string, args, v any) error {
	t.inc()
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *meteredTx) Query(ctx context.Context, query string, args, v any) error {
	t.inc()
	return t.Tx.Query(ctx, query, args, v)
}
