package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// opOrder is the curves' operations in the order of their tables.
var opOrder = []string{"Q1", "Q2", "Q3", "Q3b", "S1", "S2", "CT"}

var opColors = map[string]string{
	"Q1": "#1f77b4", "Q2": "#ff7f0e", "Q3": "#2ca02c", "Q3b": "#d62728",
	"S1": "#9467bd", "S2": "#8c564b", "CT": "#e377c2",
}

// readPoints reads a curves JSON Lines file; a later point for the same
// size, database and operation replaces an earlier one.
func readPoints(path string) ([]curvePoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type key struct {
		size   int
		db, op string
	}
	byKey := map[key]curvePoint{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var p curvePoint
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		byKey[key{p.Size, p.DB, p.Op}] = p
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]curvePoint, 0, len(byKey))
	for _, p := range byKey {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b curvePoint) int {
		if a.DB != b.DB {
			return strings.Compare(a.DB, b.DB) // postgres first
		}
		if a.Op != b.Op {
			return slices.Index(opOrder, a.Op) - slices.Index(opOrder, b.Op)
		}
		return a.Size - b.Size
	})
	return out, nil
}

// curveSeries turns points into the plot's lines, one per operation and
// database (SQLite dashed).
func curveSeries(points []curvePoint, y func(curvePoint) float64) []series {
	var out []series
	idx := map[string]int{}
	for _, p := range points {
		name := p.Op + " " + p.DB
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, series{name: name, color: opColors[p.Op], dashed: p.DB == "sqlite"})
		}
		out[i].x = append(out[i].x, float64(p.Size))
		out[i].y = append(out[i].y, y(p))
	}
	return out
}

// curvesMarkdown is the curves' section of bench/RESULTS.md.
func curvesMarkdown(points []curvePoint, svgName, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Curves: cost against catalogue size\n\n")
	if note != "" {
		fmt.Fprintf(&b, "%s\n\n", note)
	}
	var dates []string
	for _, p := range points {
		dates = append(dates, p.Date)
	}
	slices.Sort(dates)
	if len(dates) > 0 {
		fmt.Fprintf(&b, "Measured %s to %s by `bash bench/curves.sh`, concurrency %d.\n\n", dates[0], dates[len(dates)-1], points[0].Concurrency)
	}
	fmt.Fprintf(&b, "%s\n", machine())
	fmt.Fprintf(&b, "![requests/s and p99 against catalogue size](%s)\n\n", svgName)
	fmt.Fprintf(&b, "Q1-Q3 as above; **Q3b** is Q3 with `variants { id sku price { amount currencyCode } quantityAvailable }` on each product; "+
		"**S1**/**S2** are `searchProducts(query:, first: 20)` with one and two words of product names; **CT** is `categoryTree`. "+
		"CPU is per request: the server's utime+stime from /proc, and the PostgreSQL backends' of the benchmark database (SQLite runs inside the server, so its cost is in the server's column). "+
		"\"vs smallest\" is requests/s at this size over requests/s at the smallest size measured. "+
		"\"of ceiling\" is GraphQL requests/s over the direct-SQL replay's (PostgreSQL, Q1-Q3b).\n\n")
	fmt.Fprintf(&b, "| db | op | products | req/s | vs smallest | p50 | p99 | SQL statements/req | server CPU ms/req | DB CPU ms/req | failed | of ceiling | RssAnon peak |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	base := map[string]float64{}
	for _, p := range points {
		k := p.DB + p.Op
		if _, ok := base[k]; !ok {
			base[k] = p.RPS
		}
		vs, dbcpu, ceil := "", "in server", ""
		if base[k] > 0 {
			vs = fmt.Sprintf("%.2f", p.RPS/base[k])
		}
		if p.DBCPUms >= 0 {
			dbcpu = fmt.Sprintf("%.2f", p.DBCPUms)
		}
		if p.CeilingRPS > 0 {
			ceil = fmt.Sprintf("%.0f %% (%.0f req/s)", 100*p.RPS/p.CeilingRPS, p.CeilingRPS)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %s | %.1f ms | %.1f ms | %.2f | %.2f | %s | %d | %s | %.1f MB |\n",
			p.DB, p.Op, p.Size, p.RPS, vs, p.P50ms, p.P99ms, p.Statements, p.ServerCPUms, dbcpu, p.Failed, ceil, float64(p.AnonPeakKB)/1024)
	}
	type mk struct {
		size int
		db   string
	}
	peak, idle := map[mk]int{}, map[mk]int{}
	var keys []mk
	for _, p := range points {
		k := mk{p.Size, p.DB}
		if _, ok := peak[k]; !ok {
			keys = append(keys, k)
		}
		peak[k] = max(peak[k], p.AnonPeakKB)
		idle[k] = max(idle[k], p.AnonIdleKB)
	}
	slices.SortFunc(keys, func(a, b mk) int {
		if a.size != b.size {
			return a.size - b.size
		}
		return strings.Compare(a.db, b.db)
	})
	fmt.Fprintf(&b, "\nThe server's anonymous memory (RssAnon: heap, stacks, runtime), peak sampled every 50 ms during each size's runs (the table above has it per operation; the first, Q1, follows the server's start, whose start-up allocations the heap may still hold); the target is under 48 MB at 200,000 products.\n\n")
	fmt.Fprintf(&b, "| products | db | RssAnon at rest after start | RssAnon peak under load |\n|---|---|---|---|\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "| %d | %s | %.1f MB | %.1f MB |\n", k.size, k.db, float64(idle[k])/1024, float64(peak[k])/1024)
	}
	return b.String()
}

// runReport writes the curves' section of bench/RESULTS.md and the plot.
func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	results := fs.String("results", "", "the curves' JSON Lines file")
	out := fs.String("out", "bench/RESULTS.md", "splice the section into this Markdown file")
	svg := fs.String("svg", "bench/curves.svg", "write the plot here (beside -out)")
	note := fs.String("note", "", "a line to put at the top of the section")
	machineOnly := fs.Bool("machine", false, "only print the machine's description")
	splice := fs.String("splice", "", "only splice the file -from into -out as the section of this name")
	from := fs.String("from", "", "the Markdown to splice (with -splice), or to take every generated section from (with -keep)")
	keep := fs.Bool("keep", false, "only splice every generated section of -from into -out (bench/run.sh keeps the others' sections)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *machineOnly {
		_, err := os.Stdout.WriteString(machine())
		return err
	}
	if *keep {
		b, err := os.ReadFile(*from)
		if err != nil {
			return err
		}
		names, bodies := sections(string(b))
		for i := range names {
			if err := writeSection(*out, names[i], bodies[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if *splice != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			return err
		}
		return writeSection(*out, *splice, string(b))
	}
	points, err := readPoints(*results)
	if err != nil {
		return err
	}
	if len(points) == 0 {
		return fmt.Errorf("%s: no points", *results)
	}
	title := "Savannah, " + points[0].Date[:10] + "; solid PostgreSQL, dashed SQLite"
	plot := plotSVG(title,
		curveSeries(points, func(p curvePoint) float64 { return p.RPS }),
		curveSeries(points, func(p curvePoint) float64 { return p.P99ms }))
	if err := os.WriteFile(*svg, []byte(plot), 0o644); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(*out), *svg)
	if err != nil {
		rel = *svg
	}
	return writeSection(*out, "curves", curvesMarkdown(points, rel, *note))
}
