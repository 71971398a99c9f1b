package main

import (
	"fmt"
	"github.com/savannah-commerce/savannah/bench/internal/stats"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Run is what one `wsload run` measures: one database setup at one number
// of sockets. It is written as JSON, and `wsload report` renders a set of
// them.
type Run struct {
	Label    string `json:"label"`    // "SQLite, 1 replica", "PostgreSQL + Redis, 2 replicas"
	Replicas int    `json:"replicas"` // server processes the sockets are spread over
	Sockets  int    `json:"sockets"`  // asked for
	Clients  int    `json:"clients"`  // load generator processes
	Token    string `json:"token"`    // whose token the sockets use

	Opened      int            `json:"opened"`
	Failed      int            `json:"failed"` // refused (HTTP 503/429…), closed (1013/1008…), timed out
	FailReasons map[string]int `json:"failReasons,omitempty"`
	OpenSeconds float64        `json:"openSeconds"`

	// Server memory, summed over the replicas, in kB: before any socket
	// and after all are open and idle.
	RSSBeforeKB  int `json:"rssBeforeKB"`
	RSSAfterKB   int `json:"rssAfterKB"`
	AnonBeforeKB int `json:"anonBeforeKB"`
	AnonAfterKB  int `json:"anonAfterKB"`

	// Server CPU (utime+stime, all replicas) while the sockets sit idle.
	IdleCPUSeconds float64 `json:"idleCpuSeconds"`
	IdleSeconds    float64 `json:"idleSeconds"`

	OrdersCreated  int     `json:"ordersCreated"` // for shape 2, by this run
	OrdersSeconds  float64 `json:"ordersSeconds"`
	OrdersReused   int     `json:"ordersReused"` // from earlier runs
	OrderWorkers   int     `json:"orderWorkers"`
	OneOrder       *FanOut `json:"oneOrder,omitempty"`   // shape 1
	OwnOrder       *FanOut `json:"ownOrder,omitempty"`   // shape 2
	Dashboards     *Feed   `json:"dashboards,omitempty"` // shape 3
	StartedAt      string  `json:"startedAt"`
	ServerLogLines int     `json:"serverLogLines,omitempty"`
}

// FanOut is shapes 1 and 2: changes made through GraphQL, and the next
// messages they caused.
type FanOut struct {
	Changes    int     `json:"changes"`
	Expected   int     `json:"expected"`  // messages the changes should cause
	Received   int     `json:"received"`  // messages that arrived for them
	Misrouted  int     `json:"misrouted"` // on a socket not watching the changed order (shape 2)
	Unmatched  int     `json:"unmatched"` // next messages no change explains
	Errors     int     `json:"errors"`    // error messages and unexpected closes during the phase
	P50        float64 `json:"p50Ms"`     // arrival − t0 (just before the mutation was sent)
	P99        float64 `json:"p99Ms"`
	Max        float64 `json:"maxMs"`
	MutationMs float64 `json:"mutationMs"` // median response time of the mutations
	CPUSeconds float64 `json:"cpuSeconds"` // server CPU over the phase (all replicas)
	Seconds    float64 `json:"seconds"`    // length of the phase
}

// Feed is shape 3: staff dashboards on orderEvents while orders are placed.
type Feed struct {
	Dashboards int     `json:"dashboards"`
	Opened     int     `json:"opened"`
	Workers    int     `json:"workers"`
	Seconds    float64 `json:"seconds"`
	Placed     int     `json:"placed"`
	Failed     int     `json:"failed"`
	PerSecond  float64 `json:"perSecond"` // placeOrder throughput
	PlaceP50   float64 `json:"placeP50Ms"`
	Expected   int     `json:"expected"` // placed × opened dashboards
	Received   int     `json:"received"` // CREATED events for the placed orders
	P50        float64 `json:"p50Ms"`    // arrival − placeOrder's response
	P99        float64 `json:"p99Ms"`
	Max        float64 `json:"maxMs"`
	SentP50    float64 `json:"sentP50Ms"` // arrival − placeOrder sent
	SentP99    float64 `json:"sentP99Ms"`
	CPUSeconds float64 `json:"cpuSeconds"`
}

// summary is p50, p99 and max of lat in milliseconds (lat is sorted).
func summary(lat []time.Duration) (p50, p99, mx float64) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0, 0, 0
	}
	return msf(stats.Percentile(lat, 50)), msf(stats.Percentile(lat, 99)), msf(lat[len(lat)-1])
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// AnonPerSocketKB is the growth of the servers' anonymous memory per open
// socket.
func (r Run) AnonPerSocketKB() float64 {
	if r.Opened == 0 {
		return 0
	}
	return float64(r.AnonAfterKB-r.AnonBeforeKB) / float64(r.Opened)
}

