// Command wsload measures GraphQL subscriptions at scale: how much server
// memory and CPU each open socket costs, and how long a change takes to
// reach every socket watching it, in three shapes (every socket watching
// one order; each socket its own order; staff dashboards on the order
// feed while orders are placed).
//
//	wsload run -urls http://127.0.0.1:18180/graphql -pids 1234 -sockets 2000 -out run.json …
//	wsload report -out section.md -svg bench/subscriptions.svg run1.json run2.json …
//	wsload client   (started by run: holds a share of the sockets)
//
// The sockets are spread over client processes (each process may hold
// only so many open files) and loopback source addresses (so ephemeral
// ports never run out). Every phase has a timeout and the client
// processes stop by themselves. Loopback only. Run it through
// bench/ws.sh, which starts the servers.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/savannah-commerce/savannah/bench/internal/host"
)

func main() {
	var err error
	switch cmd := append(os.Args[1:], "")[0]; cmd {
	case "run":
		err = runRun(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	case "client":
		err = runClient(os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("usage: wsload run|report|client (got %q)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
}

type runConfig struct {
	label        string
	urls         []string // GraphQL over HTTP, one per replica; changes go to the first
	pids         []int
	email, pass  string
	sockets      int
	perProcess   int
	rate         float64
	localAddrs   int
	settle       time.Duration
	idle         time.Duration
	spacing      time.Duration
	drain        time.Duration
	changes      int
	ownChanges   int
	ordersFile   string
	orderWorkers int
	dashboards   int
	placeWorkers int
	placeFor     time.Duration
	timeout      time.Duration
	out          string
}

func runRun(args []string) error {
	var c runConfig
	var urls, pids string
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&c.label, "label", "SQLite", "name of the setup in the report")
	fs.StringVar(&urls, "urls", "http://127.0.0.1:18180/graphql", "comma-separated GraphQL endpoints, one per replica (loopback only)")
	fs.StringVar(&pids, "pids", "", "comma-separated server process IDs, for memory and CPU")
	fs.StringVar(&c.email, "email", "", "staff account (orders:read and orders:write)")
	fs.StringVar(&c.pass, "password", "", "its password")
	fs.IntVar(&c.sockets, "sockets", 2000, "sockets for shapes 1 and 2")
	fs.IntVar(&c.perProcess, "per-process", 5000, "sockets per client process (each process may hold only so many open files)")
	fs.Float64Var(&c.rate, "rate", 1000, "sockets opened per second, all client processes together")
	fs.IntVar(&c.localAddrs, "local-addrs", 8, "loopback source addresses 127.0.0.2… to spread the sockets over")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "wait after the last socket opens before measuring memory")
	fs.DurationVar(&c.idle, "idle", 10*time.Second, "window for the idle CPU sample")
	fs.DurationVar(&c.spacing, "spacing", 2*time.Second, "time between two changes")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "longest wait for the messages of a phase after its last change")
	fs.IntVar(&c.changes, "changes", 8, "changes in shape 1: four per watched order (CONFIRMED → REFUNDED), then every socket moves to a fresh order")
	fs.IntVar(&c.ownChanges, "own-changes", 10, "changes in shape 2 (one order each)")
	fs.StringVar(&c.ordersFile, "orders-file", "", "order IDs for shape 2, kept between runs (created when missing)")
	fs.IntVar(&c.orderWorkers, "order-workers", 8, "concurrent workers placing shape 2's orders")
	fs.IntVar(&c.dashboards, "dashboards", 0, "staff dashboards on orderEvents for shape 3 (0: skip shape 3)")
	fs.IntVar(&c.placeWorkers, "place-workers", 4, "workers placing orders in shape 3")
	fs.DurationVar(&c.placeFor, "place-for", 20*time.Second, "how long shape 3 places orders")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "give up the whole run after this")
	fs.StringVar(&c.out, "out", "", "write the run's JSON here (default: stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, u := range strings.Split(urls, ",") {
		if err := loopback(u); err != nil {
			return err
		}
		c.urls = append(c.urls, u)
	}
	for _, p := range strings.Split(pids, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			c.pids = append(c.pids, n)
		}
	}
	if c.sockets < 1 || c.perProcess < 1 {
		return errors.New("-sockets and -per-process must be positive")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	r, err := measure(ctx, c)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	if c.out == "" {
		_, err = os.Stdout.Write(append(b, '\n'))
		return err
	}
	return os.WriteFile(c.out, append(b, '\n'), 0o644)
}

