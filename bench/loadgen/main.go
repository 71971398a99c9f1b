// Command loadgen drives the benchmark operations Q1, Q2 and Q3 against a
// running server on loopback, then replays equivalent SQL directly through
// database/sql (the ceiling with no GraphQL layer), and writes a Markdown
// report. It stops by itself: every run is bounded by a duration and a
// request count, and it refuses any target that is not on this machine.
//
// Run it through bench/run.sh, which starts the services and the server.
// Its modes (loadgen MODE -h) serve the sibling scripts:
//
//	loadgen curves   one catalogue size on one database (bench/curves.sh)
//	loadgen report   the curves' table and plot into bench/RESULTS.md
//	loadgen checkout placeOrder throughput and the hot-product race (bench/checkout.sh)
//	loadgen journey  the shopper-journey mix (bench/journey.sh)
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/savannah-commerce/savannah/bench/internal/stats"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/savannah-commerce/savannah/bench/internal/host"
)

// The benchmark operations (../shared/bench/README.md).
const (
	q1 = `query Q1 { products(first: 20) { edges { node { id name slug variants { id sku price { amount currencyCode } quantityAvailable } category { id name slug } } } } }`
	q2 = `query Q2($slug: String!) { product(slug: $slug) { id name slug description variants { id sku name price { amount currencyCode } quantityAvailable } category { id name slug ancestors { id name slug } } } }`
	q3 = `query Q3($slug: String!) { category(slug: $slug) { id name slug products(first: 20, includeSubcategories: true) { edges { node { id name slug priceRange { minVariantPrice { amount currencyCode } } } } } } }`
)

type config struct {
	url         string
	metricsURL  string
	dsn         string
	catalog     string
	pid         int
	duration    time.Duration
	warmup      time.Duration
	concurrency []int
	maxRequests int
	out         string
	note        string
	section     string
}

func main() {
	if len(os.Args) > 1 {
		if mode, ok := modes[os.Args[1]]; ok {
			if err := mode(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", os.Args[1], err)
				os.Exit(1)
			}
			return
		}
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	var c config
	var conc string
	flag.StringVar(&c.url, "url", "http://127.0.0.1:18080/graphql", "GraphQL endpoint (loopback only)")
	flag.StringVar(&c.dsn, "dsn", "", "PostgreSQL URL of the server's database, for the direct-SQL ceiling")
	flag.StringVar(&c.catalog, "catalog", "../shared/bench/catalog.json", "the benchmark catalogue, for slugs")
	flag.IntVar(&c.pid, "pid", 0, "the server's process ID, for its peak RSS")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "measured time per operation and concurrency")
	flag.DurationVar(&c.warmup, "warmup", 5*time.Second, "unmeasured time per operation before measuring")
	flag.StringVar(&conc, "concurrency", "16,64", "comma-separated concurrency levels")
	flag.IntVar(&c.maxRequests, "max-requests", 1_000_000, "stop a run after this many requests even if time remains")
	flag.StringVar(&c.out, "out", "", "write the Markdown report here (default: stdout)")
	flag.StringVar(&c.note, "note", "", "a line to put at the top of the report")
	flag.StringVar(&c.section, "section", "", "write only the GraphQL table, under this heading (for an extra pass)")
	flag.Parse()
	for _, s := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 512 {
			return fmt.Errorf("-concurrency: %q", s)
		}
		c.concurrency = append(c.concurrency, n)
	}
	u, err := loopbackURL(c.url)
	if err != nil {
		return err
	}
	c.metricsURL = u.Scheme + "://" + u.Host + "/metrics"

	slugs, roots, err := readCatalog(c.catalog)
	if err != nil {
		return err
	}
	ops := []operation{
		{name: "Q1", title: "listing: first 20 products with variants and category", query: q1},
		{name: "Q2", title: "product page: product by slug with variants and category ancestors", query: q2, slugs: slugs},
		{name: "Q3", title: "category page: root category with the first 20 products of its subtree", query: q3, slugs: roots},
	}

	var rows []result
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}, Timeout: 10 * time.Second}
	for _, op := range ops {
		fmt.Fprintf(os.Stderr, "%s: warm-up %s\n", op.name, c.warmup)
		runHTTP(client, c, op, c.concurrency[0], c.warmup)
		for _, n := range c.concurrency {
			before, err := scrape(client, c.metricsURL)
			if err != nil {
				return err
			}
			res := runHTTP(client, c, op, n, c.duration)
			after, err := scrape(client, c.metricsURL)
			if err != nil {
				return err
			}
			if res.ok > 0 {
				res.statements = (after - before) / float64(res.ok+res.failed)
			}
			res.rss = rssKB(c.pid, "VmRSS")
			res.anon = rssKB(c.pid, "RssAnon")
			fmt.Fprintf(os.Stderr, "%s c=%d: %.0f req/s p50 %s p99 %s, %.1f statements/request, %d failed\n",
				op.name, n, res.rps, res.p50, res.p99, res.statements, res.failed)
			rows = append(rows, res)
		}
	}
	peak := rssKB(c.pid, "VmHWM")

	var ceiling []result
	if c.dsn != "" {
		db, err := sql.Open("postgres", c.dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(20) // as the server's pool
		db.SetMaxIdleConns(20)
		for _, op := range ops {
			replay := replays[op.name]
			runSQL(db, c, op, replay, c.concurrency[0], c.warmup)
			for _, n := range c.concurrency {
				res := runSQL(db, c, op, replay, n, c.duration)
				fmt.Fprintf(os.Stderr, "%s direct SQL c=%d: %.0f req/s p50 %s p99 %s\n", op.name, n, res.rps, res.p50, res.p99)
				ceiling = append(ceiling, res)
			}
		}
	}
	report := render(c, ops, rows, ceiling, peak, pgVersion(c.dsn))
	if c.section != "" {
		report = fmt.Sprintf("\n## %s\n\n%s", c.section, table(c, rows, peak))
	}
	if c.out == "" {
		_, err = os.Stdout.WriteString(report)
		return err
	}
	return os.WriteFile(c.out, []byte(report), 0o644)
}