// IdleCores is the CPU the servers used while the sockets sat idle, in cores.
func (r Run) IdleCores() float64 {
	if r.IdleSeconds == 0 {
		return 0
	}
	return r.IdleCPUSeconds / r.IdleSeconds
}

// fanOutCPU is the CPU a fan-out phase cost beyond what the same sockets
// cost idle over the same time (pings, re-checks).
func (r Run) fanOutCPU(f *FanOut) float64 {
	return max(f.CPUSeconds-r.IdleCores()*f.Seconds, 0)
}

// Projection extrapolates a run linearly to target sockets per replica.
type Projection struct {
	Label          string
	FromSockets    int     // per replica, of the run it is based on
	Target         int     // sockets per replica
	AnonMB         float64 // baseline anonymous memory + per socket × target
	IdleCores      float64 // idle CPU per socket × target
	FanOutCPUSec   float64 // CPU seconds one change costs when every socket watches it
	PerMessageMsec float64 // CPU milliseconds per next message sent (shape 1)
}

// project extrapolates r to target sockets per replica. Baseline memory
// is one replica's before-sockets figure.
func project(r Run, target int) Projection {
	reps := max(r.Replicas, 1)
	p := Projection{Label: r.Label, FromSockets: r.Opened / reps, Target: target}
	p.AnonMB = (float64(r.AnonBeforeKB)/float64(reps) + r.AnonPerSocketKB()*float64(target)) / 1024
	if r.Opened > 0 {
		p.IdleCores = r.IdleCores() / float64(r.Opened) * float64(target)
	}
	if f := r.OneOrder; f != nil && f.Received > 0 {
		perMsg := r.fanOutCPU(f) / float64(f.Received)
		p.PerMessageMsec = perMsg * 1000
		p.FanOutCPUSec = perMsg * float64(target)
	}
	return p
}

// sortRuns orders runs by label (as first seen) then sockets.
func sortRuns(runs []Run) []Run {
	order := map[string]int{}
	for _, r := range runs {
		if _, ok := order[r.Label]; !ok {
			order[r.Label] = len(order)
		}
	}
	out := slices.Clone(runs)
	sort.SliceStable(out, func(i, j int) bool {
		if order[out[i].Label] != order[out[j].Label] {
			return order[out[i].Label] < order[out[j].Label]
		}
		return out[i].Sockets < out[j].Sockets
	})
	return out
}

// labels in first-seen order.
func labels(runs []Run) []string {
	var out []string
	for _, r := range runs {
		if !slices.Contains(out, r.Label) {
			out = append(out, r.Label)
		}
	}
	return out
}

