// Package dbtest gives tests a fresh, migrated database: always an SQLite
// file in a temporary directory, and also a new PostgreSQL database when
// TEST_DATABASE_URL is set. With SAVANNAH_REQUIRE_SERVICES=1 (CI's
// integration run) a missing TEST_DATABASE_URL fails the test instead of
// leaving PostgreSQL untested.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
)

// Backend names a database a test runs on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	URL  string // a DATABASE_URL for a fresh, empty database
}

var seq atomic.Int64

// Backends lists the databases this test run covers, creating an empty
// database on each (dropped at the end of the test).
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite", URL: "sqlite://" + filepath.Join(t.TempDir(), "test.db")}}
	if pg := PostgresURL(t); pg != "" {
		out = append(out, Backend{Name: "postgres", URL: createPostgres(t, pg)})
	}
	return out
}

// PostgresURL returns TEST_DATABASE_URL, failing the test when services
// are required but the variable is missing.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" && os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1" {
		t.Fatal("SAVANNAH_REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set")
	}
	return u
}

// Each runs fn as a subtest on every backend with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, Open(t, b.URL))
		})
	}
}

// Open opens and migrates the database at rawURL, closing it when the test
// ends.
func Open(t testing.TB, rawURL string) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := database.Open(ctx, rawURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Migrate(ctx))
	return db
}

// createPostgres makes a new database beside the one in base and returns
// its URL; it is dropped (forcibly, as pools may linger) when the test ends.
func createPostgres(t testing.TB, base string) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano(), seq.Add(1))
	admin, err := sql.Open("postgres", base)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err, "create PostgreSQL test database")
	t.Cleanup(func() {
		a, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// Short reports whether a backend name is SQLite, for tests whose
// expectations differ by dialect.
func Short(name string) bool { return strings.HasPrefix(name, "sqlite") }
