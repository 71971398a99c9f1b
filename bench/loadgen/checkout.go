package main

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"github.com/savannah-commerce/savannah/bench/internal/stats"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	cartCreateM = `mutation CartCreate($lines: [CartLineInput!]) { cartCreate(lines: $lines) { cart { id } userErrors { code message } } }`
	placeOrderM = `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code message } } }`
)

// newCart creates a guest cart holding one of each variant.
func newCart(client *http.Client, url string, variants ...string) (string, error) {
	lines := make([]map[string]any, len(variants))
	for i, v := range variants {
		lines[i] = map[string]any{"variantId": v, "quantity": 1}
	}
	var d struct {
		CartCreate struct {
			Cart       *struct{ ID string } `json:"cart"`
			UserErrors []struct{ Code, Message string }
		} `json:"cartCreate"`
	}
	if err := gql(client, url, cartCreateM, map[string]any{"lines": lines}, &d); err != nil {
		return "", err
	}
	if ue := d.CartCreate.UserErrors; len(ue) > 0 {
		return "", &userError{ue[0].Code, ue[0].Message}
	}
	return d.CartCreate.Cart.ID, nil
}

// placeOrder checks out a guest cart (cash on delivery) for the guest
// with email.
func placeOrder(client *http.Client, url, cart, email string) error {
	in := map[string]any{
		"cartId":          cart,
		"paymentMethod":   "CASH_ON_DELIVERY",
		"idempotencyKey":  "bench-" + cart,
		"contact":         map[string]any{"email": email},
		"shippingAddress": map[string]any{"line1": "1 Bench Road", "city": "Nairobi", "countryCode": "KE"},
	}
	var d struct {
		PlaceOrder struct {
			Order      *struct{ ID string } `json:"order"`
			UserErrors []struct{ Code, Message string }
		} `json:"placeOrder"`
	}
	if err := gql(client, url, placeOrderM, map[string]any{"input": in}, &d); err != nil {
		return err
	}
	if ue := d.PlaceOrder.UserErrors; len(ue) > 0 {
		return &userError{ue[0].Code, ue[0].Message}
	}
	if d.PlaceOrder.Order == nil {
		return errors.New("no order and no user error")
	}
	return nil
}

// waitSampler samples what the benchmark database's active backends wait
// for, and which locks they wait on, every 20 ms until stopped.
type waitSampler struct {
	mu      sync.Mutex
	samples int
	waits   map[string]int // "type:event" (or "CPU") → backend-samples
	locks   map[string]int // "locktype relation" → backend-samples waiting
	stmts   map[string]int // the start of the statement a backend waits in on a lock → backend-samples
	stop    chan struct{}
	done    chan struct{}
}

func sampleWaits(db *sql.DB) *waitSampler {
	s := &waitSampler{waits: map[string]int{}, locks: map[string]int{}, stmts: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
			s.once(db)
		}
	}()
	return s
}

func (s *waitSampler) once(db *sql.DB) {
	w := map[string]int{}
	rows, err := db.Query(`SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (no wait event)'), count(*)
		FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1`)
	if err != nil {
		return
	}
	for rows.Next() {
		var k string
		var n int
		if rows.Scan(&k, &n) == nil {
			w[k] = n
		}
	}
	rows.Close()
	l := map[string]int{}
	rows, err = db.Query(`SELECT l.locktype || coalesce(' ' || l.relation::regclass::text, ''), count(*)
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE NOT l.granted AND a.datname = current_database() GROUP BY 1`)
	if err == nil {
		for rows.Next() {
			var k string
			var n int
			if rows.Scan(&k, &n) == nil {
				l[k] = n
			}
		}
		rows.Close()
	}
	q := map[string]int{}
	rows, err = db.Query(`SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 48), count(*)
		FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock' GROUP BY 1`)
	if err == nil {
		for rows.Next() {
			var k string
			var n int
			if rows.Scan(&k, &n) == nil {
				q[k] = n
			}
		}
		rows.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples++
	for k, n := range q {
		s.stmts[k] += n
	}
	for k, n := range w {
		s.waits[k] += n
	}
	for k, n := range l {
		s.locks[k] += n
	}
}

func (s *waitSampler) close() {
	close(s.stop)
	<-s.done
}

// topCounts renders counts, largest first, as "key: n/samples" average
// backends, at most limit of them.
func topCounts(m map[string]int, samples, limit int) string {
	if samples == 0 || len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > limit {
		keys = keys[:limit]
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("`%s` %.2f", k, float64(m[k])/float64(samples))
	}
	return strings.Join(parts, ", ")
}

// countCodes tallies the errors of a run by code.
type codeTally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *codeTally) add(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	t.m[code(err)]++
}

