package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCPUTicks: utime and stime are fields 14 and 15, counted after the
// command name, which may hold spaces and parentheses.
func TestCPUTicks(t *testing.T) {
	t.Parallel()
	stat := "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 1826 0 0 0 731 269 0 0 20 0 9 0 1234 123456 789 18446744073709551615"
	n, err := cpuTicks(stat)
	require.NoError(t, err)
	require.Equal(t, int64(1000), n)

	own, err := os.ReadFile("/proc/self/stat")
	if err == nil {
		_, err = cpuTicks(string(own))
		require.NoError(t, err)
	}
	for _, bad := range []string{"", "4242 server S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		_, err := cpuTicks(bad)
		require.Error(t, err, bad)
	}
}

func TestCPUSpent(t *testing.T) {
	t.Parallel()
	before := map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: time.Second}
	after := map[int]time.Duration{1: 1500 * time.Millisecond, 2: 2 * time.Second, 4: 300 * time.Millisecond}
	// 1 spent 500 ms, 2 nothing, 3 left (lost), 4 connected (counted whole).
	require.Equal(t, 800*time.Millisecond, cpuSpent(before, after))
}

func TestSpliceSection(t *testing.T) {
	t.Parallel()
	doc := spliceSection("", "curves", "first")
	require.Equal(t, "<!-- curves: begin (generated, do not edit) -->\nfirst\n<!-- curves: end -->\n", doc)
	doc = "# Results\n\nby hand\n"
	doc = spliceSection(doc, "curves", "one\n")
	doc = spliceSection(doc, "journey", "two")
	doc = spliceSection(doc, "curves", "three")
	require.Equal(t, "# Results\n\nby hand\n\n"+
		"<!-- curves: begin (generated, do not edit) -->\nthree\n<!-- curves: end -->\n\n"+
		"<!-- journey: begin (generated, do not edit) -->\ntwo\n<!-- journey: end -->\n", doc)

	path := filepath.Join(t.TempDir(), "R.md")
	require.NoError(t, writeSection(path, "x", "body"))
	require.NoError(t, writeSection(path, "x", "new body"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(b), "begin"))
	require.Contains(t, string(b), "new body")
}

func TestSearchTerms(t *testing.T) {
	t.Parallel()
	w, p := searchTerms("Classic Tembo Phone 0001")
	require.Equal(t, "classic", w)
	require.Equal(t, "classic tembo", p)
	w, p = searchTerms("0001 Kettle")
	require.Equal(t, "kettle", w)
	require.Empty(t, p)
	w, p = searchTerms("")
	require.Empty(t, w)
	require.Empty(t, p)
}

// TestPickFollowsTheWeights: every roll lands on one step, and each step
// gets exactly its weight's share of the rolls.
func TestPickFollowsTheWeights(t *testing.T) {
	t.Parallel()
	total := 0
	for _, s := range journeyMix {
		total += s.weight
	}
	require.Equal(t, 100, total)
	got := make([]int, len(journeyMix))
	for roll := range total {
		got[pick(journeyMix, roll)]++
	}
	groups := map[string]int{}
	for i, s := range journeyMix {
		require.Equal(t, s.weight, got[i], s.name)
		groups[s.group] += got[i]
	}
	require.Equal(t, map[string]int{"browse": 70, "search": 15, "cart": 10, "checkout": 5}, groups)
	require.Len(t, journeyMix, stepCheckout+1)
	require.Contains(t, journeyMix[stepAdd].name, "cartLinesAdd")
	require.Contains(t, journeyMix[stepUpdate].name, "cartLinesUpdate")
	require.Contains(t, journeyMix[stepCheckout].name, "placeOrder")
	for i := range stepAdd {
		require.Contains(t, []string{"browse", "search"}, journeyMix[i].group)
	}
}

