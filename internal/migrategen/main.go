// Command migrategen writes a new versioned migration for each dialect when
// the ent schema has changed, using atlas as a library (no atlas CLI): it
// replays the existing migrations on an empty dev database, diffs the result
// against the ent schema and writes the difference in golang-migrate format.
//
//	go run ./internal/migrategen -name add_x                       # SQLite only
//	go run ./internal/migrategen -name add_x -pg postgres://…/dev  # both
//
// With -check it writes nothing into migrations/ and exits 1 when the schema
// has changes that no migration covers (the CI drift check). With -rehash it
// only rewrites atlas.sum, after migration files were removed or merged.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/savannah-commerce/savannah/ent/migrate"
	_ "github.com/savannah-commerce/savannah/internal/database" // sqlite3 driver alias
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "migrategen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrategen", flag.ContinueOnError)
	name := fs.String("name", "change", "name of the new migration")
	pgURL := fs.String("pg", os.Getenv("DEV_DATABASE_URL"), "an empty PostgreSQL database for atlas to replay migrations on")
	dir := fs.String("dir", "migrations", "the migrations folder")
	check := fs.Bool("check", false, "write nothing; fail if the schema has changes no migration covers")
	rehash := fs.Bool("rehash", false, "only rewrite atlas.sum in each dialect's folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rehash {
		for _, folder := range []string{"sqlite", "postgres"} {
			if err := writeSum(filepath.Join(*dir, folder)); err != nil {
				return err
			}
		}
		return nil
	}
	targets := []struct{ dialect, folder, devURL string }{
		{dialect.SQLite, "sqlite", "sqlite://migrategen?mode=memory&_pragma=foreign_keys(1)"},
	}
	if *pgURL != "" {
		targets = append(targets, struct{ dialect, folder, devURL string }{dialect.Postgres, "postgres", *pgURL})
	} else {
		fmt.Fprintln(os.Stderr, "migrategen: no -pg (or DEV_DATABASE_URL): PostgreSQL migrations not checked")
	}
	drift := false
	for _, t := range targets {
		out := filepath.Join(*dir, t.folder)
		if *check {
			tmp, err := os.MkdirTemp("", "migrategen")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			if err := copyDir(out, tmp); err != nil {
				return err
			}
			out = tmp
		}
		before, err := os.ReadDir(out)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := diff(ctx, t.dialect, t.devURL, out, *name); err != nil {
			return fmt.Errorf("%s: %w", t.folder, err)
		}
		after, err := os.ReadDir(out)
		if err != nil {
			return err
		}
		if len(after) != len(before) {
			drift = true
			if t.dialect == dialect.SQLite && !*check {
				if err := sqliteDown(ctx, out); err != nil {
					return fmt.Errorf("%s: down migration: %w", t.folder, err)
				}
				if err := writeSum(out); err != nil {
					return err
				}
			}
			fmt.Printf("%s: new migration written (%d files)\n", t.folder, len(after)-len(before))
		} else {
			fmt.Printf("%s: schema and migrations agree\n", t.folder)
		}
	}
	if *check && drift {
		return fmt.Errorf("the ent schema changed without a new migration: run go run ./internal/migrategen -name <what changed> -pg <empty dev database>")
	}
	return nil
}

func diff(ctx context.Context, dia, devURL, out, name string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	d, err := sqltool.NewGolangMigrateDir(out)
	if err != nil {
		return err
	}
	return migrate.NamedDiff(ctx, devURL, name,
		schema.WithDir(d),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dia),
		schema.WithFormatter(sqltool.GolangMigrateFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
}

// writeSum rewrites a folder's atlas.sum after its files changed.
func writeSum(folder string) error {
	d, err := sqltool.NewGolangMigrateDir(folder)
	if err != nil {
		return err
	}
	sum, err := d.Checksum()
	if err != nil {
		return err
	}
	return atlasmigrate.WriteSumFile(d, sum)
}

func copyDir(from, to string) error {
	entries, err := os.ReadDir(from)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
