package database

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// The product search index is a table of search terms,
// product_search_terms: one row per word and product, for the products a
// shopper sees, with the word's precomputed rank in that product. It is
// the same table on PostgreSQL and on SQLite, read by the same SQL but for
// how a search of several words finds the products holding them all (a
// merge join on PostgreSQL, a compound SELECT on SQLite: see
// intersectMatches), so both answer alike. Its B-tree on (term, tier DESC,
// name_words, product_id) hands out a one-word search's first page by
// reading that page only, whatever the number of matches.
//
// Words (SearchWords) are runs of letters and digits, lower-cased, cut to
// MaxWordLen characters: the query is split by the same function. A word's
// tier in a product is 2 when it is the name's first word, 1 elsewhere in
// the name, 0 in the description only; name_words is the number of words
// in the product's name. Search orders by the sum of the query words'
// tiers, then the shorter name (a name equal to the query comes first),
// then the product ID: a total order, the same on every run.
//
// Which products are indexed is the Product read rule's decision
// (ent/schema/access): IndexProducts reads them through privacy as a
// shopper (viewer.AsShopper), so the index restates no visibility rule.
// That holds while the rule reads nothing but the product's own row, which
// every write of it reindexes. catalog.IndexOnWrite calls IndexProducts in
// the transaction of every product write that changes a name, a
// description or a status; deleting a product deletes its rows (a foreign
// key with ON DELETE CASCADE).
//
// The table lives outside the generated migrations, as the full-text index
// before it did (its column collation, a covering index and an SQLite
// WITHOUT ROWID table are beyond the ent schema): EnsureSearchIndex owns it,
// after every migration run. It records the definition's version in
// search_index_version and, whenever the recorded version differs or the
// table is missing, drops the older index's objects, creates the table and
// fills it from the products. Bump SearchIndexVersion whenever the
// definition or the tier rule changes.

// SearchIndexVersion is the version of the search index definition below.
const SearchIndexVersion = 3

// MaxWordLen is the most characters of a word the index holds: longer
// words are indexed, and searched for, by their first MaxWordLen.
const MaxWordLen = 64

// searchTable is the search index's table.
const searchTable = "product_search_terms"

// searchLockKey serialises EnsureSearchIndex across servers starting at
// once on PostgreSQL: the bytes "SVNSRCH".
const searchLockKey int64 = 0x53564e53524348

// SearchWords splits text into the words the index holds: runs of letters
// and digits, lower-cased, each cut to MaxWordLen characters. Punctuation
// only gives none.
func SearchWords(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	for i, w := range words {
		if utf8.RuneCountInString(w) > MaxWordLen {
			words[i] = string([]rune(w)[:MaxWordLen])
		}
	}
	return words
}

// searchEntry is one row of the index.
type searchEntry struct {
	term      string
	productID int
	tier      int
	nameWords int
}

// searchEntries are the index rows of a product: each word of its name
// and description once, at its best tier.
func searchEntries(p *ent.Product) []searchEntry {
	name := SearchWords(p.Name)
	tiers := map[string]int{}
	var order []string
	add := func(w string, tier int) {
		t, seen := tiers[w]
		if !seen {
			order = append(order, w)
		}
		if !seen || tier > t {
			tiers[w] = tier
		}
	}
	for i, w := range name {
		tier := 1
		if i == 0 {
			tier = 2
		}
		add(w, tier)
	}
	for _, w := range SearchWords(p.Description) {
		add(w, 0)
	}
	out := make([]searchEntry, len(order))
	for i, w := range order {
		out[i] = searchEntry{term: w, productID: p.ID, tier: tiers[w], nameWords: min(len(name), 32767)}
	}
	return out
}

// execQuerier runs statements: an *ent.Client or an *ent.Tx.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}

