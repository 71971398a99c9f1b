package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"ariga.io/atlas/sql/sqlite"
)

// sqliteDown rewrites the down file of the newest SQLite migration in
// folder as the plan that takes the schema after it back to the schema
// before it. atlas writes a down file by reversing each statement of the
// up file one by one, which is right for ALTER statements but wrong for
// the table copies SQLite needs for most changes: the reverse of "create
// new_t, copy rows, drop t, rename new_t to t" drops new_t, which no
// longer exists. Here both schemas are built for real, by replaying the
// up files on two in-memory databases, and atlas plans the way back
// (another table copy, which keeps the rows).
func sqliteDown(ctx context.Context, folder string) error {
	ups, err := filepath.Glob(filepath.Join(folder, "*.up.sql"))
	if err != nil {
		return err
	}
	sort.Strings(ups)
	if len(ups) < 2 {
		return nil // the first migration's down drops everything: atlas's reverse is right
	}
	newest := ups[len(ups)-1]
	before, err := replay(ctx, ups[:len(ups)-1])
	if err != nil {
		return err
	}
	defer before.Close()
	after, err := replay(ctx, ups)
	if err != nil {
		return err
	}
	defer after.Close()

	from, err := sqlite.Open(after)
	if err != nil {
		return err
	}
	to, err := sqlite.Open(before)
	if err != nil {
		return err
	}
	current, err := from.InspectRealm(ctx, nil)
	if err != nil {
		return err
	}
	previous, err := to.InspectRealm(ctx, nil)
	if err != nil {
		return err
	}
	changes, err := from.RealmDiff(current, previous)
	if err != nil {
		return err
	}
	plan, err := from.PlanChanges(ctx, "down", changes)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, c := range plan.Changes {
		if c.Comment != "" {
			fmt.Fprintf(&b, "-- %s\n", c.Comment)
		}
		fmt.Fprintf(&b, "%s;\n", strings.TrimSuffix(c.Cmd, ";"))
		// atlas's up file seeds a copied table's AUTOINCREMENT sequence
		// (ent's per-type ID range); its plan back does not, and dropping
		// the old table drops its sequence, so an empty table would start
		// again at 1, inside another type's range. Carry it over.
		if m := newTable.FindStringSubmatch(c.Cmd); m != nil && strings.Contains(c.Cmd, "AUTOINCREMENT") {
			fmt.Fprintf(&b, "-- carry the id sequence of %q over to %q\n", m[2], m[1])
			fmt.Fprintf(&b, "INSERT INTO sqlite_sequence (name, seq) SELECT '%s', seq FROM sqlite_sequence WHERE name = '%s';\n", m[1], m[2])
		}
	}
	down := strings.TrimSuffix(newest, ".up.sql") + ".down.sql"
	return os.WriteFile(down, []byte(b.String()), 0o644)
}

// newTable matches the statement that creates the copy of a table, with
// the copy's name and the table's.
var newTable = regexp.MustCompile("^CREATE TABLE `(new_([A-Za-z0-9_]+))`")

// replay applies the up files, in order, to a new in-memory database.
func replay(ctx context.Context, files []string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", "file:replay?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection: the in-memory database is its own
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			db.Close()
			return nil, err
		}
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			db.Close()
			return nil, fmt.Errorf("replay %s: %w", filepath.Base(f), err)
		}
	}
	return db, nil
}