// renderSection is the "Subscriptions at scale" section of bench/RESULTS.md.
func renderSection(runs []Run, machine, date, note, svg string, target int) string {
	runs = sortRuns(runs)
	var b strings.Builder
	fmt.Fprintf(&b, "## Subscriptions at scale\n\n")
	fmt.Fprintf(&b, "Measured %s by `bash bench/ws.sh` (load generator: `bench/wsload`).", date)
	if note != "" {
		fmt.Fprintf(&b, " %s", note)
	}
	fmt.Fprintf(&b, "\n\n%s\n", machine)
	fmt.Fprintf(&b, "Every socket speaks graphql-transport-ws with one subscription and answers the server's pings. "+
		"Sockets open at a controlled rate from several client processes and loopback source addresses; "+
		"a change is made through GraphQL on the first replica, t0 taken just before the mutation is sent, "+
		"and every socket records when the resulting `next` arrives: the time the kernel received its bytes into the client's socket "+
		"(SO_TIMESTAMPNS; on loopback, the moment the server's write put them there), so the load generator's own lag in reading, "+
		"on the cores it shares with the servers, is not counted (runs before 2026-12-07 22:00 UTC took the time of the read). "+
		"The client processes read their sockets through one epoll loop each, outside Go's poller. Memory is the servers' anonymous RSS "+
		"(heap, stacks) after all sockets are open and idle (the lower of two samples, 5 s and 15 s after the last opened), less the same figure before the first socket. "+
		"CPU is utime+stime from /proc. Latencies are over all sockets and all changes.\n\n")
	fmt.Fprintf(&b, "To run it: `bash bench/ws.sh` (about 15 minutes on a quiet machine; `SIZES=200,2000` for a quick look, "+
		"`DATABASES=sqlite` for one setup). It builds the server and `bench/wsload`, starts PostgreSQL and Redis through "+
		".ci/services.sh, starts fresh servers on 127.0.0.1:18180 (and :18181) for each size, rewrites this section and "+
		"bench/subscriptions.svg, and stops the servers by PID. Run it after bench/run.sh, which rewrites this file.\n\n")
	if svg != "" {
		fmt.Fprintf(&b, "![fan-out latency and memory per socket](%s)\n\n", svg)
	}

	fmt.Fprintf(&b, "### Sockets, memory, idle CPU\n\n")
	fmt.Fprintf(&b, "| setup | sockets | opened | failed | open time | RSS before → after | anonymous per socket | idle CPU |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %.1f s | %.0f → %.0f MB | %.1f kB | %.2f cores |\n",
			r.Label, r.Sockets, r.Opened, failures(r), r.OpenSeconds,
			float64(r.RSSBeforeKB)/1024, float64(r.RSSAfterKB)/1024, r.AnonPerSocketKB(), r.IdleCores())
	}

	fmt.Fprintf(&b, "\n### Shape 1: every socket watches one order\n\n")
	fmt.Fprintf(&b, "`orderUpdated(id)` with a staff token on every socket; the changes are `updateOrderStatus` along "+
		"CONFIRMED → SHIPPED → DELIVERED → REFUNDED (the only repeatable staff change of one order: four per order), "+
		"spaced apart; after four, every socket completes its subscription and subscribes to a fresh order (that move is neither timed nor in the CPU). Expected messages: sockets × changes. Server CPU per change is the CPU of the phase less the idle CPU over the same time.\n\n")
	fmt.Fprintf(&b, "| setup | sockets | changes | messages received / expected | p50 | p99 | max | mutation p50 | server CPU per change |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		if f := r.OneOrder; f != nil {
			fmt.Fprintf(&b, "| %s | %d | %d | %d / %d%s | %s | %s | %s | %s | %.2f s |\n", r.Label, r.Opened, f.Changes,
				f.Received, f.Expected, extras(f), ms(f.P50), ms(f.P99), ms(f.Max), ms(f.MutationMs), perChange(r, f))
		}
	}

	fmt.Fprintf(&b, "\n### Shape 2: each socket watches its own order\n\n")
	fmt.Fprintf(&b, "One order per socket (placed through GraphQL as guest checkouts beforehand); each change moves one "+
		"order, so exactly one message in total must arrive, on the socket watching it. Messages are counted at every socket.\n\n")
	fmt.Fprintf(&b, "| setup | sockets | orders placed (time) | changes | messages received / expected | p50 | p99 | max | server CPU per change |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		if f := r.OwnOrder; f != nil {
			placed := fmt.Sprintf("%d in %.0f s (%d workers)", r.OrdersCreated, r.OrdersSeconds, r.OrderWorkers)
			if r.OrdersReused > 0 {
				placed += fmt.Sprintf(", %d reused", r.OrdersReused)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %d | %d / %d%s | %s | %s | %s | %.3f s |\n", r.Label, r.Opened, placed, f.Changes,
				f.Received, f.Expected, extras(f), ms(f.P50), ms(f.P99), ms(f.Max), perChange(r, f))
		}
	}

	var feeds []Run
	for _, r := range runs {
		if r.Dashboards != nil {
			feeds = append(feeds, r)
		}
	}
	if len(feeds) > 0 {
		fmt.Fprintf(&b, "\n### Shape 3: staff dashboards on `orderEvents` while orders are placed\n\n")
		fmt.Fprintf(&b, "Guest checkouts (`cartCreate` + `placeOrder`) from a few workers for a fixed time; latency from "+
			"each placeOrder's response (and, in brackets, from its request) to the CREATED event's arrival on each dashboard. "+
			"The event is published at commit, before the response is written, so the first figure can be near zero. "+
			"Fewer events received than expected means events were lost (a subscriber queue that overflowed) or still queued "+
			"when the wait ended (15 s without a new one).\n\n")
		fmt.Fprintf(&b, "| setup | dashboards | workers | placeOrder/s | placeOrder p50 | events received / expected | p50 | p99 | max |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range feeds {
			f := r.Dashboards
			fmt.Fprintf(&b, "| %s | %d/%d | %d | %.1f | %s | %d / %d | %s (%s) | %s (%s) | %s |\n", r.Label, f.Opened, f.Dashboards, f.Workers,
				f.PerSecond, ms(f.PlaceP50), f.Received, f.Expected, ms(f.P50), ms(f.SentP50), ms(f.P99), ms(f.SentP99), ms(f.Max))
		}
	}

	fmt.Fprintf(&b, "\n### Projection to %d sockets per replica (extrapolated, not measured)\n\n", target)
	fmt.Fprintf(&b, "Linear in the sockets, from the largest run of each setup: memory = one replica's baseline + anonymous "+
		"per socket × %d; idle CPU = idle CPU per socket × %d; one change watched by every socket = CPU per message × %d. "+
		"Real growth need not be linear (GC, scheduler, the kernel's socket buffers are not in RSS).\n\n", target, target, target)
	fmt.Fprintf(&b, "| setup | from (sockets per replica) | anonymous memory | idle CPU | CPU per message | CPU for one change to all |\n|---|---|---|---|---|---|\n")
	for _, l := range labels(runs) {
		var last Run
		for _, r := range runs {
			if r.Label == l && r.Opened >= last.Opened {
				last = r
			}
		}
		p := project(last, target)
		fmt.Fprintf(&b, "| %s | %d | %.0f MB | %.2f cores | %.3f ms | %.1f s |\n", p.Label, p.FromSockets, p.AnonMB, p.IdleCores, p.PerMessageMsec, p.FanOutCPUSec)
	}
	return b.String()
}