// IndexProducts brings the index rows of the products ids up to date with
// client, of dialect: it removes their rows (unless fresh, for products
// just created) and indexes those of them a shopper sees. Run it in the
// transaction of the write.
func IndexProducts(ctx context.Context, client *ent.Client, dia string, ids []int, fresh bool) error {
	for start := 0; start < len(ids); start += indexChunk {
		chunk := ids[start:min(start+indexChunk, len(ids))]
		if !fresh {
			if err := deleteSearchRows(ctx, client, dia, chunk); err != nil {
				return err
			}
		}
		ps, err := client.Product.Query().
			Where(product.IDIn(chunk...)).
			Select(product.FieldID, product.FieldName, product.FieldDescription).
			All(viewer.AsShopper(ctx))
		if err != nil {
			return fmt.Errorf("search index: read products: %w", err)
		}
		if err := insertSearchRows(ctx, client, dia, ps); err != nil {
			return err
		}
	}
	return nil
}

// indexChunk is how many products IndexProducts reads at once.
const indexChunk = 1000

// rowsPerInsert bounds one INSERT of index rows: four placeholders a row,
// under SQLite's 32,766 and PostgreSQL's 65,535.
const rowsPerInsert = 8000

func deleteSearchRows(ctx context.Context, c execQuerier, dia string, ids []int) error {
	var b strings.Builder
	b.WriteString("DELETE FROM " + searchTable + " WHERE product_id IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteByte(')')
	if _, err := c.ExecContext(ctx, b.String()); err != nil {
		return fmt.Errorf("search index: remove rows: %w", err)
	}
	return nil
}

func insertSearchRows(ctx context.Context, c execQuerier, dia string, ps []*ent.Product) error {
	var rows []searchEntry
	for _, p := range ps {
		rows = append(rows, searchEntries(p)...)
	}
	for start := 0; start < len(rows); start += rowsPerInsert {
		chunk := rows[start:min(start+rowsPerInsert, len(rows))]
		var b strings.Builder
		args := make([]any, 0, 4*len(chunk))
		b.WriteString("INSERT INTO " + searchTable + " (term, product_id, tier, name_words) VALUES ")
		for i, r := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			// Only the term is a parameter; the numbers are written out.
			args = append(args, r.term)
			fmt.Fprintf(&b, "(%s,%d,%d,%d)", placeholder(dia, len(args)), r.productID, r.tier, r.nameWords)
		}
		if _, err := c.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("search index: add rows: %w", err)
		}
	}
	return nil
}

// placeholder is the n-th (from 1) statement parameter of dialect.
func placeholder(dia string, n int) string {
	if dia == dialect.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?" + strconv.Itoa(n)
}

