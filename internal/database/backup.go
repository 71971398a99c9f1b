package database

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"entgo.io/ent/dialect"
)

// ErrBackupExists is returned when the backup's path is taken: a backup
// never overwrites another.
var ErrBackupExists = errors.New("backup file already exists")

// ErrNoPGDump is returned for a PostgreSQL backup when pg_dump cannot be
// found.
var ErrNoPGDump = errors.New("pg_dump not found: install the PostgreSQL client tools (the server's major version or newer) or pass its path")

// Backup writes a consistent copy of the database to path while the store
// goes on serving and writing. The copy is written beside path under a
// temporary name and renamed into place once complete, so path holds
// either a whole backup or nothing.
//
// SQLite: VACUUM INTO, which reads one snapshot in a single read
// transaction (WAL lets writers carry on) and writes a compact database
// file, itself a ready DATABASE_URL.
//
// PostgreSQL: pg_dump in its custom format (one snapshot too), for
// pg_restore; pgDump is the program to run, "pg_dump" to look it up on
// PATH. The password travels in PGPASSWORD, not on the command line.
func (db *DB) Backup(ctx context.Context, path, pgDump string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrBackupExists, path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// VACUUM INTO and pg_dump both want to create the file themselves.
	_ = tmp.Close()
	_ = os.Remove(tmp.Name())
	defer os.Remove(tmp.Name())

	switch db.Dialect {
	case dialect.SQLite:
		if _, err := db.SQL.ExecContext(ctx, "VACUUM INTO ?", tmp.Name()); err != nil {
			return fmt.Errorf("backup: vacuum into: %w", err)
		}
	case dialect.Postgres:
		if err := dump(ctx, db.dsn, pgDump, tmp.Name()); err != nil {
			return err
		}
	default:
		return fmt.Errorf("backup: %w", ErrUnsupportedURL)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrBackupExists, path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// dump runs pg_dump on the database at dsn into file.
func dump(ctx context.Context, dsn, pgDump, file string) error {
	if pgDump == "" {
		pgDump = "pg_dump"
	}
	bin, err := exec.LookPath(pgDump)
	if err != nil {
		return fmt.Errorf("backup: %w (%v)", ErrNoPGDump, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("backup: %w", ErrUnsupportedURL)
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--no-privileges", "--file="+file, "--dbname="+u.String())
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