func failures(r Run) string {
	if r.Failed == 0 {
		return "0"
	}
	keys := make([]string, 0, len(r.FailReasons))
	for k := range r.FailReasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.FailReasons[k]))
	}
	return fmt.Sprintf("%d (%s)", r.Failed, strings.Join(parts, ", "))
}

func extras(f *FanOut) string {
	var s []string
	if f.Misrouted > 0 {
		s = append(s, fmt.Sprintf("%d on the wrong socket", f.Misrouted))
	}
	if f.Unmatched > 0 {
		s = append(s, fmt.Sprintf("%d unexplained", f.Unmatched))
	}
	if f.Errors > 0 {
		s = append(s, fmt.Sprintf("%d errors/closes", f.Errors))
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, "; ") + ")"
}

// perChange is the server CPU one change cost, idle CPU taken out.
func perChange(r Run, f *FanOut) float64 {
	if f.Changes == 0 {
		return 0
	}
	return r.fanOutCPU(f) / float64(f.Changes)
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// renderSVG draws two small charts side by side: shape 1's fan-out p50 and
// p99 against sockets, and anonymous memory per socket against sockets,
// one colour per setup.
func renderSVG(runs []Run, title string) string {
	runs = sortRuns(runs)
	const w, h, pw, ph, left, top = 760, 300, 300, 200, 60, 40
	colours := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">%s</text>`+"\n", left, xmlEscape(title))
	maxSockets := 1
	for _, r := range runs {
		maxSockets = max(maxSockets, r.Opened)
	}
	type series struct {
		name   string
		colour string
		dash   bool
		pts    [][2]float64
	}
	panel := func(x0 int, heading, unit string, ss []series) {
		ymax := 0.0
		for _, s := range ss {
			for _, p := range s.pts {
				ymax = math.Max(ymax, p[1])
			}
		}
		ymax = niceCeil(ymax)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", x0, top-6, xmlEscape(heading))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0, top, pw, ph)
		for i := 0; i <= 4; i++ {
			y := float64(top+ph) - float64(ph)*float64(i)/4
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`+"\n", x0, x0+pw, y, y)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-4, y+4, trimFloat(ymax*float64(i)/4))
		}
		for i := 0; i <= 4; i++ {
			x := float64(x0) + float64(pw)*float64(i)/4
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x, top+ph+14, maxSockets*i/4)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">sockets (%s)</text>`+"\n", x0+pw/2, top+ph+30, unit)
		for _, s := range ss {
			var pts []string
			for _, p := range s.pts {
				x := float64(x0) + float64(pw)*p[0]/float64(maxSockets)
				y := float64(top+ph) - float64(ph)*p[1]/ymax
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`+"\n", x, y, s.colour)
			}
			dash := ""
			if s.dash {
				dash = ` stroke-dasharray="4 3"`
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s"%s/>`+"\n", strings.Join(pts, " "), s.colour, dash)
		}
	}
	var lat, mem []series
	for i, l := range labels(runs) {
		c := colours[i%len(colours)]
		p50 := series{name: l + " p50", colour: c}
		p99 := series{name: l + " p99", colour: c, dash: true}
		m := series{name: l, colour: c}
		for _, r := range runs {
			if r.Label != l {
				continue
			}
			if r.OneOrder != nil {
				p50.pts = append(p50.pts, [2]float64{float64(r.Opened), r.OneOrder.P50})
				p99.pts = append(p99.pts, [2]float64{float64(r.Opened), r.OneOrder.P99})
			}
			m.pts = append(m.pts, [2]float64{float64(r.Opened), r.AnonPerSocketKB()})
		}
		lat = append(lat, p50, p99)
		mem = append(mem, m)
	}
	panel(left, "fan-out to one order: p50 (solid), p99 (dashed), ms", "all replicas", lat)
	panel(left+pw+90, "server anonymous memory per socket, kB", "all replicas", mem)
	for i, l := range labels(runs) {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			left+i*300, h-18, colours[i%len(colours)], left+i*300+14, h-9, xmlEscape(l))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for v ≤ 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