func TestParseCacheCounters(t *testing.T) {
	t.Parallel()
	_, _, ok := parseCacheCounters([]byte("savannah_sql_statements_total 12\nsavannah_catalog_cache_bytes 3\n"))
	require.False(t, ok)
	m := "# HELP savannah_catalog_cache_requests_total x\n" +
		"savannah_catalog_cache_requests_total{result=\"hit\"} 90\n" +
		"savannah_catalog_cache_requests_total{result=\"miss\"} 10\n" +
		"savannah_sql_statements_total 5\n"
	h, mi, ok := parseCacheCounters([]byte(m))
	require.True(t, ok)
	require.Equal(t, 90.0, h)
	require.Equal(t, 10.0, mi)
}

func TestCode(t *testing.T) {
	t.Parallel()
	require.Equal(t, "INSUFFICIENT_STOCK", code(&userError{"INSUFFICIENT_STOCK", "x"}))
	require.Equal(t, "BAD_USER_INPUT,INTERNAL_SERVER_ERROR", code(&answerError{codes: []string{"BAD_USER_INPUT", "INTERNAL_SERVER_ERROR"}}))
	require.Equal(t, "transport", code(errors.New("connection refused")))
	var tally codeTally
	tally.add(&userError{"B", ""})
	tally.add(&userError{"A", ""})
	tally.add(&userError{"B", ""})
	require.Equal(t, "A × 1, B × 2", tally.String())
}

func TestLogScale(t *testing.T) {
	t.Parallel()
	require.InDelta(t, 0, logScale(1000, 1000, 100000, 0, 100), 1e-9)
	require.InDelta(t, 50, logScale(10000, 1000, 100000, 0, 100), 1e-9)
	require.InDelta(t, 100, logScale(100000, 1000, 100000, 0, 100), 1e-9)
	// Inverted (a y axis), clamped.
	require.InDelta(t, 300, logScale(1, 10, 1000, 300, 30), 1e-9)
	from, to := decades(2000, 200000)
	require.Equal(t, 1000.0, from)
	require.Equal(t, 1e6, to)
	require.Equal(t, []float64{1000, 2000, 5000, 10000}, logTicks(1000, 10000))
}

// TestPlotSVG: the plot is well-formed XML with one line per series and
// a legend entry each; points sit inside their panel.
func TestPlotSVG(t *testing.T) {
	t.Parallel()
	points := []curvePoint{
		{Size: 2000, DB: "postgres", Op: "Q1", RPS: 300, P99ms: 40},
		{Size: 20000, DB: "postgres", Op: "Q1", RPS: 290, P99ms: 45},
		{Size: 200000, DB: "postgres", Op: "Q1", RPS: 280, P99ms: 50},
		{Size: 2000, DB: "sqlite", Op: "Q3b", RPS: 50, P99ms: 900},
		{Size: 200000, DB: "sqlite", Op: "Q3b", RPS: 0, P99ms: 0}, // failed: left out
	}
	rps := curveSeries(points, func(p curvePoint) float64 { return p.RPS })
	require.Len(t, rps, 2)
	require.Equal(t, []float64{2000, 20000, 200000}, rps[0].x)
	require.True(t, rps[1].dashed)
	svg := plotSVG("test <plot>", rps, curveSeries(points, func(p curvePoint) float64 { return p.P99ms }))

	dec := xml.NewDecoder(strings.NewReader(svg))
	polylines, circles := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			require.ErrorContains(t, err, "EOF")
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				polylines++
			case "circle":
				circles++
				for _, a := range se.Attr {
					if a.Name.Local == "cx" || a.Name.Local == "cy" {
						require.NotContains(t, a.Value, "NaN")
					}
				}
			}
		}
	}
	require.Equal(t, 4, polylines) // 2 series × 2 panels
	require.Equal(t, 8, circles)   // 4 plotted points × 2 panels
	require.Contains(t, svg, "test &lt;plot&gt;")
	require.Contains(t, svg, "Q3b sqlite")
}

