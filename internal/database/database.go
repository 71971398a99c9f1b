// Package database opens the store's database (embedded SQLite or
// PostgreSQL) from a URL, applies the versioned migrations, and builds the
// ent client on top.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq" // registers "postgres"
	"modernc.org/sqlite"

	"github.com/savannah-commerce/savannah/ent"
	_ "github.com/savannah-commerce/savannah/ent/runtime" // schema defaults and validators
)

func init() {
	// ent and atlas open SQLite under the name "sqlite3"; the pure-Go
	// modernc driver registers itself as "sqlite". Register the alias once,
	// unless something else already did.
	for _, d := range sql.Drivers() {
		if d == "sqlite3" {
			return
		}
	}
	sql.Register("sqlite3", &sqlite.Driver{})
}

// ErrUnsupportedURL is returned for a DATABASE_URL that is neither
// postgres:// nor sqlite://.
var ErrUnsupportedURL = errors.New("unsupported database URL: want postgres://… or sqlite://path")

// DB is an open database: the pool, its dialect and the DSN it came from.
type DB struct {
	SQL     *sql.DB
	Dialect string // dialect.Postgres or dialect.SQLite
	dsn     string
}

// Open parses a DATABASE_URL and opens the pool. sqlite://path opens (and
// creates) a file with foreign keys on, WAL and a busy timeout, on a single
// connection as SQLite wants; postgres://… is passed to lib/pq as it is.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	drv, dia, dsn, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	if dia == dialect.SQLite {
		if dir := filepath.Dir(sqlitePath(dsn)); dir != "." && dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
	}
	pool, err := sql.Open(drv, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if dia == dialect.SQLite {
		pool.SetMaxOpenConns(1)
	} else {
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		pool.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pingCtx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{SQL: pool, Dialect: dia, dsn: dsn}, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.SQL.Close() }

// Driver returns the ent driver over the pool. Transactions it begins in
// InTx or TxOpener expose their *sql.Tx through SQLTx.
func (db *DB) Driver() dialect.Driver { return txDriver{entsql.OpenDB(db.Dialect, db.SQL)} }

// Client returns an ent client over the pool, with the given options.
func (db *DB) Client(opts ...ent.Option) *ent.Client {
	return ent.NewClient(append([]ent.Option{ent.Driver(db.Driver())}, opts...)...)
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

func parse(raw string) (driverName, dia, dsn string, err error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return "postgres", dialect.Postgres, raw, nil
	case strings.HasPrefix(raw, "sqlite://"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", "", fmt.Errorf("%w: %v", ErrUnsupportedURL, err)
		}
		path := u.Host + u.Path
		if path == "" {
			return "", "", "", fmt.Errorf("%w: sqlite:// needs a file path", ErrUnsupportedURL)
		}
		q := u.Query()
		for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)"} {
			q.Add("_pragma", p)
		}
		return "sqlite", dialect.SQLite, "file:" + path + "?" + q.Encode(), nil
	default:
		return "", "", "", ErrUnsupportedURL
	}
}

func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Optimize refreshes the query planner's statistics where SQLite finds
// them stale (`PRAGMA optimize=0x10002`: every table never analysed, or
// whose size changed tenfold since). Without them SQLite guesses that
// `status = 'ACTIVE'` is selective, sorts every active product to list the
// first 20, and reads whole subtrees the same way; with them it walks the
// primary key and stops at the page. PostgreSQL's autovacuum keeps its own
// statistics: nothing to do there.
func (db *DB) Optimize(ctx context.Context) error {
	if db.Dialect != dialect.SQLite {
		return nil
	}
	if _, err := db.SQL.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		return fmt.Errorf("optimize database: %w", err)
	}
	return nil
}

// Analyze refreshes the planner's statistics of every table, on either
// database (the same statement), after a bulk load has changed them
// beyond what Optimize or autovacuum would notice soon enough.
func Analyze(ctx context.Context, db interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}) error {
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze database: %w", err)
	}
	return nil
}
