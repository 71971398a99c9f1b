package database_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/golang-migrate/migrate/v4"
	migratedb "github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/migrations"
)

// stepDown undoes the newest migration for real, through golang-migrate
// on a connection of its own (it closes what it is given).
func stepDown(t *testing.T, rawURL string) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, rawURL)
	require.NoError(t, err)
	folder, name := "postgres", "postgres"
	var drv migratedb.Driver
	if db.Dialect == dialect.SQLite {
		folder, name = "sqlite", "sqlite"
		drv, err = migratesqlite.WithInstance(db.SQL, &migratesqlite.Config{})
	} else {
		drv, err = postgres.WithInstance(db.SQL, &postgres.Config{})
	}
	require.NoError(t, err)
	src, err := iofs.New(migrations.FS, folder)
	require.NoError(t, err)
	m, err := migrate.NewWithInstance("iofs", src, name, drv)
	require.NoError(t, err)
	require.NoError(t, m.Steps(-1))
	srcErr, dbErr := m.Close()
	require.NoError(t, srcErr)
	require.NoError(t, dbErr)
}

// TestMigrationCheck: ready at the binary's version or ahead of it; not
// ready one migration behind, with none applied, or dirty.
func TestMigrationCheck(t *testing.T) {
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := database.Open(ctx, b.URL)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			check := database.MigrationCheck{DB: db}
			require.Error(t, check.Ping(ctx), "nothing applied")

			require.NoError(t, db.Migrate(ctx))
			require.NoError(t, check.Ping(ctx))
			latest, err := database.LatestMigration(db.Dialect)
			require.NoError(t, err)

			stepDown(t, b.URL)
			err = check.Ping(ctx)
			require.ErrorIs(t, err, database.ErrMigrationsPending)
			applied, _, err := db.MigrationVersion()
			require.NoError(t, err)
			require.Less(t, applied, latest, "really one behind")

			require.NoError(t, db.Migrate(ctx))
			require.NoError(t, check.Ping(ctx))

			// What golang-migrate leaves when a migration fails half-way.
			_, err = db.SQL.ExecContext(ctx, `UPDATE schema_migrations SET dirty = true`)
			require.NoError(t, err)
			require.ErrorIs(t, check.Ping(ctx), database.ErrDirty)

			// A newer binary migrated first, during a rollout.
			_, err = db.SQL.ExecContext(ctx, `UPDATE schema_migrations SET dirty = false, version = version + 1`)
			require.NoError(t, err)
			require.NoError(t, check.Ping(ctx))
		})
	}
}