func TestCurvesMarkdown(t *testing.T) {
	t.Parallel()
	points := []curvePoint{
		{Size: 2000, DB: "postgres", Op: "Q1", RPS: 300, Concurrency: 16, AnonPeakKB: 30000, CeilingRPS: 600, Date: "2026-12-07T12:00:00Z"},
		{Size: 200000, DB: "postgres", Op: "Q1", RPS: 150, Concurrency: 16, AnonPeakKB: 45000, CeilingRPS: 500, Date: "2026-12-07T12:30:00Z"},
		{Size: 2000, DB: "sqlite", Op: "Q1", RPS: 200, Concurrency: 16, DBCPUms: -1, AnonPeakKB: 40000, Date: "2026-12-07T12:10:00Z"},
	}
	md := curvesMarkdown(points, "curves.svg", "")
	require.Contains(t, md, "| postgres | Q1 | 200000 | 150 | 0.50 |")
	require.Contains(t, md, "| 30 % (500 req/s) |")
	require.Contains(t, md, "| sqlite | Q1 | 2000 | 200 | 1.00 |")
	require.Contains(t, md, "in server")
	require.Contains(t, md, "| 200000 | postgres | 0.0 MB | 43.9 MB |")
	require.Contains(t, md, "2026-12-07T12:00:00Z to 2026-12-07T12:30:00Z")
}

func TestSectionsSurviveARewrite(t *testing.T) {
	t.Parallel()
	old := spliceSection(spliceSection("# old report\n", "curves", "| a |\n| b |"), "journey-sqlite", "j")
	names, bodies := sections(old)
	require.Equal(t, []string{"curves", "journey-sqlite"}, names)
	require.Equal(t, []string{"| a |\n| b |", "j"}, bodies)
	doc := "# new report\n"
	for i := range names {
		doc = spliceSection(doc, names[i], bodies[i])
	}
	require.Equal(t, strings.Replace(old, "# old report", "# new report", 1), doc)
}

// TestReadPoints: PostgreSQL first, operations in table order, sizes
// ascending, and a later point for the same cell replaces the earlier.
func TestReadPoints(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.jsonl")
	lines := []string{
		`{"size":20000,"db":"sqlite","op":"Q1","rps":1}`,
		`{"size":2000,"db":"postgres","op":"S1","rps":2}`,
		`{"size":20000,"db":"postgres","op":"Q1","rps":3}`,
		`{"size":2000,"db":"postgres","op":"Q1","rps":4}`,
		``,
		`{"size":2000,"db":"postgres","op":"Q1","rps":5}`,
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644))
	ps, err := readPoints(path)
	require.NoError(t, err)
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%s %s %d %.0f", p.DB, p.Op, p.Size, p.RPS))
	}
	require.Equal(t, []string{"postgres Q1 2000 5", "postgres Q1 20000 3", "postgres S1 2000 2", "sqlite Q1 20000 1"}, got)
}

func TestHitEstimate(t *testing.T) {
	t.Parallel()
	// 100 reads of 3 statements each would run 300 on misses; the writes
	// ran 500 of the 560: 60 read statements, so 20 % missed.
	require.Contains(t, hitEstimate(100, 300, 500, 560), "about **80 %** of reads were hits")
	// More statements than calibrated: no hits, never a negative rate.
	require.Contains(t, hitEstimate(100, 300, 500, 900), "about **0 %**")
	require.Contains(t, hitEstimate(100, 300, 500, 400), "about **100 %**")
	require.Equal(t, "no reads.", hitEstimate(0, 0, 10, 10))
}

func TestTopCounts(t *testing.T) {
	t.Parallel()
	m := map[string]int{"Lock:transactionid": 120, "CPU": 10, "LWLock:WALWrite": 30, "IO:DataFileRead": 30}
	require.Equal(t, "`Lock:transactionid` 12.00, `IO:DataFileRead` 3.00, `LWLock:WALWrite` 3.00", topCounts(m, 10, 3))
	require.Equal(t, "none", topCounts(nil, 10, 3))
	require.Equal(t, "none", topCounts(m, 0, 3))
}