// SearchIndex answers a search of words (SearchWords of the query, at
// least one): the IDs of the products from offset to offset+limit in rank
// order (see the top of this file), and how many match in all. A product
// matches when it holds every word, the last one also as the start of a
// longer word (as a shopper types). It reads with c, of dialect: two
// statements, whatever the number of matches (a third counts for a page
// past the last match).
//
// The last word is first looked up in the index: the words it starts and,
// when it starts only one (as a whole word usually does), that word's
// number of products. A one-word search that starts one word then reads
// its page straight off the ranking index; any other search joins the
// words' rows on the product and counts in the same statement (on SQLite,
// for several words, after merging the words' product IDs:
// intersectMatches). Which word comes first in the query changes neither
// the reading (a merge reads each word's rows once) nor the answer.
func SearchIndex(ctx context.Context, c execQuerier, dia string, words []string, offset, limit int) ([]int, int, error) {
	if len(words) == 0 {
		return nil, 0, nil
	}
	last := words[len(words)-1]
	lo, hi := last, last+"\U0010FFFF" // every word starting with last, bytewise
	ph := func(n int) string { return placeholder(dia, n) }
	var first, second stdsql.NullString
	var count int
	countFirst := "0" // a search of one word reads its count here
	if len(words) == 1 {
		countFirst = `(SELECT count(*) FROM ` + searchTable + ` WHERE term = x.t)`
	}
	err := queryRow(ctx, c, `SELECT x.t, (SELECT min(term) FROM `+searchTable+` WHERE term > x.t AND term < `+ph(2)+`), `+
		countFirst+` FROM (SELECT min(term) AS t FROM `+searchTable+` WHERE term >= `+ph(1)+` AND term < `+ph(2)+`) x`,
		[]any{lo, hi}, &first, &second, &count)
	if err != nil {
		return nil, 0, fmt.Errorf("search: look up %q: %w", last, err)
	}
	if !first.Valid {
		return nil, 0, nil // no word starts with last
	}
	exact := uniq(words[:len(words)-1])
	if len(words) == 1 && !second.Valid {
		if limit == 0 || offset >= count {
			return nil, count, nil
		}
		ids, err := queryIDs(ctx, c, `SELECT product_id, 0 FROM `+searchTable+` WHERE term = `+ph(1)+
			` ORDER BY tier DESC, name_words, product_id LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), first.String)
		return ids, count, err
	}
	// The sources: one per word of the query.
	var sources []searchSource
	for _, w := range exact {
		sources = append(sources, searchSource{term: w})
	}
	if second.Valid {
		// last starts several words: a product's best tier among them.
		sources = append(sources, searchSource{lo: lo, hi: hi})
	} else {
		sources = append(sources, searchSource{term: first.String})
	}
	var page, total string
	var args []any
	if dia == dialect.SQLite && len(sources) > 1 {
		page, total, args = intersectMatches(sources)
	} else {
		page, total, args = joinMatches(dia, sources)
	}
	if limit > 0 {
		ids, n, err := queryPage(ctx, c, page+` LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
		if err != nil || len(ids) > 0 || offset == 0 {
			return ids, n, err
		}
	}
	// No page, or one past the last match: the count alone.
	if err := queryRow(ctx, c, total, args, &count); err != nil {
		return nil, 0, fmt.Errorf("search: count: %w", err)
	}
	return nil, count, nil
}

// searchSource is one word of a search: the index rows of one term or,
// for a last word that starts several words, those of every term from lo
// up to hi, a product's best tier among them.
type searchSource struct {
	term   string // "" for the range
	lo, hi string
}

// joinMatches are the statements of a search of sources that join the
// sources' rows on the product: its page in rank order, with the count of
// matches in every row (LIMIT and OFFSET to be added), and its count
// alone, with their arguments. PostgreSQL merge-joins the sources' ranges
// of (term, product_id); SQLite, which only joins by looking up, runs it
// for a single source (intersectMatches for more).
func joinMatches(dia string, sources []searchSource) (page, count string, args []any) {
	var from, where strings.Builder
	var rank []string
	add := func(rel, cond string) {
		alias := "s" + strconv.Itoa(len(rank))
		rank = append(rank, alias+".tier")
		if alias == "s0" {
			from.WriteString(rel + " " + alias)
			if cond != "" {
				where.WriteString(" WHERE " + strings.ReplaceAll(cond, "@", alias))
			}
			return
		}
		from.WriteString(" JOIN " + rel + " " + alias + " ON " + alias + ".product_id = s0.product_id")
		if cond != "" {
			from.WriteString(" AND " + strings.ReplaceAll(cond, "@", alias))
		}
	}
	for _, s := range sources {
		if s.term != "" {
			args = append(args, s.term)
			add(searchTable, "@.term = "+placeholder(dia, len(args)))
			continue
		}
		args = append(args, s.lo, s.hi)
		add(`(SELECT product_id, max(tier) AS tier, min(name_words) AS name_words FROM `+searchTable+
			` WHERE term >= `+placeholder(dia, len(args)-1)+` AND term < `+placeholder(dia, len(args))+` GROUP BY product_id)`, "")
	}
	body := from.String() + where.String()
	return `SELECT s0.product_id, count(*) OVER () FROM ` + body +
			` ORDER BY ` + strings.Join(rank, " + ") + ` DESC, s0.name_words, s0.product_id`,
		`SELECT count(*) FROM ` + body, args
}

// intersectMatches are joinMatches' statements for SQLite and two sources
// or more, the first of one term. SQLite would join by looking up every
// row of the first source in the others (a look-up per product holding
// the first word, 10,000 for one adjective of a generated catalogue of
// 200,000); instead, the sources' product IDs are intersected by a
// compound SELECT ordered by the ID, which SQLite runs as a merge of the
// sources' ranges of the primary key (term, product_id), one pass over
// each. Only the matches are then looked up for their tiers: CROSS JOIN
// keeps the matches the outer loop (SQLite's planner otherwise may scan
// the first source's rows and rerun the merge inside that loop).
func intersectMatches(sources []searchSource) (page, count string, args []any) {
	var arms, joins []string
	var rank []string
	for i, s := range sources {
		if s.term != "" {
			args = append(args, s.term)
			n := placeholder(dialect.SQLite, len(args))
			alias := "s" + strconv.Itoa(i)
			arms = append(arms, `SELECT product_id FROM `+searchTable+` WHERE term = `+n)
			joins = append(joins, ` CROSS JOIN `+searchTable+` `+alias+` ON `+alias+`.term = `+n+` AND `+alias+`.product_id = m.id`)
			rank = append(rank, alias+".tier")
			continue
		}
		args = append(args, s.lo, s.hi)
		cond := `term >= ` + placeholder(dialect.SQLite, len(args)-1) + ` AND term < ` + placeholder(dialect.SQLite, len(args))
		arms = append(arms, `SELECT product_id FROM `+searchTable+` WHERE `+cond)
		rank = append(rank, `(SELECT max(tier) FROM `+searchTable+` WHERE product_id = m.id AND `+cond+`)`)
	}
	ids := strings.Join(arms, " INTERSECT ")
	return `WITH m(id) AS (` + ids + ` ORDER BY 1) SELECT m.id, count(*) OVER () FROM m` + strings.Join(joins, "") +
			` ORDER BY ` + strings.Join(rank, " + ") + ` DESC, s0.name_words, m.id`,
		`SELECT count(*) FROM (` + ids + `)`, args
}

// uniq returns words without repeats, in their order.
func uniq(words []string) []string {
	var out []string
	for _, w := range words {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// queryIDs runs q, whose rows are a product ID and a number, and returns
// the IDs.
func queryIDs(ctx context.Context, c execQuerier, q string, args ...any) ([]int, error) {
	ids, _, err := queryPage(ctx, c, q, args...)
	return ids, err
}

// queryPage runs q, whose rows are a product ID and the total count, and
// returns the IDs and the count.
func queryPage(ctx context.Context, c execQuerier, q string, args ...any) ([]int, int, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var ids []int
	var total int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id, &total); err != nil {
			return nil, 0, fmt.Errorf("search: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("search: %w", err)
	}
	return ids, total, nil
}

// postgresSearch defines the index on PostgreSQL. The term compares
// bytewise (COLLATE "C"), whatever the database's collation, so every
// word with a prefix lies in one range of the index. Four B-trees: the
// ranking one; (term, product_id), whose two ranges a search of two words
// merge-joins on the product without hashing or sorting; term alone,
// which B-tree deduplication stores as the term and a list of its rows,
// so a word's count reads an eighth of the pages the others would (12
// rather than 91 for 10,000 products); and product_id, for a
// product's rewrite and the cascade. The indexes are built after the
// table is filled (postgresSearchIndexes).
func postgresSearch() []string {
	return []string{
		// The full-text index of version 1.
		`DROP TRIGGER IF EXISTS products_search_vector ON products`,
		`DROP FUNCTION IF EXISTS products_search_vector()`,
		`ALTER TABLE products DROP COLUMN IF EXISTS search_vector`,
		`DROP TABLE IF EXISTS ` + searchTable,
		`CREATE TABLE ` + searchTable + ` (
		term text COLLATE "C" NOT NULL,
		product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
		tier smallint NOT NULL,
		name_words smallint NOT NULL
	)`,
	}
}

func postgresSearchIndexes() []string {
	return []string{
		`CREATE INDEX product_search_terms_rank ON ` + searchTable + ` (term, tier DESC, name_words, product_id)`,
		`CREATE INDEX product_search_terms_term ON ` + searchTable + ` (term, product_id) INCLUDE (tier, name_words)`,
		`CREATE INDEX product_search_terms_count ON ` + searchTable + ` (term)`,
		`CREATE INDEX product_search_terms_product ON ` + searchTable + ` (product_id)`,
		// Statistics for the planner's choice of join.
		`ANALYZE ` + searchTable,
	}
}

// sqliteSearch defines the index on SQLite: the table is a B-tree on
// (term, product_id) (WITHOUT ROWID), whose ranges of two terms a search
// of several words merges (intersectMatches) and in which it looks up the
// matches' tiers. Two more B-trees: the ranking one, (term, tier DESC,
// name_words, product_id), and (product_id, term, tier), which finds a
// product's rows for its rewrite and the cascade, and a match's best tier
// among the words its last word starts. SQLite compares text bytewise.
// The indexes are built after the table is filled (sqliteSearchIndexes).
func sqliteSearch() []string {
	return []string{
		// The FTS5 index of version 1.
		`DROP TRIGGER IF EXISTS product_search_insert`,
		`DROP TRIGGER IF EXISTS product_search_delete`,
		`DROP TRIGGER IF EXISTS product_search_update`,
		`DROP TABLE IF EXISTS product_search`,
		`DROP TABLE IF EXISTS ` + searchTable,
		`CREATE TABLE ` + searchTable + ` (
		term text NOT NULL,
		product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
		tier integer NOT NULL,
		name_words integer NOT NULL,
		PRIMARY KEY (term, product_id)
	) WITHOUT ROWID`,
	}
}

func sqliteSearchIndexes() []string {
	return []string{
		// product_id is in every index of a WITHOUT ROWID table: the
		// primary key's columns end each entry.
		`CREATE INDEX product_search_terms_rank ON ` + searchTable + ` (term, tier DESC, name_words)`,
		`CREATE INDEX product_search_terms_product ON ` + searchTable + ` (product_id, term, tier)`,
	}
}

// EnsureSearchIndex creates the product search index, filled from the
// products, when it is missing or of another version; otherwise it
// changes nothing.
func (db *DB) EnsureSearchIndex(ctx context.Context) error {
	tx, err := db.Client().Tx(ctx)
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
	table, indexes := postgresSearch(), postgresSearchIndexes()
	if db.Dialect == dialect.SQLite {
		table, indexes = sqliteSearch(), sqliteSearchIndexes()
	}
	for _, q := range table {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	if err := fillSearchIndex(ctx, tx.Client(), db.Dialect); err != nil {
		return err
	}
	for _, q := range indexes {
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

// fillSearchIndex indexes every product a shopper sees, a page at a time.
func fillSearchIndex(ctx context.Context, client *ent.Client, dia string) error {
	shopper := viewer.AsShopper(ctx)
	last := 0
	for {
		ps, err := client.Product.Query().
			Where(product.IDGT(last)).
			Order(ent.Asc(product.FieldID)).
			Limit(indexChunk).
			Select(product.FieldID, product.FieldName, product.FieldDescription).
			All(shopper)
		if err != nil {
			return fmt.Errorf("search index: read products: %w", err)
		}
		if len(ps) == 0 {
			return nil
		}
		if err := insertSearchRows(ctx, client, dia, ps); err != nil {
			return err
		}
		last = ps[len(ps)-1].ID
	}
}

// searchIndexCurrent reports whether the recorded version is this one and
// the index's table exists.
func (db *DB) searchIndexCurrent(ctx context.Context, tx *ent.Tx) (bool, error) {
	var v int
	err := queryRow(ctx, tx, `SELECT version FROM search_index_version`, nil, &v)
	if errors.Is(err, stdsql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("search index: read version: %w", err)
	}
	if v != SearchIndexVersion {
		return false, nil
	}
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '` + searchTable + `'`
	if db.Dialect == dialect.Postgres {
		q = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '` + searchTable + `'`
	}
	var n int
	if err := queryRow(ctx, tx, q, nil, &n); err != nil {
		return false, fmt.Errorf("search index: inspect: %w", err)
	}
	return n == 1, nil
}

// queryRow scans the one row of q (with args) into dest, or returns
// sql.ErrNoRows.
func queryRow(ctx context.Context, c execQuerier, q string, args []any, dest ...any) error {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return stdsql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}
