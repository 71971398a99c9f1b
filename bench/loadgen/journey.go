package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"github.com/savannah-commerce/savannah/bench/internal/stats"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	cartLinesAddM    = `mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $cartId, lines: $lines) { cart { id lines { id } } userErrors { code message } } }`
	cartLinesUpdateM = `mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) { cartLinesUpdate(cartId: $cartId, lines: $lines) { cart { id lines { id } } userErrors { code message } } }`
	cartCreateLinesM = `mutation CartCreate($lines: [CartLineInput!]) { cartCreate(lines: $lines) { cart { id lines { id } } userErrors { code message } } }`
)

// journeyStep is one kind of shopper request and its share of the mix.
type journeyStep struct {
	name, group string
	weight      int
}

// journeyMix: browse 70 %, search 15 %, cart writes 10 %, checkout 5 %.
var journeyMix = []journeyStep{
	{"Q1 listing", "browse", 20}, {"Q2 product page", "browse", 30}, {"Q3 category page", "browse", 20},
	{"S1 search, one word", "search", 10}, {"S2 search, two words", "search", 5},
	{"cart add (cartCreate / cartLinesAdd)", "cart", 5}, {"cart update (cartLinesUpdate)", "cart", 5},
	{"checkout (placeOrder)", "checkout", 5},
}

// The indexes of the writes in journeyMix; the reads come before them.
const (
	stepAdd = iota + 5
	stepUpdate
	stepCheckout
)

// pick chooses a step for a roll in [0, total weight).
func pick(mix []journeyStep, roll int) int {
	for i, s := range mix {
		if roll < s.weight {
			return i
		}
		roll -= s.weight
	}
	return len(mix) - 1
}

// shopper is one worker's session: its cart, if it has one.
type shopper struct {
	cart  string
	lines []string
}

// cartWrite runs a cart mutation and keeps the cart's ID and line IDs.
func (sh *shopper) cartWrite(client *http.Client, url, query, field string, vars map[string]any) error {
	var d map[string]struct {
		Cart *struct {
			ID    string `json:"id"`
			Lines []struct {
				ID string `json:"id"`
			} `json:"lines"`
		} `json:"cart"`
		UserErrors []struct{ Code, Message string } `json:"userErrors"`
	}
	if err := gql(client, url, query, vars, &d); err != nil {
		return err
	}
	p := d[field]
	if len(p.UserErrors) > 0 {
		return &userError{p.UserErrors[0].Code, p.UserErrors[0].Message}
	}
	if p.Cart == nil {
		return errors.New("no cart and no user error")
	}
	sh.cart, sh.lines = p.Cart.ID, sh.lines[:0]
	for _, l := range p.Cart.Lines {
		sh.lines = append(sh.lines, l.ID)
	}
	return nil
}

func (sh *shopper) add(client *http.Client, url, variant string) error {
	line := []map[string]any{{"variantId": variant, "quantity": 1}}
	if sh.cart == "" {
		return sh.cartWrite(client, url, cartCreateLinesM, "cartCreate", map[string]any{"lines": line})
	}
	return sh.cartWrite(client, url, cartLinesAddM, "cartLinesAdd", map[string]any{"cartId": sh.cart, "lines": line})
}

// cacheCounters reads the catalogue cache's hit and miss counters
// (savannah_catalog_cache_requests_total) from the server's metrics; ok
// is false when it exports none (a server older than the counter).
func cacheCounters(client *http.Client, metricsURL string) (hits, misses float64, ok bool) {
	resp, err := client.Get(metricsURL)
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return parseCacheCounters(b)
}

// cacheSeries is the catalogue cache's counter, one series per result.
const cacheSeries = "savannah_catalog_cache_requests_total"

func parseCacheCounters(metrics []byte) (hits, misses float64, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(metrics))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name := line[:i]
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		switch name {
		case cacheSeries + `{result="hit"}`:
			hits, ok = v, true
		case cacheSeries + `{result="miss"}`:
			misses, ok = v, true
		}
	}
	return hits, misses, ok
}