// loopbackURL parses the target and refuses anything off this machine: a
// load generator must never be pointed at someone else's server.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-url must be on loopback, not %q", u.Host)
	}
	return u, nil
}

type operation struct {
	name, title, query string
	slugs              []string // variables rotate over these
	varName            string   // the variable they fill: "slug" when empty
}

type result struct {
	op          string
	concurrency int
	ok, failed  int
	rps         float64
	p50, p99    time.Duration
	statements  float64
	rss         int
	anon        int // of rss, the anonymous memory (heap, stacks), not the mapped binary
}

// body is the JSON request for the i-th request of op.
func (op operation) body(i int) []byte {
	req := map[string]any{"query": op.query, "operationName": op.name}
	if len(op.slugs) > 0 {
		name := op.varName
		if name == "" {
			name = "slug"
		}
		req["variables"] = map[string]any{name: op.slugs[i%len(op.slugs)]}
	}
	b, _ := json.Marshal(req)
	return b
}

// drive runs fn from n workers for d or until limit calls, and measures.
func drive(n int, d time.Duration, limit int, fn func(i int) error) result {
	var next atomic.Int64
	deadline := time.Now().Add(d)
	lat := make([][]time.Duration, n)
	failed := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(next.Add(1))
				if i > limit {
					return
				}
				t := time.Now()
				if err := fn(i); err != nil {
					failed[w]++
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	res := result{concurrency: n}
	for w := range n {
		all = append(all, lat[w]...)
		res.failed += failed[w]
	}
	slices.Sort(all)
	res.ok = len(all)
	res.rps = float64(res.ok) / elapsed.Seconds()
	res.p50, res.p99 = stats.Percentile(all, 50), stats.Percentile(all, 99)
	return res
}

var errAnswer = errors.New("answer with errors")

func runHTTP(client *http.Client, c config, op operation, n int, d time.Duration) result {
	res := drive(n, d, c.maxRequests, func(i int) error { return post(client, c.url, op, i) })
	res.op = op.name
	return res
}

// post sends the i-th request of op; an answer with errors is errAnswer.
func post(client *http.Client, url string, op operation, i int) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(op.body(i)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) || bytes.Contains(b, []byte(`"data":null`)) {
		return errAnswer
	}
	return nil
}

// metricLine matches the statement counter in the Prometheus text format.
var metricLine = regexp.MustCompile(`(?m)^savannah_sql_statements_total ([0-9.e+]+)$`)

