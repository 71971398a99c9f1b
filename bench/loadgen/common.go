package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// modes are the subcommands; without one, loadgen runs the Q1-Q3 report
// of bench/run.sh.
var modes = map[string]func(args []string) error{
	"curves":   runCurves,
	"report":   runReport,
	"checkout": runCheckout,
	"journey":  runJourney,
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}, Timeout: 30 * time.Second}
}

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// gql posts one operation and decodes its data into out (when not nil).
// An answer with errors is an error naming their codes.
func gql(client *http.Client, url, query string, vars map[string]any, out any) error {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var ans struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	if len(ans.Errors) > 0 {
		codes := make([]string, len(ans.Errors))
		for i, e := range ans.Errors {
			codes[i] = e.Extensions.Code
		}
		return &answerError{codes: codes, msg: ans.Errors[0].Message}
	}
	if out != nil {
		return json.Unmarshal(ans.Data, out)
	}
	return nil
}

// answerError is a GraphQL answer with errors, by their codes.
type answerError struct {
	codes []string
	msg   string
}

func (e *answerError) Error() string { return strings.Join(e.codes, ",") + ": " + e.msg }

// code names an error for the tables: the GraphQL or user-error code, or
// the transport's failure.
func code(err error) string {
	var ae *answerError
	var ue *userError
	switch {
	case errors.As(err, &ae):
		return strings.Join(ae.codes, ",")
	case errors.As(err, &ue):
		return ue.code
	default:
		return "transport"
	}
}

// userError is a mutation's first userErrors entry.
type userError struct{ code, msg string }

func (e *userError) Error() string { return e.code + ": " + e.msg }

// cpuTicks parses a /proc/<pid>/stat line: utime plus stime, in clock
// ticks. The command name (field 2) may hold spaces and parentheses, so
// fields are counted from the last ')'.
func cpuTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no command name in stat")
	}
	f := strings.Fields(stat[i+1:])
	// After ")": state is field 3, utime field 14, stime field 15.
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	u, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	s, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return u + s, nil
}

// clockTick is USER_HZ, which Linux fixes at 100 for /proc.
const clockTick = 10 * time.Millisecond

// procCPU is the CPU time pid has used; zero when it is gone.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	t, err := cpuTicks(string(b))
	if err != nil {
		return 0
	}
	return time.Duration(t) * clockTick
}

// backendCPU is the CPU time of each PostgreSQL backend connected to the
// benchmark database (not this connection's), by PID. PostgreSQL runs on
// this machine, so /proc has them.
func backendCPU(db *sql.DB) map[int]time.Duration {
	out := map[int]time.Duration{}
	if db == nil {
		return out
	}
	rows, err := db.Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			out[pid] = procCPU(pid)
		}
	}
	return out
}

