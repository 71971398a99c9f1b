package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
)

// backup writes a consistent copy of the live database to --out, while the
// store keeps serving: on SQLite a database file (VACUUM INTO), on
// PostgreSQL a pg_dump custom-format archive (pg_dump must be installed;
// the image built on scratch has none, so the Kubernetes CronJob runs
// pg_dump from a PostgreSQL image instead). README.md has the restore
// runbook.
//
//	savannah backup --out /backups/savannah-2026-12-06.db
//	savannah backup --out savannah.dump --pg-dump /usr/lib/postgresql/16/bin/pg_dump
func backup(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "")
	pgDump := fs.String("pg-dump", "pg_dump", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("backup: %w\n%s", err, usage)
	}
	if *out == "" {
		return fmt.Errorf("backup: --out FILE is required\n%s", usage)
	}
	db, err := openDB(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, *out, *pgDump); err != nil {
		if errors.Is(err, database.ErrNoPGDump) {
			return fmt.Errorf("%w; or run pg_dump --format=custom yourself (see README.md, Backups)", err)
		}
		return err
	}
	info, err := os.Stat(*out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	log.Info("backup written", slog.String("file", *out), slog.Int64("bytes", info.Size()),
		slog.String("dialect", db.Dialect), slog.Duration("took", time.Since(start)))
	return nil
}
