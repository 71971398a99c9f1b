package database_test

import (
	"context"
	"strconv"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// TestPlannerStatistics: on SQLite, Optimize analyses a table that has
// rows and was never analysed (so the planner knows that a status shared
// by every product is not selective); Analyze refreshes every table on
// either database, with the same statement.
func TestPlannerStatistics(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		_, err := db.SQL.ExecContext(ctx, `CREATE TABLE planner_probe (id INTEGER PRIMARY KEY, status VARCHAR(16) NOT NULL)`)
		require.NoError(t, err)
		_, err = db.SQL.ExecContext(ctx, `CREATE INDEX planner_probe_status ON planner_probe (status)`)
		require.NoError(t, err)
		for i := 1; i <= 200; i++ {
			_, err = db.SQL.ExecContext(ctx, `INSERT INTO planner_probe (id, status) VALUES (`+strconv.Itoa(i)+`, 'ACTIVE')`)
			require.NoError(t, err)
		}
		require.NoError(t, db.Optimize(ctx))
		if db.Dialect == dialect.SQLite {
			var stat string
			require.NoError(t, db.SQL.QueryRowContext(ctx,
				`SELECT stat FROM sqlite_stat1 WHERE tbl = 'planner_probe' AND idx = 'planner_probe_status'`).Scan(&stat))
			require.Equal(t, "200 200", stat, "every row shares the status")
		}
		require.NoError(t, database.Analyze(ctx, db.SQL))
		if db.Dialect == dialect.Postgres {
			var n int
			require.NoError(t, db.SQL.QueryRowContext(ctx,
				`SELECT count(*) FROM pg_stats WHERE tablename = 'planner_probe' AND attname = 'status'`).Scan(&n))
			require.Equal(t, 1, n)
		}
	})
}
