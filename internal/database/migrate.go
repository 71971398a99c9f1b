package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/savannah-commerce/savannah/migrations"
)

// ErrDirty is returned when an earlier migration failed half-way and the
// database needs an operator's attention.
var ErrDirty = errors.New("database is in a dirty migration state")

// Migrate applies every pending migration embedded in the binary, then
// makes sure the full-text search index exists (see search.go): atlas
// cannot express it, so it is not among the generated migrations.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.migrateUp(ctx); err != nil {
		return err
	}
	return db.EnsureSearchIndex(ctx)
}

// migrateUp applies the versioned migrations. It opens its own connection,
// because golang-migrate closes what it is given, and closes it before
// returning, so SQLite's single pool connection is free again.
func (db *DB) migrateUp(ctx context.Context) error {
	m, err := db.migrator()
	if err != nil {
		return err
	}
	defer func() { _, _ = m.Close() }()
	done := make(chan error, 1)
	go func() { done <- m.Up() }()
	select {
	case <-ctx.Done():
		m.GracefulStop <- true
		if err := <-done; err != nil && !errors.Is(err, migrate.ErrNoChange) {
			return fmt.Errorf("apply migrations: %w (%w)", ctx.Err(), err)
		}
		return ctx.Err()
	case err := <-done:
		if err != nil && !errors.Is(err, migrate.ErrNoChange) {
			return fmt.Errorf("apply migrations: %w", err)
		}
		return nil
	}
}

// MigrationVersion reports the applied migration version and the version
// the binary carries; they differ when migrations are pending.
func (db *DB) MigrationVersion() (applied, latest uint, err error) {
	m, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	defer func() { _, _ = m.Close() }()
	applied, dirty, err := m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return 0, 0, fmt.Errorf("read migration version: %w", err)
	}
	if dirty {
		return applied, 0, ErrDirty
	}
	latest, err = LatestMigration(db.Dialect)
	return applied, latest, err
}

// LatestMigration is the newest migration version embedded for a dialect.
func LatestMigration(dia string) (uint, error) {
	src, err := iofs.New(migrations.FS, folder(dia))
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	defer func() { _ = src.Close() }()
	v, err := src.First()
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	for {
		next, err := src.Next(v)
		if err != nil {
			return v, nil //nolint:nilerr // no next version: v is the latest
		}
		v = next
	}
}

func (db *DB) migrator() (*migrate.Migrate, error) {
	src, err := iofs.New(migrations.FS, folder(db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	drvName := "postgres"
	if db.Dialect == dialect.SQLite {
		drvName = "sqlite"
	}
	conn, err := sql.Open(drvName, db.dsn)
	if err != nil {
		return nil, fmt.Errorf("open migration connection: %w", err)
	}
	var target database.Driver
	if db.Dialect == dialect.SQLite {
		target, err = migratesqlite.WithInstance(conn, &migratesqlite.Config{})
	} else {
		target, err = postgres.WithInstance(conn, &postgres.Config{})
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, drvName, target)
	if err != nil {
		_ = target.Close()
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return m, nil
}

func folder(dia string) string {
	if dia == dialect.SQLite {
		return "sqlite"
	}
	return "postgres"
}

// MigrationCheck is a readiness check: the database's schema is at the
// newest migration this binary carries, and no migration failed half-way.
//
// A database behind the binary is not ready: the code would meet a schema
// it was not written for (AUTO_MIGRATE=false and `server migrate` not run
// yet). A database ahead of the binary is ready: during a rollout the
// migrate step runs first, and the old replicas must keep serving on the
// new schema (migrations are written to be backward compatible) until
// they are replaced; failing them all would take the store down.
type MigrationCheck struct{ DB *DB }

// ErrMigrationsPending is returned by MigrationCheck when the database is
// behind the binary.
var ErrMigrationsPending = errors.New("database migrations are pending")

// Ping implements the readiness check. It reads golang-migrate's table
// through the pool (one short query, bounded by ctx) rather than opening a
// migrator's connection each time.
func (c MigrationCheck) Ping(ctx context.Context) error {
	latest, err := LatestMigration(c.DB.Dialect)
	if err != nil {
		return err
	}
	var (
		applied int64
		dirty   bool
	)
	err = c.DB.SQL.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&applied, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: none applied, the binary carries %d", ErrMigrationsPending, latest)
	case err != nil:
		return fmt.Errorf("read migration version: %w", err)
	case dirty:
		return fmt.Errorf("%w (version %d)", ErrDirty, applied)
	case applied < int64(latest):
		return fmt.Errorf("%w: applied %d, the binary carries %d", ErrMigrationsPending, applied, latest)
	}
	return nil
}