func scrape(client *http.Client, u string) (float64, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	m := metricLine.FindSubmatch(b)
	if m == nil {
		return 0, errors.New("the server exports no savannah_sql_statements_total")
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// rssKB reads a memory figure of pid in kB from /proc (VmRSS now, VmHWM
// the peak, RssAnon the anonymous part of VmRSS).
func rssKB(pid int, field string) int {
	if pid == 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

func readCatalog(path string) (products, roots []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var cat struct {
		Categories []struct {
			Slug     string `json:"slug"`
			ParentID *int   `json:"parentId"`
		} `json:"categories"`
		Products []struct {
			Slug string `json:"slug"`
		} `json:"products"`
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range cat.Products {
		products = append(products, p.Slug)
	}
	for _, c := range cat.Categories {
		if c.ParentID == nil {
			roots = append(roots, c.Slug)
		}
	}
	if len(products) == 0 || len(roots) == 0 {
		return nil, nil, fmt.Errorf("%s: no products or root categories", path)
	}
	return products, roots, nil
}

// Columns ent selects, so the ceiling reads as much as the server does.
const (
	productCols  = "id, created_at, updated_at, name, slug, description, status, category_id, min_price_minor, max_price_minor"
	categoryCols = "id, created_at, updated_at, name, slug, description, position, depth, path, parent_id"
	variantCols  = "id, created_at, updated_at, sku, name, price_minor, stock_on_hand, reserved, track_inventory, options, position, product_id"
)

// replays are the statements the server runs for each operation, as
// plain SQL: each request runs them in order, feeding IDs forward, and
// reads every row.
var replays = map[string]func(ctx context.Context, db *sql.DB, slug string) error{
	"Q1": func(ctx context.Context, db *sql.DB, _ string) error {
		ids, cats, err := productRows(ctx, db, "SELECT "+productCols+" FROM products WHERE status = 'ACTIVE' ORDER BY id LIMIT 21")
		if err != nil {
			return err
		}
		if err := drain(db.QueryContext(ctx, "SELECT id, name, slug FROM categories WHERE id = ANY($1)", pq.Array(cats))); err != nil {
			return err
		}
		return drain(db.QueryContext(ctx, "SELECT "+variantCols+" FROM product_variants WHERE product_id = ANY($1) ORDER BY position, id", pq.Array(ids)))
	},
	"Q2": func(ctx context.Context, db *sql.DB, slug string) error {
		ids, cats, err := productRows(ctx, db, "SELECT "+productCols+" FROM products WHERE slug = $1 AND status = 'ACTIVE' LIMIT 2", slug)
		if err != nil || len(ids) == 0 {
			return err
		}
		var path string
		if err := db.QueryRowContext(ctx, "SELECT path FROM categories WHERE id = $1", cats[0]).Scan(&path); err != nil {
			return err
		}
		var ancestors []int64
		for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil && id != cats[0] {
				ancestors = append(ancestors, id)
			}
		}
		if err := drain(db.QueryContext(ctx, "SELECT "+categoryCols+" FROM categories WHERE id = ANY($1)", pq.Array(ancestors))); err != nil {
			return err
		}
		return drain(db.QueryContext(ctx, "SELECT "+variantCols+" FROM product_variants WHERE product_id = $1 ORDER BY position, id", ids[0]))
	},
	"Q3": func(ctx context.Context, db *sql.DB, slug string) error {
		var path string
		if err := db.QueryRowContext(ctx, "SELECT path FROM categories WHERE slug = $1 LIMIT 2", slug).Scan(&path); err != nil {
			return err
		}
		_, _, err := productRows(ctx, db, "SELECT "+productCols+" FROM products WHERE status = 'ACTIVE' AND EXISTS "+
			"(SELECT 1 FROM categories c WHERE c.id = products.category_id AND c.path LIKE $1) ORDER BY id LIMIT 21", path+"%")
		return err
	},
	// Q3b (bench/curves.sh) is Q3 plus the variants of the page's products.
	"Q3b": func(ctx context.Context, db *sql.DB, slug string) error {
		var path string
		if err := db.QueryRowContext(ctx, "SELECT path FROM categories WHERE slug = $1 LIMIT 2", slug).Scan(&path); err != nil {
			return err
		}
		ids, _, err := productRows(ctx, db, "SELECT "+productCols+" FROM products WHERE status = 'ACTIVE' AND EXISTS "+
			"(SELECT 1 FROM categories c WHERE c.id = products.category_id AND c.path LIKE $1) ORDER BY id LIMIT 21", path+"%")
		if err != nil {
			return err
		}
		return drain(db.QueryContext(ctx, "SELECT "+variantCols+" FROM product_variants WHERE product_id = ANY($1) ORDER BY position, id", pq.Array(ids)))
	},
}

// productRows runs a products query and returns product and category IDs.
func productRows(ctx context.Context, db *sql.DB, query string, args ...any) (ids, cats []int64, err error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	vals := make([]any, 10)
	for rows.Next() {
		var id, cat int64
		ptrs := []any{&id, &vals[1], &vals[2], &vals[3], &vals[4], &vals[5], &vals[6], &cat, &vals[8], &vals[9]}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		ids, cats = append(ids, id), append(cats, cat)
	}
	return ids, cats, rows.Err()
}

// drain reads every column of every row.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rows.Err()
}

func runSQL(db *sql.DB, c config, op operation, replay func(context.Context, *sql.DB, string) error, n int, d time.Duration) result {
	ctx := context.Background()
	res := drive(n, d, c.maxRequests, func(i int) error {
		slug := ""
		if len(op.slugs) > 0 {
			slug = op.slugs[i%len(op.slugs)]
		}
		return replay(ctx, db, slug)
	})
	res.op = op.name
	return res
}

func pgVersion(dsn string) string {
	if dsn == "" {
		return ""
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return ""
	}
	defer db.Close()
	var v string
	_ = db.QueryRow("SHOW server_version").Scan(&v)
	return v
}

// machine describes where the numbers come from.
func machine() string { return host.Lines() }

func render(c config, ops []operation, rows, ceiling []result, peakKB int, pg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark results\n\n")
	fmt.Fprintf(&b, "Measured %s by `bash bench/run.sh`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if c.note != "" {
		fmt.Fprintf(&b, "%s\n\n", c.note)
	}
	fmt.Fprintf(&b, "## Machine\n\n%s- PostgreSQL %s on the same machine (loopback), the server and the load generator too\n\n", machine(), pg)
	fmt.Fprintf(&b, "## Operations\n\n")
	for _, op := range ops {
		fmt.Fprintf(&b, "- **%s**, %s:\n  `%s`\n", op.name, op.title, op.query)
	}
	fmt.Fprintf(&b, "\n## GraphQL over HTTP\n\n%s", table(c, rows, peakKB))
	if len(ceiling) > 0 {
		fmt.Fprintf(&b, "\n## Direct-SQL ceiling\n\nThe same statements replayed through database/sql (lib/pq, a pool of 20 like the server's), every row read, no GraphQL, no HTTP.\n\n")
		fmt.Fprintf(&b, "| op | concurrency | requests/s | p50 | p99 | GraphQL as %% of ceiling |\n|---|---|---|---|---|---|\n")
		for i, r := range ceiling {
			pct := 0.0
			if i < len(rows) && r.rps > 0 {
				pct = 100 * rows[i].rps / r.rps
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %.0f %% |\n", r.op, r.concurrency, r.rps, ms(r.p50), ms(r.p99), pct)
		}
	}
	return b.String()
}

// table is the GraphQL results with the server's peak memory.
func table(c config, rows []result, peakKB int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of warm-up per operation, then %s per concurrency level.\n\n", c.warmup, c.duration)
	fmt.Fprintf(&b, "| op | concurrency | requests/s | p50 | p99 | SQL statements/request | failed | RSS after run | of which anonymous |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %.2f | %d | %.1f MB | %.1f MB |\n", r.op, r.concurrency, r.rps, ms(r.p50), ms(r.p99), r.statements, r.failed, float64(r.rss)/1024, float64(r.anon)/1024)
	}
	fmt.Fprintf(&b, "\nRSS includes the pages of the server's binary the process has touched (file-backed: shared, and reclaimable under memory pressure); the anonymous part is the heap, goroutine stacks and the runtime's own memory.\n")
	fmt.Fprintf(&b, "\nPeak RSS of the server over the whole run (VmHWM): **%.1f MB**.\n", float64(peakKB)/1024)
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