// cpuSpent is what the backends used between two backendCPU readings: a
// backend that connected meanwhile counts whole, one that left is lost
// (the server's pool keeps its connections, so few do).
func cpuSpent(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

// anonSampler records the peak of the server's RssAnon, sampled every
// 50 ms, until stopped.
type anonSampler struct {
	mu   sync.Mutex
	peak int
	stop chan struct{}
	done chan struct{}
}

func sampleAnon(pid int) *anonSampler {
	s := &anonSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := rssKB(pid, "RssAnon"); kb > 0 {
				s.mu.Lock()
				s.peak = max(s.peak, kb)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// reset returns the peak so far and starts a new one.
func (s *anonSampler) reset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peak
	s.peak = 0
	return p
}

func (s *anonSampler) close() int {
	close(s.stop)
	<-s.done
	return s.reset()
}

// spliceSection puts body between the markers of section name in doc,
// replacing what was there, or appends the markers and body at the end:
// each script owns its section of bench/RESULTS.md and leaves the rest.
func spliceSection(doc, name, body string) string {
	begin := "<!-- " + name + ": begin (generated, do not edit) -->"
	end := "<!-- " + name + ": end -->"
	block := begin + "\n" + strings.TrimSpace(body) + "\n" + end
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i >= 0 && j > i {
		return doc[:i] + block + doc[j+len(end):]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n") {
		doc += "\n"
	}
	if doc != "" {
		doc += "\n"
	}
	return doc + block + "\n"
}

// sections are the generated sections of doc, by name, in order.
func sections(doc string) (names, bodies []string) {
	re := regexp.MustCompile(`(?s)<!-- ([a-z0-9-]+): begin \(generated, do not edit\) -->\n(.*?)\n<!-- ([a-z0-9-]+): end -->`)
	for _, m := range re.FindAllStringSubmatch(doc, -1) {
		if m[1] == m[3] {
			names, bodies = append(names, m[1]), append(bodies, m[2])
		}
	}
	return names, bodies
}

// writeSection splices body into the file at path (created if missing).
func writeSection(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(spliceSection(string(old), name, body)), 0o644)
}

// sample is what the storefront operations rotate over, read from the
// server itself so that any catalogue works.
type sample struct {
	products []string // slugs
	roots    []string // root category slugs
	words    []string // one-word searches
	pairs    []string // two-word searches
	variants []variantRef
}

type variantRef struct {
	ID, SKU   string
	Available int
}

const sampleQuery = `query Sample($after: Cursor) { products(first: 50, after: $after) { pageInfo { hasNextPage endCursor } edges { node { slug name variants { id sku quantityAvailable } } } } }`

// sampleCatalog pages through up to pages×50 products and the category
// tree.
func sampleCatalog(client *http.Client, url string, pages int) (sample, error) {
	var s sample
	var after any
	seenW, seenP := map[string]bool{}, map[string]bool{}
	for range pages {
		var d struct {
			Products struct {
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
				Edges []struct {
					Node struct {
						Slug     string `json:"slug"`
						Name     string `json:"name"`
						Variants []struct {
							ID                string `json:"id"`
							SKU               string `json:"sku"`
							QuantityAvailable int    `json:"quantityAvailable"`
						} `json:"variants"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"products"`
		}
		if err := gql(client, url, sampleQuery, map[string]any{"after": after}, &d); err != nil {
			return s, fmt.Errorf("sample the catalogue: %w", err)
		}
		for _, e := range d.Products.Edges {
			s.products = append(s.products, e.Node.Slug)
			w, p := searchTerms(e.Node.Name)
			if w != "" && !seenW[w] {
				seenW[w] = true
				s.words = append(s.words, w)
			}
			if p != "" && !seenP[p] {
				seenP[p] = true
				s.pairs = append(s.pairs, p)
			}
			for _, v := range e.Node.Variants {
				s.variants = append(s.variants, variantRef{ID: v.ID, SKU: v.SKU, Available: v.QuantityAvailable})
			}
		}
		if !d.Products.PageInfo.HasNextPage {
			break
		}
		after = d.Products.PageInfo.EndCursor
	}
	var t struct {
		CategoryTree []struct {
			Slug  string `json:"slug"`
			Depth int    `json:"depth"`
		} `json:"categoryTree"`
	}
	if err := gql(client, url, `{ categoryTree { slug depth } }`, nil, &t); err != nil {
		return s, fmt.Errorf("sample the categories: %w", err)
	}
	for _, c := range t.CategoryTree {
		if c.Depth == 0 {
			s.roots = append(s.roots, c.Slug)
		}
	}
	if len(s.products) == 0 || len(s.roots) == 0 || len(s.words) == 0 || len(s.pairs) == 0 {
		return s, errors.New("the catalogue has no products, root categories or searchable names")
	}
	return s, nil
}

// searchTerms takes a one-word and a two-word search from a product name:
// its first word, and its first two words ("Classic Tembo Phone 0001":
// "classic", "classic tembo"). Words of digits are skipped.
func searchTerms(name string) (word, pair string) {
	var ws []string
	for _, w := range strings.Fields(strings.ToLower(name)) {
		if strings.Trim(w, "0123456789") != "" {
			ws = append(ws, w)
		}
	}
	if len(ws) > 0 {
		word = ws[0]
	}
	if len(ws) > 1 {
		pair = ws[0] + " " + ws[1]
	}
	return word, pair
}
