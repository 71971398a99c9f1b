package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestSummarySortsAndReportsMilliseconds(t *testing.T) {
	p50, p99, mx := summary(durations(30, 10, 20, 40))
	require.Equal(t, 20.0, p50)
	require.Equal(t, 40.0, p99)
	require.Equal(t, 40.0, mx)
	p50, p99, mx = summary(nil)
	require.Zero(t, p50+p99+mx)
}

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a parenthesis; utime 250, stime 50 ticks.
	stat := "1234 (server (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 500 1000000 2000"
	require.InDelta(t, 3.0, parseStatCPU(stat), 1e-9)
	require.Zero(t, parseStatCPU("garbage"))
}

func TestNextStatusFollowsTheChain(t *testing.T) {
	require.Equal(t, "CONFIRMED", next("PENDING"))
	require.Equal(t, "REFUNDED", next("DELIVERED"))
	require.Equal(t, "", next("REFUNDED"))
	require.Equal(t, "", next("CANCELLED"))
}

func sampleRuns() []Run {
	return []Run{
		{Label: "PostgreSQL + Redis, 2 replicas", Replicas: 2, Sockets: 2000, Opened: 2000,
			AnonBeforeKB: 100 * 1024, AnonAfterKB: 100*1024 + 2000*20, IdleCPUSeconds: 1, IdleSeconds: 10,
			OneOrder: &FanOut{Changes: 4, Expected: 8000, Received: 8000, P50: 40, P99: 90, Max: 120, CPUSeconds: 8.8, Seconds: 8}},
		{Label: "SQLite, 1 replica", Replicas: 1, Sockets: 4000, Opened: 3990, Failed: 10, FailReasons: map[string]int{"HTTP 503": 7, "closed 1013": 3},
			AnonBeforeKB: 50 * 1024, AnonAfterKB: 50*1024 + 3990*30, IdleCPUSeconds: 2, IdleSeconds: 10,
			OneOrder:   &FanOut{Changes: 4, Expected: 15960, Received: 15950, Errors: 10, P50: 80, P99: 300, Max: 400, CPUSeconds: 6, Seconds: 10},
			OwnOrder:   &FanOut{Changes: 10, Expected: 10, Received: 10, Misrouted: 1, P50: 5, P99: 9, Max: 9},
			Dashboards: &Feed{Dashboards: 500, Opened: 500, Workers: 4, PerSecond: 42.5, Placed: 850, Expected: 425000, Received: 420000, P50: 12, P99: 900}},
		{Label: "SQLite, 1 replica", Replicas: 1, Sockets: 1000, Opened: 1000,
			AnonBeforeKB: 50 * 1024, AnonAfterKB: 50*1024 + 1000*25, IdleSeconds: 10,
			OneOrder: &FanOut{Changes: 4, Expected: 4000, Received: 4000, P50: 20, P99: 50, Max: 60}},
	}
}

func TestProjectionIsLinearFromTheRun(t *testing.T) {
	r := sampleRuns()[0]
	require.InDelta(t, 20.0, r.AnonPerSocketKB(), 1e-9)
	require.InDelta(t, 0.1, r.IdleCores(), 1e-9)
	p := project(r, 50000)
	require.Equal(t, 1000, p.FromSockets, "per replica")
	// One replica's baseline (50 MiB) + 20 kB × 50,000.
	require.InDelta(t, 50+20.0*50000/1024, p.AnonMB, 1e-6)
	require.InDelta(t, 0.1/2000*50000, p.IdleCores, 1e-9)
	// The phase cost 8.8 s, of which 0.1 cores × 8 s was idle: 8 s for 8000 messages.
	require.InDelta(t, 1.0, p.PerMessageMsec, 1e-9)
	require.InDelta(t, 50.0, p.FanOutCPUSec, 1e-9)

	empty := project(Run{Label: "x"}, 50000)
	require.Zero(t, empty.AnonMB+empty.IdleCores+empty.FanOutCPUSec)
}

func TestRenderSection(t *testing.T) {
	md := renderSection(sampleRuns(), "- CPU: test\n", "2026-12-07 12:00 UTC", "On a busy machine.", "subscriptions.svg", 50000)
	require.True(t, strings.HasPrefix(md, "## Subscriptions at scale\n"))
	require.Contains(t, md, "On a busy machine.")
	require.Contains(t, md, "![fan-out latency and memory per socket](subscriptions.svg)")
	// Runs of one setup together, in the order setups first appear, sizes ascending.
	pg := strings.Index(md, "| PostgreSQL + Redis, 2 replicas | 2000 | 2000 |")
	small := strings.Index(md, "| SQLite, 1 replica | 1000 | 1000 |")
	big := strings.Index(md, "| SQLite, 1 replica | 4000 | 3990 |")
	require.True(t, pg >= 0 && small > pg && big > small, md)
	require.Contains(t, md, "10 (HTTP 503: 7, closed 1013: 3)")
	require.Contains(t, md, "15950 / 15960 (10 errors/closes)")
	require.Contains(t, md, "10 / 10 (1 on the wrong socket)")
	require.Contains(t, md, "420000 / 425000")
	require.Contains(t, md, "### Projection to 50000 sockets per replica (extrapolated, not measured)")
	// The projection uses each setup's largest run: SQLite from 3990 sockets.
	require.Contains(t, md, "| SQLite, 1 replica | 3990 |")
	require.Contains(t, md, "| PostgreSQL + Redis, 2 replicas | 1000 |")
}

func TestRenderSVGIsWellFormed(t *testing.T) {
	svg := renderSVG(sampleRuns(), "Subscriptions & sockets")
	d := xml.NewDecoder(strings.NewReader(svg))
	polylines := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	// Two setups: p50 and p99 lines, and a memory line, each.
	require.Equal(t, 6, polylines)
	require.Contains(t, svg, "Subscriptions &amp; sockets")
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1.2: 2, 3: 5, 7: 10, 420: 500} {
		require.InDelta(t, want, niceCeil(in), 1e-9, "niceCeil(%v)", in)
	}
}