// runJourney drives the shopper-journey mix and writes a Markdown
// fragment.
func runJourney(args []string) error {
	fs := flag.NewFlagSet("journey", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:18282/graphql", "GraphQL endpoint (loopback only)")
	conc := fs.Int("concurrency", 32, "concurrent shoppers")
	duration := fs.Duration("duration", 60*time.Second, "how long")
	db := fs.String("db", "postgres", "the server's database (a label)")
	out := fs.String("out", "", "write the Markdown fragment here (default: stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := loopbackURL(*url); err != nil {
		return err
	}
	client := newClient()
	s, err := sampleCatalog(client, *url, 20)
	if err != nil {
		return err
	}
	murl := metricsOf(*url)
	reads := map[string]operation{}
	for _, op := range curveOps(s) {
		reads[op.name] = op
	}
	readOf := []string{"Q1", "Q2", "Q3", "S1", "S2"} // journeyMix[0:5]

	// Calibration for the hit-rate estimate: what each read costs in SQL
	// when it misses the cache (a comment in the document makes the key
	// new), one request at a time.
	cold := map[string]float64{}
	const k = 10
	for _, name := range readOf {
		op := reads[name]
		st0, err := scrape(client, murl)
		if err != nil {
			return err
		}
		for i := range k {
			miss := op
			miss.query = op.query + fmt.Sprintf(" # calibration %d", time.Now().UnixNano()+int64(i))
			if err := post(client, *url, miss, i); err != nil {
				return fmt.Errorf("%s calibration: %w", name, err)
			}
		}
		st1, _ := scrape(client, murl)
		cold[name] = (st1 - st0) / k
	}
	// And what each write costs: a cart created with a line, a line added,
	// a line updated, a 2-line cart placed.
	writeCost := make([]float64, len(journeyMix))
	for range k {
		var sh shopper
		for j, step := range []func() error{
			func() error { return sh.add(client, *url, s.variants[1].ID) },
			func() error { return sh.add(client, *url, s.variants[2].ID) },
			func() error {
				return sh.cartWrite(client, *url, cartLinesUpdateM, "cartLinesUpdate", map[string]any{
					"cartId": sh.cart, "lines": []map[string]any{{"lineId": sh.lines[0], "quantity": 2}},
				})
			},
			func() error {
				return placeOrder(client, *url, sh.cart, fmt.Sprintf("calibration-%d@bench.invalid", time.Now().UnixNano()))
			},
		} {
			st0, _ := scrape(client, murl)
			if err := step(); err != nil {
				return fmt.Errorf("write calibration: %w", err)
			}
			st1, _ := scrape(client, murl)
			// Steps 0 and 1 are both "cart add" (averaged over both);
			// 2 is the update, 3 the checkout.
			div := float64(k)
			if j < 2 {
				div *= 2
			}
			writeCost[stepAdd+max(j-1, 0)] += (st1 - st0) / div
		}
	}

	type stepStats struct {
		mu    sync.Mutex
		lat   []time.Duration
		codes codeTally
	}
	steps := make([]*stepStats, len(journeyMix))
	for i := range steps {
		steps[i] = &stepStats{}
	}
	total := 0
	for _, st := range journeyMix {
		total += st.weight
	}
	h0, m0, counted := cacheCounters(client, murl)
	st0, err := scrape(client, murl)
	if err != nil {
		return err
	}
	run := time.Now().UnixNano()
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	var orders atomic.Int64
	start := time.Now()
	for w := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 18))
			var sh shopper
			variant := func() string { return s.variants[rng.IntN(len(s.variants))].ID }
			for n := 0; time.Now().Before(deadline); n++ {
				i := pick(journeyMix, rng.IntN(total))
				var err error
				t := time.Now()
				switch {
				case i < len(readOf):
					err = post(client, *url, reads[readOf[i]], rng.IntN(1<<30))
				case i == stepAdd || sh.cart == "" || len(sh.lines) == 0:
					i = stepAdd
					err = sh.add(client, *url, variant())
				case i == stepUpdate:
					err = sh.cartWrite(client, *url, cartLinesUpdateM, "cartLinesUpdate", map[string]any{
						"cartId": sh.cart, "lines": []map[string]any{{"lineId": sh.lines[rng.IntN(len(sh.lines))], "quantity": 1 + rng.IntN(2)}},
					})
				default: // checkout the cart built so far
					err = placeOrder(client, *url, sh.cart, fmt.Sprintf("journey-%d-%d-%d@bench.invalid", run, w, n))
					if err == nil {
						orders.Add(1)
					}
					sh = shopper{}
				}
				d := time.Since(t)
				st := steps[i]
				st.mu.Lock()
				if err != nil {
					st.codes.add(err)
				} else {
					st.lat = append(st.lat, d)
				}
				st.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	st1, _ := scrape(client, murl)
	h1, m1, _ := cacheCounters(client, murl)

	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s: %d shoppers for %s, catalogue cache on (in process). Each shopper keeps a guest cart: a cart write adds a line (creating the cart) or changes a line's quantity; a checkout places the cart built so far (cash on delivery) or, with no cart yet, adds a line instead.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), *db, *conc, *duration)
	fmt.Fprintf(&b, "| operation | share | requests | req/s | p50 | p99 | errors |\n|---|---|---|---|---|---|---|\n")
	var readsDone, readSQL, writeSQL float64
	allOK, allErr := 0, 0
	for i, st := range journeyMix {
		ss := steps[i]
		slices.Sort(ss.lat)
		errs := 0
		for _, n := range ss.codes.m {
			errs += n
		}
		allOK += len(ss.lat)
		allErr += errs
		if i < len(readOf) {
			readsDone += float64(len(ss.lat))
			readSQL += float64(len(ss.lat)) * cold[readOf[i]]
		} else {
			writeSQL += float64(len(ss.lat)+errs) * writeCost[i]
		}
		fmt.Fprintf(&b, "| %s | %d %% | %d | %.0f | %s | %s | %s |\n", st.name, st.weight, len(ss.lat), float64(len(ss.lat))/elapsed.Seconds(),
			ms(stats.Percentile(ss.lat, 50)), ms(stats.Percentile(ss.lat, 99)), ss.codes.String())
	}
	fmt.Fprintf(&b, "| **all** | 100 %% | %d | %.0f | | | %d |\n\n", allOK, float64(allOK)/elapsed.Seconds(), allErr)
	fmt.Fprintf(&b, "%d orders placed. ", orders.Load())
	if counted {
		hits, misses := h1-h0, m1-m0
		fmt.Fprintf(&b, "Catalogue cache (the server's %s, read before and after the run): %.0f hits, %.0f misses, hit rate **%.0f %%**.\n", cacheSeries, hits, misses, 100*hits/max(hits+misses, 1))
	} else {
		fmt.Fprintf(&b, "SQL statements in all: %.0f (%.1f per request). The server exports no %s, so the hit rate is estimated: %s\n",
			st1-st0, (st1-st0)/float64(max(allOK+allErr, 1)), cacheSeries, hitEstimate(readsDone, readSQL, writeSQL, st1-st0))
	}
	if *out == "" {
		_, err = os.Stdout.WriteString(b.String())
		return err
	}
	return os.WriteFile(*out, []byte(b.String()), 0o644)
}

// hitEstimate estimates the catalogue cache's hit rate from the SQL
// count: a hit runs no SQL, so the reads' statements (all, less the
// writes' at their calibrated cost) over what the reads would have run had
// every one missed is the miss rate.
func hitEstimate(reads, readSQLIfMissed, writeSQL, statements float64) string {
	if reads == 0 || readSQLIfMissed == 0 {
		return "no reads."
	}
	rate := min(1, max(0, 1-(statements-writeSQL)/readSQLIfMissed))
	return fmt.Sprintf("the %.0f reads would have run %.0f statements had all missed; of the %.0f run, about %.0f were the writes' (calibrated one at a time before the run), so about **%.0f %%** of reads were hits.",
		reads, readSQLIfMissed, statements, writeSQL, 100*rate)
}
