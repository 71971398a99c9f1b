package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
)

// The product search index lives outside the generated migrations: atlas
// (and so the ent schema and `migrategen -check`) can express neither a
// PostgreSQL generated tsvector column nor an SQLite FTS5 virtual table and
// its triggers. EnsureSearchIndex owns it instead, after every migration
// run: it records the definition's version in search_index_version and
// (re)builds the index whenever the recorded version differs or any of its
// objects is missing, as after a future migration that rebuilds the
// products table. Bump SearchIndexVersion whenever a definition changes.
//
// Both definitions index names and descriptions the same way, so search
// answers alike on both databases: words split at anything but letters and
// digits, lower-cased, accents kept (PostgreSQL's unaccent is an extension,
// and not immutable), no stemming and no stop words. The name weighs more
// than the description. Both are kept current in the same transaction as
// the product write, by triggers.

// SearchIndexVersion is the version of the search index definition below.
const SearchIndexVersion = 1

// searchLockKey serialises EnsureSearchIndex across servers starting at
// once on PostgreSQL: the bytes "SVNSRCH".
const searchLockKey int64 = 0x53564e53524348

// postgresSearch defines the index on PostgreSQL: a weighted tsvector
// column with a GIN index. The vector is a plain column that a trigger fills, not a
// generated column, and the trigger names no columns (no UPDATE OF):
// PostgreSQL refuses to change the type of a column that a generated column
// or a trigger's column list uses, so a later migration widening
// products.name would fail.
func postgresSearch() []string {
	return []string{
		`DROP TRIGGER IF EXISTS products_search_vector ON products`,
		`ALTER TABLE products DROP COLUMN IF EXISTS search_vector`,
		`CREATE OR REPLACE FUNCTION products_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'INSERT' OR NEW.name IS DISTINCT FROM OLD.name
			OR NEW.description IS DISTINCT FROM OLD.description THEN
			NEW.search_vector :=
				setweight(to_tsvector('simple', coalesce(NEW.name, '')), 'A') ||
				setweight(to_tsvector('simple', coalesce(NEW.description, '')), 'B');
		END IF;
		RETURN NEW;
	END
	$$`,
		`ALTER TABLE products ADD COLUMN search_vector tsvector`,
		`UPDATE products SET search_vector =
		setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
		setweight(to_tsvector('simple', coalesce(description, '')), 'B')`,
		`CREATE TRIGGER products_search_vector BEFORE INSERT OR UPDATE ON products
		FOR EACH ROW EXECUTE FUNCTION products_search_vector()`,
		`CREATE INDEX products_search_vector_idx ON products USING GIN (search_vector)`,
	}
}

// sqliteSearch defines the index on SQLite: an FTS5 table over products,
// kept current by triggers.
func sqliteSearch() []string {
	return []string{
		`DROP TRIGGER IF EXISTS product_search_insert`,
		`DROP TRIGGER IF EXISTS product_search_delete`,
		`DROP TRIGGER IF EXISTS product_search_update`,
		`DROP TABLE IF EXISTS product_search`,
		// External content: the FTS table stores only the index; name and
		// description stay in products.
		`CREATE VIRTUAL TABLE product_search USING fts5(
		name, description,
		content='products', content_rowid='id',
		tokenize='unicode61 remove_diacritics 0'
	)`,
		`CREATE TRIGGER product_search_insert AFTER INSERT ON products BEGIN
		INSERT INTO product_search(rowid, name, description) VALUES (new.id, new.name, new.description);
	END`,
		`CREATE TRIGGER product_search_delete AFTER DELETE ON products BEGIN
		INSERT INTO product_search(product_search, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
	END`,
		`CREATE TRIGGER product_search_update AFTER UPDATE OF name, description ON products BEGIN
		INSERT INTO product_search(product_search, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
		INSERT INTO product_search(rowid, name, description) VALUES (new.id, new.name, new.description);
	END`,
		`INSERT INTO product_search(product_search) VALUES ('rebuild')`,
	}
}

// EnsureSearchIndex creates or rebuilds the product search index when it is
// missing or of another version; otherwise it changes nothing.
func (db *DB) EnsureSearchIndex(ctx context.Context) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("search index: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if db.Dialect == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, searchLockKey); err != nil {
			return fmt.Errorf("search index: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS search_index_version (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("search index: version table: %w", err)
	}
	current, err := db.searchIndexCurrent(ctx, tx)
	if err != nil {
		return err
	}
	if current {
		return nil
	}
	stmts := postgresSearch()
	if db.Dialect == dialect.SQLite {
		stmts = sqliteSearch()
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_index_version`); err != nil {
		return fmt.Errorf("search index: record version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO search_index_version (version) VALUES (%d)`, SearchIndexVersion)); err != nil {
		return fmt.Errorf("search index: record version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("search index: commit: %w", err)
	}
	return nil
}

// searchIndexCurrent reports whether the recorded version is this one and
// every object of the index exists.
func (db *DB) searchIndexCurrent(ctx context.Context, tx *sql.Tx) (bool, error) {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT version FROM search_index_version`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("search index: read version: %w", err)
	}
	if v != SearchIndexVersion {
		return false, nil
	}
	var q string
	want := 0
	if db.Dialect == dialect.SQLite {
		q = `SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND name = 'product_search')
			OR (type = 'trigger' AND tbl_name = 'products' AND name IN ('product_search_insert', 'product_search_delete', 'product_search_update'))`
		want = 4
	} else {
		q = `SELECT (SELECT count(*) FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = 'products' AND column_name = 'search_vector')
			+ (SELECT count(*) FROM pg_indexes
				WHERE schemaname = current_schema() AND tablename = 'products' AND indexname = 'products_search_vector_idx')
			+ (SELECT count(*) FROM pg_trigger
				WHERE tgrelid = to_regclass('products') AND tgname = 'products_search_vector' AND NOT tgisinternal)`
		want = 3
	}
	var n int
	if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("search index: inspect: %w", err)
	}
	return n == want, nil
}
