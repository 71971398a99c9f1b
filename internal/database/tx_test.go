package database_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestInTxExposesSQLTx: inside InTx, ent writes and raw writes through
// SQLTx (as River's InsertTx makes) share one transaction: both commit, or
// both roll back.
func TestInTxExposesSQLTx(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		client := db.Client()
		ctx := viewer.System(context.Background(), "test: set up")
		_, err := database.SQLTx(ctx)
		require.ErrorIs(t, err, database.ErrNoTx)

		count := func() int {
			var n int
			require.NoError(t, db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM categories`).Scan(&n))
			return n
		}
		write := func(ctx context.Context, slug string) error {
			if _, err := ent.FromContext(ctx).Category.Create().SetName(slug).SetSlug(slug).Save(ctx); err != nil {
				return err
			}
			tx, err := database.SQLTx(ctx)
			if err != nil {
				return err
			}
			q := `UPDATE categories SET description = 'raw' WHERE slug = $1`
			if db.Dialect == "sqlite3" {
				q = `UPDATE categories SET description = 'raw' WHERE slug = ?`
			}
			_, err = tx.ExecContext(ctx, q, slug)
			return err
		}

		boom := errors.New("boom")
		err = database.InTx(ctx, client, func(ctx context.Context) error {
			require.NoError(t, write(ctx, "rolled-back"))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Equal(t, 0, count(), "ent and raw writes rolled back together")

		require.NoError(t, database.InTx(ctx, client, func(ctx context.Context) error {
			return database.InTx(ctx, client, func(ctx context.Context) error { // nested: same transaction
				return write(ctx, "kept")
			})
		}))
		c := client.Category.Query().OnlyX(ctx)
		require.Equal(t, "raw", c.Description, "the raw write ran in the committed transaction")
	})
}

// TestInstrumentRawSQL: raw statements (savepoints, as catalogue writes
// use) work through the instrumented driver in and out of transactions, and are
// counted.
func TestInstrumentRawSQL(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var n atomic.Int64
		client := ent.NewClient(ent.Driver(database.Instrument(db.Driver(), database.Observe(func(string) { n.Add(1) }))))
		ctx := viewer.System(context.Background(), "test: set up")
		_, err := client.ExecContext(ctx, "SELECT 1")
		require.NoError(t, err)
		require.NoError(t, database.InTx(ctx, client, func(ctx context.Context) error {
			c := ent.FromContext(ctx)
			if _, err := c.ExecContext(ctx, "SAVEPOINT s1"); err != nil {
				return err
			}
			_, err := c.ExecContext(ctx, "RELEASE SAVEPOINT s1")
			return err
		}))
		require.Equal(t, int64(3), n.Load())
	})
}