// loopback refuses any target off this machine.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-urls must be on loopback, not %q", u.Host)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[wsload] "+format+"\n", args...)
}

func measure(ctx context.Context, c runConfig) (Run, error) {
	r := Run{Label: c.label, Replicas: len(c.urls), Sockets: c.sockets, Token: "staff (the admin's access token)",
		StartedAt: time.Now().UTC().Format(time.RFC3339)}
	g := newGQL(c.urls[0])
	tok, err := g.login(ctx, c.email, c.pass)
	if err != nil {
		return r, fmt.Errorf("login as %s: %w", c.email, err)
	}
	g.token = tok
	variant, err := g.variant(ctx)
	if err != nil {
		return r, err
	}
	wsURLs := make([]string, len(c.urls))
	for i, u := range c.urls {
		wsURLs[i] = "ws" + strings.TrimPrefix(u, "http")
	}

	// Shape 1: every socket watches one fresh order.
	target, _, _, err := guestOrder(ctx, g, variant, fmt.Sprintf("one-%d", time.Now().UnixNano()))
	if err != nil {
		return r, fmt.Errorf("place the watched order: %w", err)
	}
	const qOne = `subscription($id:ID!){orderUpdated(id:$id){id status}}`
	subs := make([]sub, c.sockets)
	for i := range subs {
		subs[i] = sub{Sock: i, URL: i % len(c.urls), Query: qOne, Variables: map[string]any{"id": target}}
	}
	r.RSSBeforeKB, r.AnonBeforeKB = memKB(c.pids)
	logf("%s: shape 1, %d sockets on order %s", c.label, c.sockets, target)
	f, err := openFleet(ctx, c, wsURLs, tok, subs)
	if err != nil {
		return r, err
	}
	r.Clients, r.Opened, r.Failed, r.FailReasons, r.OpenSeconds = len(f.procs), f.opened, f.failed, f.reasons, f.openTime.Seconds()
	logf("opened %d, failed %d %v in %.1f s", f.opened, f.failed, f.reasons, r.OpenSeconds)
	sleep(ctx, c.settle)
	r.RSSAfterKB, r.AnonAfterKB = memKB(c.pids)
	cpu0 := cpuSeconds(c.pids)
	sleep(ctx, c.idle)
	r.IdleCPUSeconds, r.IdleSeconds = cpuSeconds(c.pids)-cpu0, c.idle.Seconds()
	// The lower of the two samples: the handshakes' garbage may not have
	// been collected at the first.
	if rss, anon := memKB(c.pids); anon < r.AnonAfterKB {
		r.RSSAfterKB, r.AnonAfterKB = rss, anon
	}
	logf("anonymous memory %d → %d kB (%.1f kB per socket), idle CPU %.2f cores", r.AnonBeforeKB, r.AnonAfterKB, r.AnonPerSocketKB(), r.IdleCores())
	// Sockets the server closed, or subscriptions it ended, while idle
	// count as failures.
	for _, e := range f.take() {
		if e.Ev == "closed" || e.Ev == "error" {
			r.Failed++
			r.FailReasons["while idle: "+e.Reason]++
		}
	}
	r.OneOrder = shapeOne(ctx, c, g, f, target, variant, r.IdleCores())
	f.stop()

	// Shape 2: each socket watches its own order.
	orders, reused, err := ensureOrders(ctx, c, g, variant, c.sockets, &r)
	if err != nil {
		return r, err
	}
	r.OrdersReused = reused
	// Access tokens live 15 minutes and open sockets are re-checked:
	// a fresh one for each set of sockets.
	if tok, err = g.login(ctx, c.email, c.pass); err != nil {
		return r, fmt.Errorf("login again: %w", err)
	}
	g.token = tok
	const qOwn = `subscription($id:ID!){orderUpdated(id:$id){id status}}`
	for i := range subs {
		subs[i] = sub{Sock: i, URL: i % len(c.urls), Query: qOwn, Variables: map[string]any{"id": orders[i]}}
	}
	logf("%s: shape 2, %d sockets, one order each", c.label, c.sockets)
	f, err = openFleet(ctx, c, wsURLs, tok, subs)
	if err != nil {
		return r, err
	}
	logf("opened %d, failed %d %v", f.opened, f.failed, f.reasons)
	sleep(ctx, c.settle)
	f.take()
	r.OwnOrder = shapeTwo(ctx, c, g, f, orders)
	f.stop()

	if c.dashboards > 0 {
		if tok, err = g.login(ctx, c.email, c.pass); err != nil {
			return r, fmt.Errorf("login again: %w", err)
		}
		g.token = tok
		logf("%s: shape 3, %d dashboards, %d workers placing orders for %s", c.label, c.dashboards, c.placeWorkers, c.placeFor)
		r.Dashboards, err = shapeThree(ctx, c, g, wsURLs, tok, variant)
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// shapeOne moves the watched order along the status chain, one change per
// spacing; after four changes every socket moves to a fresh order
// (complete, subscribe again) until c.changes are made. Every socket's
// next messages are matched to the changes by the order and status they
// carry.
func shapeOne(ctx context.Context, c runConfig, g *gqlClient, f *fleet, target, variant string, idleCores float64) *FanOut {
	out := &FanOut{}
	t0 := map[string]time.Time{} // order/status → when its change was sent
	var took []time.Duration
	start, cpu0 := time.Now(), cpuSeconds(c.pids)
	var idle time.Duration // spent moving the sockets to a fresh order, left out
	var idleCPU float64
	for out.Changes < c.changes && ctx.Err() == nil {
		if out.Changes > 0 {
			t, cpu := time.Now(), cpuSeconds(c.pids)
			fresh, _, _, err := guestOrder(ctx, g, variant, fmt.Sprintf("one-%d", time.Now().UnixNano()))
			if err != nil {
				logf("place the next watched order: %v", err)
				break
			}
			target = fresh
			f.resubscribe(map[string]any{"id": target})
			logf("every socket now watches order %s", target)
			sleep(ctx, c.settle)
			// Thousands of subscriptions take a while to set up: the next
			// change waits until the servers are as quiet as they were
			// idle, so that it measures the fan-out, not that backlog.
			if d := waitQuiet(ctx, c.pids, idleCores, time.Minute); d > 0 {
				logf("the servers were busy setting up for another %.1f s", d.Seconds())
			}
			idle += time.Since(t)
			idleCPU += cpuSeconds(c.pids) - cpu
		}
		for _, s := range chain[1:] {
			if out.Changes >= c.changes {
				break
			}
			sent, d, err := g.setStatus(ctx, target, s)
			if err != nil {
				logf("change to %s: %v", s, err)
				break
			}
			t0[target+"/"+s] = sent
			took = append(took, d)
			out.Changes++
			sleep(ctx, c.spacing)
		}
	}
	out.Expected = out.Changes * f.opened
	evs := f.await(ctx, out.Expected, c.drain)
	out.CPUSeconds, out.Seconds = cpuSeconds(c.pids)-cpu0-idleCPU, (time.Since(start) - idle).Seconds()
	var lat []time.Duration
	type seenKey struct {
		sock   int
		change string
	}
	seen := map[seenKey]bool{}
	byChange := map[string][]time.Duration{} // for the log: how each change went
	for _, e := range evs {
		switch e.Ev {
		case "next":
			id, status := orderUpdated(e.Data)
			key := seenKey{e.Sock, id + "/" + status}
			if t, ok := t0[key.change]; ok && !seen[key] {
				seen[key] = true
				lat = append(lat, time.Unix(0, e.T).Sub(t))
				byChange[key.change] = append(byChange[key.change], time.Unix(0, e.T).Sub(t))
			} else { // no such change, or a second message for it
				out.Unmatched++
			}
		case "error", "closed":
			out.Errors++
		}
	}
	out.Received = len(lat)
	out.P50, out.P99, out.Max = summary(lat)
	changes := slices.Collect(maps.Keys(byChange))
	slices.SortFunc(changes, func(a, b string) int { return t0[a].Compare(t0[b]) })
	for _, change := range changes {
		l := byChange[change]
		p50, p99, most := summary(l)
		logf("shape 1: change %s: %d messages, p50 %.1f ms p99 %.1f ms max %.1f ms", change, len(l), p50, p99, most)
	}
	_, out.MutationMs, _ = summary(took)
	logf("shape 1: %d changes, %d/%d messages, p50 %.1f ms p99 %.1f ms max %.1f ms", out.Changes, out.Received, out.Expected, out.P50, out.P99, out.Max)
	return out
}

// orderUpdated reads the order's ID and status from a next message's
// payload (empty when it holds none).
func orderUpdated(payload json.RawMessage) (id, status string) {
	var d struct {
		OrderUpdated struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"orderUpdated"`
	}
	_ = json.Unmarshal(payload, &struct {
		Data any `json:"data"`
	}{&d})
	return d.OrderUpdated.ID, d.OrderUpdated.Status
}

// shapeTwo changes ownChanges orders spread over the sockets, one each;
// every change must reach exactly the one socket watching that order.
func shapeTwo(ctx context.Context, c runConfig, g *gqlClient, f *fleet, orders []string) *FanOut {
	out := &FanOut{}
	type change struct {
		sock   int
		status string
		t0     time.Time
		seen   bool
	}
	bySock := map[int]change{}
	start, cpu0 := time.Now(), cpuSeconds(c.pids)
	n := c.sockets
	for k := 0; k < c.ownChanges && len(bySock) < n; k++ {
		// Spread over the sockets (and so over client processes and
		// replicas); skip orders at the end of the chain.
		for j, tries := (k*n/max(c.ownChanges, 1)+k)%n, 0; tries < n && ctx.Err() == nil; j, tries = (j+1)%n, tries+1 {
			if _, done := bySock[j]; done || !f.open[j] {
				continue // changed already, or its socket was refused
			}
			st, err := g.status(ctx, orders[j])
			if err != nil || next(st) == "" {
				bySock[j] = change{sock: -1}
				continue
			}
			sent, _, err := g.setStatus(ctx, orders[j], next(st))
			if err != nil {
				logf("change order %s: %v", orders[j], err)
				bySock[j] = change{sock: -1}
				break
			}
			bySock[j] = change{sock: j, status: next(st), t0: sent}
			out.Changes++
			break
		}
		sleep(ctx, c.spacing/4)
	}
	out.Expected = out.Changes
	evs := f.await(ctx, out.Expected, c.drain)
	out.CPUSeconds, out.Seconds = cpuSeconds(c.pids)-cpu0, time.Since(start).Seconds()
	var lat []time.Duration
	for _, e := range evs {
		switch e.Ev {
		case "next":
			id, status := orderUpdated(e.Data)
			ch, ok := bySock[e.Sock]
			switch {
			case id != orders[e.Sock]:
				out.Misrouted++
			case ok && ch.sock == e.Sock && ch.status == status && !ch.seen:
				ch.seen = true
				bySock[e.Sock] = ch
				lat = append(lat, time.Unix(0, e.T).Sub(ch.t0))
			default:
				out.Unmatched++
			}
		case "error", "closed":
			out.Errors++
		}
	}
	out.Received = len(lat)
	out.P50, out.P99, out.Max = summary(lat)
	logf("shape 2: %d changes, %d/%d messages (%d misrouted, %d unexplained), p50 %.1f ms max %.1f ms",
		out.Changes, out.Received, out.Expected, out.Misrouted, out.Unmatched, out.P50, out.Max)
	return out
}

// shapeThree opens the dashboards, places guest orders from placeWorkers
// for placeFor, and matches the CREATED events to the orders placed.
func shapeThree(ctx context.Context, c runConfig, g *gqlClient, wsURLs []string, tok, variant string) (*Feed, error) {
	subs := make([]sub, c.dashboards)
	for i := range subs {
		subs[i] = sub{Sock: i, URL: i % len(wsURLs), Query: `subscription{orderEvents{type order{id}}}`}
	}
	f, err := openFleet(ctx, c, wsURLs, tok, subs)
	if err != nil {
		return nil, err
	}
	defer f.stop()
	sleep(ctx, c.settle)
	f.take()
	out := &Feed{Dashboards: c.dashboards, Opened: f.opened, Workers: c.placeWorkers}
	type placed struct{ sent, answered time.Time }
	var mu sync.Mutex
	byID := map[string]placed{}
	var took []time.Duration
	var failed atomic.Int64
	start, cpu0 := time.Now(), cpuSeconds(c.pids)
	deadline := start.Add(c.placeFor)
	var wg sync.WaitGroup
	for w := range c.placeWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				id, sent, answered, err := guestOrder(ctx, g, variant, fmt.Sprintf("feed-%d-%d-%d", start.UnixNano(), w, i))
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				byID[id] = placed{sent, answered}
				took = append(took, answered.Sub(sent))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	out.Seconds = elapsed.Seconds()
	out.Placed, out.Failed = len(byID), int(failed.Load())
	out.PerSecond = float64(out.Placed) / elapsed.Seconds()
	_, out.PlaceP50, _ = summary(took)
	out.Expected = out.Placed * f.opened
	evs := f.awaitMatching(ctx, out.Expected, c.drain, func(e clientEvent) bool {
		return e.Ev == "next" && bytes.Contains(e.Data, []byte(`"CREATED"`))
	})
	out.CPUSeconds = cpuSeconds(c.pids) - cpu0
	var fromAnswer, fromSent []time.Duration
	for _, e := range evs {
		if e.Ev != "next" {
			continue
		}
		var d struct {
			OrderEvents struct {
				Type  string `json:"type"`
				Order struct {
					ID string `json:"id"`
				} `json:"order"`
			} `json:"orderEvents"`
		}
		_ = json.Unmarshal(e.Data, &struct {
			Data any `json:"data"`
		}{&d})
		p, ok := byID[d.OrderEvents.Order.ID]
		if d.OrderEvents.Type != "CREATED" || !ok {
			continue
		}
		at := time.Unix(0, e.T)
		fromAnswer = append(fromAnswer, at.Sub(p.answered))
		fromSent = append(fromSent, at.Sub(p.sent))
	}
	out.Received = len(fromAnswer)
	out.P50, out.P99, out.Max = summary(fromAnswer)
	out.SentP50, out.SentP99, _ = summary(fromSent)
	logf("shape 3: %d orders (%.1f/s, %d failed), %d/%d events, p50 %.1f ms p99 %.1f ms from the response",
		out.Placed, out.PerSecond, out.Failed, out.Received, out.Expected, out.P50, out.P99)
	return out, nil
}

// ensureOrders returns n order IDs for shape 2: those in ordersFile, and
// new guest orders placed by orderWorkers for the rest (appended to it).
func ensureOrders(ctx context.Context, c runConfig, g *gqlClient, variant string, n int, r *Run) ([]string, int, error) {
	var have []string
	if c.ordersFile != "" {
		if b, err := os.ReadFile(c.ordersFile); err == nil {
			have = strings.Fields(string(b))
		}
	}
	reused := min(len(have), n)
	if len(have) >= n {
		return have[:n], reused, nil
	}
	missing := n - len(have)
	logf("placing %d orders for shape 2 (%d workers)", missing, c.orderWorkers)
	start := time.Now()
	ids := make([]string, missing)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range max(c.orderWorkers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= missing || ctx.Err() != nil {
					return
				}
				var err error
				for try := 0; try < 3; try++ {
					if ids[i], _, _, err = guestOrder(ctx, g, variant, fmt.Sprintf("own-%d-%d", start.UnixNano(), i)); err == nil {
						break
					}
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, 0, fmt.Errorf("place orders: %w", firstErr)
	}
	r.OrdersCreated, r.OrdersSeconds, r.OrderWorkers = missing, time.Since(start).Seconds(), c.orderWorkers
	logf("placed %d orders in %.1f s", missing, r.OrdersSeconds)
	have = append(have, ids...)
	if c.ordersFile != "" {
		if err := os.WriteFile(c.ordersFile, []byte(strings.Join(have, "\n")+"\n"), 0o644); err != nil {
			return nil, 0, err
		}
	}
	return have[:n], reused, nil
}

// fleet is the client processes holding one set of sockets.
type fleet struct {
	procs    []*exec.Cmd
	stdins   []io.WriteCloser
	done     chan struct{} // closed when every process's stdout ended
	mu       sync.Mutex
	events   []clientEvent
	opened   int
	open     map[int]bool // sockets that opened
	failed   int
	reasons  map[string]int
	openTime time.Duration
}

// openFleet starts the client processes for subs (perProcess each), and
// returns once every socket is open or has failed.
func openFleet(ctx context.Context, c runConfig, wsURLs []string, tok string, subs []sub) (*fleet, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	k := (len(subs) + c.perProcess - 1) / c.perProcess
	addrs := make([]string, max(c.localAddrs, 1))
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.0.%d", i+2)
	}
	deadline, _ := ctx.Deadline()
	f := &fleet{reasons: map[string]int{}, open: map[int]bool{}, done: make(chan struct{})}
	ready := make(chan struct{}, k)
	died := make(chan struct{}, k) // a process whose output ended before it was ready
	var readers sync.WaitGroup
	start := time.Now()
	for p := range k {
		share := subs[p*len(subs)/k : (p+1)*len(subs)/k]
		cmd := exec.Command(self, "client")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		outp, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		f.procs, f.stdins = append(f.procs, cmd), append(f.stdins, in)
		job := clientJob{URLs: wsURLs, Token: tok, LocalAddrs: addrs, Rate: c.rate / float64(k), Deadline: deadline.UnixNano(), Subs: share}
		b, _ := json.Marshal(job)
		if _, err := in.Write(append(b, '\n')); err != nil {
			return nil, err
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			wasReady := false
			defer func() {
				if !wasReady {
					died <- struct{}{}
				}
			}()
			sc := bufio.NewScanner(outp)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			for sc.Scan() {
				// Next messages' payloads are decoded after the phase, not here.
				e, ok := parseEvent(sc.Bytes())
				if !ok {
					continue
				}
				f.mu.Lock()
				switch e.Ev {
				case "open":
					if e.OK {
						f.opened++
						f.open[e.Sock] = true
					} else {
						f.failed++
						f.reasons[e.Reason]++
					}
				case "ready":
					wasReady = true
					ready <- struct{}{}
				default:
					f.events = append(f.events, e)
				}
				f.mu.Unlock()
			}
		}()
	}
	go func() { readers.Wait(); close(f.done) }()
	for range k {
		select {
		case <-ready:
		case <-died:
			f.stop()
			return nil, errors.New("a client process ended before its sockets were open")
		case <-ctx.Done():
			f.stop()
			return nil, ctx.Err()
		}
	}
	f.openTime = time.Since(start)
	return f, nil
}

// take returns the events so far and forgets them.
func (f *fleet) take() []clientEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.events
	f.events = nil
	return evs
}

// await waits until want next messages have arrived (or drain passes with
// none arriving, or drain × 4 in all), then takes the events.
func (f *fleet) await(ctx context.Context, want int, drain time.Duration) []clientEvent {
	return f.awaitMatching(ctx, want, drain, func(e clientEvent) bool { return e.Ev == "next" })
}

func (f *fleet) awaitMatching(ctx context.Context, want int, drain time.Duration, match func(clientEvent) bool) []clientEvent {
	limit := time.Now().Add(4 * drain)
	last, lastN := time.Now(), -1
	n, counted := 0, 0 // matches among f.events[:counted]; only take shortens f.events
	for ctx.Err() == nil && time.Now().Before(limit) {
		f.mu.Lock()
		for _, e := range f.events[counted:] {
			if match(e) {
				n++
			}
		}
		counted = len(f.events)
		f.mu.Unlock()
		if n >= want {
			time.Sleep(500 * time.Millisecond) // any extra message still on its way
			break
		}
		if n != lastN {
			last, lastN = time.Now(), n
		} else if time.Since(last) > drain {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return f.take()
}

// resubscribe moves every socket's subscription to vars.
func (f *fleet) resubscribe(vars map[string]any) {
	b, _ := json.Marshal(map[string]any{"variables": vars})
	for _, in := range f.stdins {
		_, _ = in.Write(append(b, '\n'))
	}
}

// stop asks every client process to close its sockets and waits for it.
func (f *fleet) stop() {
	for _, in := range f.stdins {
		_, _ = in.Write([]byte("stop\n"))
		_ = in.Close()
	}
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		for _, p := range f.procs {
			_ = p.Process.Kill()
		}
	}
	for _, p := range f.procs {
		_ = p.Wait()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// memKB sums VmRSS and RssAnon (kB) of pids.
func memKB(pids []int) (rss, anon int) {
	for _, p := range pids {
		rss += statusKB(p, "VmRSS")
		anon += statusKB(p, "RssAnon")
	}
	return rss, anon
}

func statusKB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s*(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds sums utime+stime of pids, in seconds.
func cpuSeconds(pids []int) float64 {
	total := 0.0
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		total += parseStatCPU(string(b))
	}
	return total
}

// waitQuiet waits, at most longest, until pids use the CPU (over half a
// second) no more than half a core above idleCores, and says how long
// that took.
func waitQuiet(ctx context.Context, pids []int, idleCores float64, longest time.Duration) time.Duration {
	const window = 500 * time.Millisecond
	start := time.Now()
	for time.Since(start) < longest && ctx.Err() == nil {
		cpu0 := cpuSeconds(pids)
		sleep(ctx, window)
		if (cpuSeconds(pids)-cpu0)/window.Seconds() <= idleCores+0.5 {
			return time.Since(start) - window
		}
	}
	return time.Since(start)
}

// parseStatCPU reads utime+stime (fields 14 and 15) of a /proc/<pid>/stat
// line, in seconds. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) float64 {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / clockTicks
}

func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	out := fs.String("out", "", "write the Markdown section here (default: stdout)")
	svg := fs.String("svg", "", "write the SVG chart here")
	svgLink := fs.String("svg-link", "subscriptions.svg", "the chart's path as the section links it")
	note := fs.String("note", "", "a sentence for the top of the section (the machine's load, say)")
	target := fs.Int("project", 50000, "sockets per replica to project to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var runs []Run
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return errors.New("report: no runs given")
	}
	link := ""
	if *svg != "" {
		link = *svgLink
		if err := os.WriteFile(*svg, []byte(renderSVG(runs, "Subscriptions at scale, "+time.Now().UTC().Format("2006-01-02"))), 0o644); err != nil {
			return err
		}
	}
	md := renderSection(runs, machine(), time.Now().UTC().Format("2006-01-02 15:04 MST"), *note, link, *target)
	if *out == "" {
		_, err := os.Stdout.WriteString(md)
		return err
	}
	return os.WriteFile(*out, []byte(md), 0o644)
}

// machine describes where the numbers come from, as the query benchmark
// does, with the load average and what shared the machine.
func machine() string {
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return host.Lines() + "- load average when the report was written: " + load +
		"\n- servers, databases and load generator on the same machine (loopback)\n"
}
