package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// The curves' operations beyond Q1-Q3.
const (
	q3b = `query Q3b($slug: String!) { category(slug: $slug) { id name slug products(first: 20, includeSubcategories: true) { edges { node { id name slug priceRange { minVariantPrice { amount currencyCode } } variants { id sku price { amount currencyCode } quantityAvailable } } } } } }`
	qs  = `query %s($q: String!) { searchProducts(query: $q, first: 20) { totalCount edges { node { id name slug priceRange { minVariantPrice { amount currencyCode } } } } } }`
	qct = `query CT { categoryTree { id name slug depth parentID } }`
)

// curvePoint is one operation at one catalogue size on one database, a
// line of the curves' JSON Lines file.
type curvePoint struct {
	Size        int     `json:"size"`
	DB          string  `json:"db"`
	Op          string  `json:"op"`
	Concurrency int     `json:"concurrency"`
	OK          int     `json:"ok"`
	Failed      int     `json:"failed"`
	RPS         float64 `json:"rps"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	Statements  float64 `json:"statements"`
	ServerCPUms float64 `json:"server_cpu_ms"`
	DBCPUms     float64 `json:"db_cpu_ms"` // -1: in the server (SQLite)
	AnonPeakKB  int     `json:"anon_peak_kb"`
	AnonIdleKB  int     `json:"anon_idle_kb"` // before the first request of the size`
	CeilingRPS  float64 `json:"ceiling_rps,omitempty"`
	CeilingP99  float64 `json:"ceiling_p99_ms,omitempty"`
	Date        string  `json:"date"`
}

func curveOps(s sample) []operation {
	return []operation{
		{name: "Q1", title: "listing: first 20 products with variants and category", query: q1},
		{name: "Q2", title: "product page by slug", query: q2, slugs: s.products},
		{name: "Q3", title: "category page: first 20 products of a root's subtree", query: q3, slugs: s.roots},
		{name: "Q3b", title: "category page with variants", query: q3b, slugs: s.roots},
		{name: "S1", title: "searchProducts, one word", query: fmt.Sprintf(qs, "S1"), slugs: s.words, varName: "q"},
		{name: "S2", title: "searchProducts, two words", query: fmt.Sprintf(qs, "S2"), slugs: s.pairs, varName: "q"},
		{name: "CT", title: "categoryTree", query: qct},
	}
}

// runCurves measures every operation at one catalogue size on one
// database and appends the points to a JSON Lines file.
func runCurves(args []string) error {
	fs := flag.NewFlagSet("curves", flag.ContinueOnError)
	var c config
	size := fs.Int("size", 2000, "the catalogue's product count (a label)")
	dbName := fs.String("db", "postgres", "postgres or sqlite (a label; sqlite has no database process)")
	results := fs.String("results", "", "append the points to this JSON Lines file")
	conc := fs.Int("concurrency", 16, "concurrent clients")
	only := fs.String("ops", "", "comma-separated operations to run (default: all of Q1,Q2,Q3,Q3b,S1,S2,CT)")
	fs.StringVar(&c.url, "url", "http://127.0.0.1:18280/graphql", "GraphQL endpoint (loopback only)")
	fs.StringVar(&c.dsn, "dsn", "", "PostgreSQL URL of the server's database: backend CPU and the direct-SQL ceiling")
	fs.IntVar(&c.pid, "pid", 0, "the server's process ID")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "measured time per operation")
	fs.DurationVar(&c.warmup, "warmup", 5*time.Second, "unmeasured time per operation before measuring")
	fs.IntVar(&c.maxRequests, "max-requests", 1_000_000, "stop a run after this many requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *results == "" {
		return fmt.Errorf("-results is required")
	}
	u, err := loopbackURL(c.url)
	if err != nil {
		return err
	}
	c.metricsURL = u.Scheme + "://" + u.Host + "/metrics"
	client := newClient()
	idle := rssKB(c.pid, "RssAnon") // before this run's first request
	s, err := sampleCatalog(client, c.url, 20)
	if err != nil {
		return err
	}
	var db *sql.DB
	if c.dsn != "" {
		if db, err = sql.Open("postgres", c.dsn); err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
	}
	anon := sampleAnon(c.pid)
	defer anon.close()
	date := time.Now().UTC().Format(time.RFC3339)
	var points []curvePoint
	for _, op := range curveOps(s) {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), op.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "%s %d %s: warm-up %s\n", *dbName, *size, op.name, c.warmup)
		runHTTP(client, c, op, *conc, c.warmup)
		st0, err := scrape(client, c.metricsURL)
		if err != nil {
			return err
		}
		cpu0, db0 := procCPU(c.pid), backendCPU(db)
		res := runHTTP(client, c, op, *conc, c.duration)
		cpu1, db1 := procCPU(c.pid), backendCPU(db)
		st1, err := scrape(client, c.metricsURL)
		if err != nil {
			return err
		}
		n := float64(max(res.ok+res.failed, 1))
		p := curvePoint{
			Size: *size, DB: *dbName, Op: op.name, Concurrency: *conc, OK: res.ok, Failed: res.failed,
			RPS: res.rps, P50ms: msf(res.p50), P99ms: msf(res.p99),
			Statements:  (st1 - st0) / n,
			ServerCPUms: msf(cpu1-cpu0) / n,
			DBCPUms:     -1,
			AnonPeakKB:  anon.reset(),
			AnonIdleKB:  idle,
			Date:        date,
		}
		if db != nil {
			p.DBCPUms = msf(cpuSpent(db0, db1)) / n
			if replay, ok := replays[op.name]; ok {
				runSQL(db, c, op, replay, *conc, c.warmup)
				ceil := runSQL(db, c, op, replay, *conc, c.duration)
				p.CeilingRPS, p.CeilingP99 = ceil.rps, msf(ceil.p99)
			}
		}
		fmt.Fprintf(os.Stderr, "%s %d %s: %.0f req/s p50 %.1f ms p99 %.1f ms, %.1f statements, server %.2f ms CPU, db %.2f ms CPU, anon %d kB, %d failed, ceiling %.0f req/s\n",
			p.DB, p.Size, p.Op, p.RPS, p.P50ms, p.P99ms, p.Statements, p.ServerCPUms, p.DBCPUms, p.AnonPeakKB, p.Failed, p.CeilingRPS)
		points = append(points, p)
	}
	f, err := os.OpenFile(*results, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, p := range points {
		if err := enc.Encode(p); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
