package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
)

// ErrNoTx is returned by SQLTx outside a transaction opened by InTx or
// TxOpener.
var ErrNoTx = errors.New("not in a database transaction")

// River's InsertTx needs the *sql.Tx under an ent transaction, which ent
// does not expose. Every transaction the store opens goes through InTx (or
// TxOpener, for GraphQL mutations): it puts a holder in the context, the
// driver below fills it when it begins the transaction, and SQLTx reads it
// back — in an ent hook, say, to enqueue a job in the same transaction.

type txHolder struct{ tx *sql.Tx }

type txHolderKey struct{}

// txDriver is the pool's ent driver; it records the *sql.Tx of each
// transaction it begins in the holder its context carries.
type txDriver struct{ *entsql.Driver }

func (d txDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d txDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := d.DB().BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if h, ok := ctx.Value(txHolderKey{}).(*txHolder); ok {
		h.tx = tx
	}
	return &entsql.Tx{Conn: entsql.Conn{ExecQuerier: tx}, Tx: tx}, nil
}

// SQLTx returns the *sql.Tx of the transaction ctx runs in.
func SQLTx(ctx context.Context) (*sql.Tx, error) {
	if h, ok := ctx.Value(txHolderKey{}).(*txHolder); ok && h.tx != nil && ent.TxFromContext(ctx) != nil {
		return h.tx, nil
	}
	return nil, ErrNoTx
}

// InTx runs fn in a transaction of client, with the transaction's ent
// client in ctx (ent.FromContext) and its *sql.Tx reachable with SQLTx.
// It commits when fn returns nil and rolls back otherwise. Inside a
// transaction already, fn simply runs in it.
func InTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context) error) error {
	if ent.TxFromContext(ctx) != nil {
		return fn(ctx)
	}
	ctx = context.WithValue(ctx, txHolderKey{}, &txHolder{})
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	ctx = ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client())
	if err := fn(ctx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// TxOpener opens the transaction entgql's Transactioner runs each GraphQL
// mutation in, the same way InTx does, so hooks can reach its *sql.Tx.
type TxOpener struct{ Client *ent.Client }

// OpenTx implements entgql.TxOpener.
func (o TxOpener) OpenTx(ctx context.Context) (context.Context, driver.Tx, error) {
	return o.Client.OpenTx(context.WithValue(ctx, txHolderKey{}, &txHolder{}))
}

// InUnit runs fn as one unit of work. Outside a transaction it is InTx.
// Inside one it runs fn under a savepoint named name, so a failure — even a
// failed statement, which poisons a PostgreSQL transaction — undoes fn's
// writes alone and leaves the caller's transaction usable: a service can
// refuse a request with userErrors and the mutation still commits cleanly.
func InUnit(ctx context.Context, client *ent.Client, name string, fn func(ctx context.Context) error) error {
	c := ent.FromContext(ctx)
	if c == nil || ent.TxFromContext(ctx) == nil {
		return InTx(ctx, client, fn)
	}
	if _, err := c.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(ctx); err != nil {
		if _, rerr := c.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		if _, rerr := c.ExecContext(ctx, "RELEASE SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := c.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