func (t *codeTally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range t.m {
		parts = append(parts, fmt.Sprintf("%s × %d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// runCheckout measures placeOrder: distinct guests with 3-line carts at a
// concurrency, then buyers racing for a hot product's last units, and
// writes a Markdown fragment.
func runCheckout(args []string) error {
	fs := flag.NewFlagSet("checkout", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:18281/graphql", "GraphQL endpoint (loopback only)")
	dsn := fs.String("dsn", "", "PostgreSQL URL of the server's database (required: wait sampling, the hot product's stock and the check)")
	pid := fs.Int("pid", 0, "the server's process ID")
	customers := fs.Int("customers", 1000, "distinct guests, one order each")
	conc := fs.Int("concurrency", 16, "concurrent checkouts")
	buyers := fs.Int("hot-buyers", 200, "buyers racing for the hot product")
	stock := fs.Int("hot-stock", 50, "units of the hot product on hand")
	label := fs.String("label", "", "what this pass is (such as the database's synchronous_commit)")
	out := fs.String("out", "", "append the Markdown fragment to this file (default: stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := loopbackURL(*url); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("-dsn is required")
	}
	db, err := sql.Open("postgres", *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var syncCommit string
	if err := db.QueryRow("SHOW synchronous_commit").Scan(&syncCommit); err != nil {
		return err
	}
	client := newClient()
	s, err := sampleCatalog(client, *url, 20)
	if err != nil {
		return err
	}
	// The hot product is the first variant; the others fill the carts.
	hot, pool := s.variants[0], s.variants[1:]
	if len(pool) < 3 {
		return errors.New("too few variants for 3-line carts")
	}
	run := time.Now().UnixNano()
	fmt.Fprintf(os.Stderr, "checkout: creating %d carts of 3 lines\n", *customers)
	carts := make([]string, *customers)
	prep := drive(8, time.Hour, *customers, func(i int) error {
		// Consecutive carts take consecutive variants, so checkouts
		// rarely reserve the same rows.
		j := 3 * (i - 1)
		id, err := newCart(client, *url, pool[j%len(pool)].ID, pool[(j+1)%len(pool)].ID, pool[(j+2)%len(pool)].ID)
		carts[i-1] = id
		return err
	})
	if prep.failed > 0 {
		return fmt.Errorf("%d carts could not be created", prep.failed)
	}

	fmt.Fprintf(os.Stderr, "checkout: %d orders at concurrency %d\n", *customers, *conc)
	var tally codeTally
	waits := sampleWaits(db)
	st0, _ := scrape(client, metricsOf(*url))
	cpu0, db0 := procCPU(*pid), backendCPU(db)
	res := drive(*conc, 10*time.Minute, *customers, func(i int) error {
		err := placeOrder(client, *url, carts[i-1], fmt.Sprintf("guest-%d-%d@bench.invalid", run, i))
		if err != nil {
			tally.add(err)
		}
		return err
	})
	cpu1, db1 := procCPU(*pid), backendCPU(db)
	st1, _ := scrape(client, metricsOf(*url))
	waits.close()
	n := float64(max(res.ok+res.failed, 1))

	// The race: the hot variant gets exactly stock units, and every buyer
	// has a cart with one of it, placed all at once.
	if _, err := db.Exec("UPDATE product_variants SET stock_on_hand = $1, reserved = 0, track_inventory = true WHERE sku = $2", *stock, hot.SKU); err != nil {
		return fmt.Errorf("set the hot product's stock: %w", err)
	}
	var sold0 int
	if err := db.QueryRow(`SELECT coalesce(sum(ol.quantity), 0) FROM order_lines ol JOIN product_variants v ON v.id = ol.variant_id WHERE v.sku = $1`, hot.SKU).Scan(&sold0); err != nil {
		return fmt.Errorf("count the hot product's order lines: %w", err)
	}
	hotCarts := make([]string, *buyers)
	if r := drive(8, time.Hour, *buyers, func(i int) error {
		id, err := newCart(client, *url, hot.ID)
		hotCarts[i-1] = id
		return err
	}); r.failed > 0 {
		return fmt.Errorf("%d hot carts could not be created", r.failed)
	}
	fmt.Fprintf(os.Stderr, "checkout: %d buyers race for %d units of %s\n", *buyers, *stock, hot.SKU)
	var hotTally codeTally
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var hotLat []time.Duration
	sold := 0
	t0 := time.Now()
	for i := range *buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t := time.Now()
			err := placeOrder(client, *url, hotCarts[i], fmt.Sprintf("hot-%d-%d@bench.invalid", run, i))
			mu.Lock()
			defer mu.Unlock()
			hotLat = append(hotLat, time.Since(t))
			if err != nil {
				hotTally.add(err)
				return
			}
			sold++
		}()
	}
	close(start)
	wg.Wait()
	raceTime := time.Since(t0)
	slices.Sort(hotLat)
	var onHand, reserved, sold1 int
	if err := db.QueryRow("SELECT stock_on_hand, reserved FROM product_variants WHERE sku = $1", hot.SKU).Scan(&onHand, &reserved); err != nil {
		return err
	}
	if err := db.QueryRow(`SELECT coalesce(sum(ol.quantity), 0) FROM order_lines ol JOIN product_variants v ON v.id = ol.variant_id WHERE v.sku = $1`, hot.SKU).Scan(&sold1); err != nil {
		return err
	}
	verdict := "**exactly as many as were in stock**"
	if sold != *stock || sold1-sold0 != *stock || reserved != *stock {
		verdict = "**WRONG: not the stock on hand**"
	}

	var b strings.Builder
	title := "synchronous_commit = " + syncCommit
	if *label != "" {
		title += " (" + *label + ")"
	}
	fmt.Fprintf(&b, "### %s\n\nMeasured %s.\n\n", title, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "| case | orders | orders/s | p50 | p99 | errors | SQL statements/order | server CPU ms/order | PostgreSQL CPU ms/order |\n|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d guests, 3-line carts, concurrency %d | %d | %.0f | %s | %s | %s | %.1f | %.2f | %.2f |\n",
		*customers, *conc, res.ok, res.rps, ms(res.p50), ms(res.p99), tally.String(), (st1-st0)/n, msf(cpu1-cpu0)/n, msf(cpuSpent(db0, db1))/n)
	fmt.Fprintf(&b, "| %d buyers race for %d units (all at once) | %d | %.0f | %s | %s | %s | | | |\n\n",
		*buyers, *stock, sold, float64(sold)/raceTime.Seconds(), ms(stats.Percentile(hotLat, 50)), ms(stats.Percentile(hotLat, 99)), hotTally.String())
	fmt.Fprintf(&b, "The race sold %d (orders placed), %d units in order lines, %d reserved of %d on hand: %s. The refusals are userErrors with the code above.\n\n",
		sold, sold1-sold0, reserved, onHand, verdict)
	fmt.Fprintf(&b, "During the %d orders, sampled every 20 ms (%d samples), the average number of the benchmark database's active backends\n\n- by wait event: %s;\n- waiting for a lock, by lock: %s;\n- waiting for a lock, by statement: %s.\n",
		*customers, waits.samples, topCounts(waits.waits, waits.samples, 6), topCounts(waits.locks, waits.samples, 4), topCounts(waits.stmts, waits.samples, 4))
	if *out == "" {
		_, err = os.Stdout.WriteString(b.String())
		return err
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String() + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// metricsOf is the metrics URL beside a GraphQL endpoint.
func metricsOf(graphqlURL string) string {
	return strings.TrimSuffix(graphqlURL, "/graphql") + "/metrics"
}
