package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The load: catalogue reads and guest-cart writes, each a request that
// must answer 200 without errors.
var loadOps = []struct {
	name, query string
	vars        func(variant string) map[string]any
}{
	{"ProductList", `query ProductList { products(first: 10) { edges { node { id name variants { id price { amount } } } } } }`, nil},
	{"CategoryTree", `query CategoryTree { categoryTree { id slug children { id slug } } }`, nil},
	{"CartCreate", cartOp, func(v string) map[string]any {
		return map[string]any{"lines": []any{map[string]any{"variantId": v, "quantity": 1}}}
	}},
}

// backend is one replica as a load balancer sees it.
type backend struct {
	name, url string
	// eligible: its /readyz answered 200 at the last poll and the
	// orchestrator has not taken it out of rotation.
	eligible atomic.Bool
	mu       sync.Mutex
	gen      int         // times it became eligible
	served   map[int]int // successful requests by generation
}

func (b *backend) set(ok bool) (changed bool, gen int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eligible.Load() == ok {
		return false, b.gen
	}
	if ok {
		b.gen++
	}
	b.eligible.Store(ok)
	return true, b.gen
}

func (b *backend) count(gen int) {
	b.mu.Lock()
	b.served[gen]++
	b.mu.Unlock()
}

// load sends requests round-robin to the eligible replicas until it is
// interrupted (SIGINT or SIGTERM) or -max-duration passes, then reports.
// Like a load balancer it polls each replica's /readyz and sends only to
// those answering 200; like Kubernetes' endpoints it also drops the
// replicas listed in -rotation-file (one URL a line), which is how the
// script takes one out of rotation before stopping it. It fails on any
// failed request, and unless every replica served requests in at least
// -min-generations separate spells of readiness (that is, was restarted
// under load and came back).
func load(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	list := fs.String("backends", "", "comma-separated name=URL pairs, e.g. A=http://127.0.0.1:18501,B=http://127.0.0.1:18502")
	concurrency := fs.Int("concurrency", 8, "requests in flight")
	poll := fs.Duration("poll", 100*time.Millisecond, "readiness poll interval")
	rotation := fs.String("rotation-file", "", "backends taken out of rotation, one URL a line")
	addr := fs.String("addr", "10.99.0.1", "the load's client address (in RATE_LIMIT_EXEMPT)")
	variant := fs.String("variant", "", "a variant ID for guest carts (default: the first on sale)")
	maxDuration := fs.Duration("max-duration", 2*time.Minute, "stop after this long even if not interrupted")
	minGen := fs.Int("min-generations", 2, "spells of readiness each backend must have served in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var backends []*backend
	for _, item := range strings.Split(*list, ",") {
		name, raw, ok := strings.Cut(item, "=")
		u, err := loopback(raw)
		if !ok || err != nil {
			return fmt.Errorf("-backends: %q is not name=http://127.0.0.1:PORT", item)
		}
		backends = append(backends, &backend{name: name, url: u, served: map[int]int{}})
	}
	hc := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, IdleConnTimeout: 90 * time.Second},
	}
	c := client{http: hc, addr: *addr}
	if *variant == "" {
		v, err := firstVariant(ctx, c, backends[0].url)
		if err != nil {
			return err
		}
		*variant = v
	}

	ctx, cancel := context.WithTimeout(ctx, *maxDuration)
	defer cancel()
	start := time.Now()
	stamp := func() string { return fmt.Sprintf("%6.2fs", time.Since(start).Seconds()) }

	// The load balancer's view, refreshed every poll.
	refresh := func() {
		out := map[string]bool{}
		if *rotation != "" {
			if b, err := os.ReadFile(*rotation); err == nil {
				for _, l := range strings.Fields(string(b)) {
					out[strings.TrimSuffix(l, "/")] = true
				}
			}
		}
		var wg sync.WaitGroup
		for _, b := range backends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ready := readyz(ctx, hc, b.url)
				ok := ready && !out[b.url]
				if changed, gen := b.set(ok); changed {
					why := "ready"
					switch {
					case out[b.url]:
						why = "out of rotation"
					case !ready:
						why = "not ready"
					}
					fmt.Printf("load: %s %s %s (spell %d)\n", stamp(), b.name, why, gen)
				}
			}()
		}
		wg.Wait()
	}
	refresh()
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		t := time.NewTicker(*poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				refresh()
			}
		}
	}()

	var total, failed, idle atomic.Int64
	var failMu sync.Mutex
	var failures []string
	var next atomic.Uint64
	var wg sync.WaitGroup
	for w := range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i += *concurrency {
				b := pick(backends, &next)
				if b == nil {
					idle.Add(1)
					_ = pause(ctx, 5*time.Millisecond)
					continue
				}
				b.mu.Lock()
				gen := b.gen
				b.mu.Unlock()
				op := loadOps[i%len(loadOps)]
				var vars map[string]any
				if op.vars != nil {
					vars = op.vars(*variant)
				}
				// Requests already sent are not cut short by the end of
				// the run: a detached context, bounded by the client's
				// timeout.
				res, err := c.do(context.WithoutCancel(ctx), b.url, op.query, vars)
				total.Add(1)
				if err == nil && (res.Status != http.StatusOK || len(res.Errors) > 0) {
					err = fmt.Errorf("answered %d %+v", res.Status, res.Errors)
				}
				if err != nil {
					failed.Add(1)
					failMu.Lock()
					if len(failures) < 20 {
						failures = append(failures, fmt.Sprintf("%s %s %s: %v", stamp(), b.name, op.name, err))
					}
					failMu.Unlock()
					continue
				}
				b.count(gen)
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
	<-pollDone
	elapsed := time.Since(start)

	fmt.Printf("load: %d requests in %s (%.0f/s), %d failed\n", total.Load(), elapsed.Round(time.Millisecond), float64(total.Load())/elapsed.Seconds(), failed.Load())
	var problems []string
	for _, b := range backends {
		b.mu.Lock()
		var gens []int
		for g := range b.served {
			gens = append(gens, g)
		}
		sort.Ints(gens)
		var parts []string
		spells := 0
		for _, g := range gens {
			parts = append(parts, fmt.Sprintf("spell %d: %d", g, b.served[g]))
			if b.served[g] > 0 {
				spells++
			}
		}
		b.mu.Unlock()
		fmt.Printf("load: %s served %s\n", b.name, strings.Join(parts, ", "))
		if spells < *minGen {
			problems = append(problems, fmt.Sprintf("%s served in %d spells of readiness, want %d (was it restarted under load?)", b.name, spells, *minGen))
		}
	}
	for _, f := range failures {
		fmt.Println("load: failed:", f)
	}
	if n := failed.Load(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d requests failed", n, total.Load()))
	}
	if total.Load() == 0 {
		problems = append(problems, "no requests were sent")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// pick returns the next eligible backend, round-robin, or nil.
func pick(backends []*backend, next *atomic.Uint64) *backend {
	for range backends {
		b := backends[next.Add(1)%uint64(len(backends))]
		if b.eligible.Load() {
			return b
		}
	}
	return nil
}

func readyz(ctx context.Context, hc *http.Client, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func firstVariant(ctx context.Context, c client, base string) (string, error) {
	ids, _, err := inStock(ctx, c, base)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", errors.New("no variant on sale")
	}
	return ids[0], nil
}

// inStock reads the catalogue's first page and returns the variants on
// sale, in catalogue order, with their available quantities.
func inStock(ctx context.Context, c client, base string) ([]string, map[string]int, error) {
	var vs struct {
		Products struct {
			Edges []struct {
				Node struct {
					Variants []struct {
						ID        string `json:"id"`
						Available int    `json:"quantityAvailable"`
					} `json:"variants"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	}
	if err := c.call(ctx, base, variantsOp, nil, &vs); err != nil {
		return nil, nil, fmt.Errorf("read the catalogue: %w", err)
	}
	stock := map[string]int{}
	var ids []string
	for _, e := range vs.Products.Edges {
		for _, v := range e.Node.Variants {
			if v.Available > 0 {
				stock[v.ID] = v.Available
				ids = append(ids, v.ID)
			}
		}
	}
	return ids, stock, nil
}
