// Command proof is the client side of the two-replica proof
// (scripts/two-replicas.sh, which starts and stops the servers): it talks
// to two api instances over HTTP and checks what one machine can show of
// a multi-replica deployment.
//
//	proof keygen                 an Ed25519 signing key (PKCS#8 PEM) both replicas share
//	proof orders -a A -b B …     N orders across both replicas; every notification delivered exactly once
//	proof ratelimit -a A -b B …  a client's bucket emptied through A is empty on B
//	proof load -backends A,B …   load across the ready replicas until interrupted; fails on any failed request
//
// Every server it talks to must be on loopback. Simulated shoppers come
// from distinct addresses through X-Forwarded-For, which the servers
// believe from 127.0.0.1 only (TRUSTED_PROXIES), so each has its own rate
// limit bucket; the load and the staff checks come from an address in
// RATE_LIMIT_EXEMPT.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "proof: FAIL:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: proof keygen|orders|ratelimit|load [flags]")
	}
	switch cmd, args := args[0], args[1:]; cmd {
	case "keygen":
		return keygen(os.Stdout)
	case "orders":
		return orders(ctx, args)
	case "ratelimit":
		return rateLimit(ctx, args)
	case "load":
		return load(ctx, args)
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func keygen(w io.Writer) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	return pem.Encode(w, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// loopback refuses any server not on this machine.
func loopback(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return "", fmt.Errorf("%q: want http://127.0.0.1:PORT", raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// client is one simulated client of the API: an address (sent as
// X-Forwarded-For) and, once signed in, a token.
type client struct {
	http  *http.Client
	addr  string
	token string
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResult struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

// do posts one operation to base/graphql and decodes the answer whatever
// its status.
func (c client) do(ctx context.Context, base, query string, vars map[string]any) (gqlResult, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return gqlResult{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", c.addr)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return gqlResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return gqlResult{}, err
	}
	res := gqlResult{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, fmt.Errorf("%s answered %d with %.200q", base, resp.StatusCode, raw)
	}
	res.Status = resp.StatusCode
	return res, nil
}

// call is do for operations that must succeed; it decodes data into out.
// ship sets the cart's Nairobi address (on base) and chooses its first
// DELIVERY option (on next), as the demo store's shoppers do.
func (c client) ship(ctx context.Context, base, next, cartID, phone string) error {
	var set struct {
		P struct {
			Cart *struct {
				ShippingOptions []struct {
					Method struct{ ID, Kind string } `json:"method"`
				} `json:"shippingOptions"`
			} `json:"cart"`
			UserErrors userErrors `json:"userErrors"`
		} `json:"cartSetShippingAddress"`
	}
	address := map[string]any{"line1": "Moi Avenue 1", "city": "Nairobi", "countryCode": "KE", "phone": phone}
	if err := c.call(ctx, base, shipToOp, map[string]any{"cartId": cartID, "address": address}, &set); err != nil {
		return fmt.Errorf("cartSetShippingAddress: %w", err)
	}
	if err := set.P.UserErrors.err("cartSetShippingAddress"); err != nil || set.P.Cart == nil {
		return fmt.Errorf("cartSetShippingAddress: %v", err)
	}
	for _, o := range set.P.Cart.ShippingOptions {
		if o.Method.Kind != "DELIVERY" {
			continue
		}
		var choose struct {
			P struct {
				UserErrors userErrors `json:"userErrors"`
			} `json:"cartSelectShippingOption"`
		}
		if err := c.call(ctx, next, chooseOp, map[string]any{"cartId": cartID, "optionId": o.Method.ID}, &choose); err != nil {
			return fmt.Errorf("cartSelectShippingOption: %w", err)
		}
		return choose.P.UserErrors.err("cartSelectShippingOption")
	}
	return errors.New("the demo store offers no delivery to Nairobi")
}

func (c client) call(ctx context.Context, base, query string, vars map[string]any, out any) error {
	res, err := c.do(ctx, base, query, vars)
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		return fmt.Errorf("%s answered %d: %+v", base, res.Status, res.Errors)
	}
	return json.Unmarshal(res.Data, out)
}

type userErrors []struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

func (u userErrors) err(op string) error {
	if len(u) == 0 {
		return nil
	}
	return fmt.Errorf("%s: userErrors %+v", op, u)
}

const (
	registerOp = `mutation Register($input: RegisterInput!) {
  register(input: $input) { token { accessToken } userErrors { field message code } } }`
	loginOp = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token { accessToken } userErrors { field message code } } }`
	variantsOp = `query Variants { products(first: 50) { edges { node { variants { id quantityAvailable } } } } }`
	cartOp     = `mutation CartCreate($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id totalQuantity } userErrors { field message code } } }`
	// The demo store ships: a cart takes an address and a delivery
	// option before placeOrder.
	shipToOp = `mutation CartSetShippingAddress($cartId: ID!, $address: AddressInput) {
  cartSetShippingAddress(cartId: $cartId, address: $address) {
    cart { shippingOptions { method { id kind } } } userErrors { field message code } } }`
	chooseOp = `mutation CartSelectShippingOption($cartId: ID!, $optionId: ID!) {
  cartSelectShippingOption(cartId: $cartId, optionId: $optionId) { userErrors { field message code } } }`
	placeOp = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id number status } userErrors { field message code } } }`
	notificationsOp = `query Notifications($first: Int, $after: Cursor) {
  notifications(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { channel recipient template status attempts order { number } } } } }`
	// A dear anonymous query (requested cost 502 of QUERY_MAX_COST) that
	// no cache answers before the rate limit is charged.
	dearOp = `query Dear { products(first: 100) { edges { node { id name } } } }`
)

func newHTTP() *http.Client { return &http.Client{Timeout: 15 * time.Second} }

// orders places N orders, alternating the replicas step by step, and
// checks that every notification they cause is delivered exactly once.
func orders(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	aURL := fs.String("a", "", "api A, http://127.0.0.1:PORT")
	bURL := fs.String("b", "", "api B")
	n := fs.Int("n", 10, "orders to place")
	run := fs.String("run", "", "a token unique to this run, in every address (the mailbox is shared)")
	mailpit := fs.String("mailpit", "", "Mailpit's HTTP API")
	admin := fs.String("admin-email", "", "the NOTIFY_ADMIN_EMAILS address of the servers")
	staffEmail := fs.String("staff-email", "", "a staff account, to read the delivery log")
	staffPassword := fs.String("staff-password", "", "its password")
	exemptAddr := fs.String("exempt-addr", "10.99.0.1", "an address in RATE_LIMIT_EXEMPT, for the staff's polling")
	timeout := fs.Duration("timeout", 60*time.Second, "how long delivery may take")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := loopback(*aURL)
	if err != nil {
		return err
	}
	b, err := loopback(*bURL)
	if err != nil {
		return err
	}
	mp, err := loopback(*mailpit)
	if err != nil {
		return err
	}
	if *run == "" || *admin == "" || *staffEmail == "" || *n < 1 {
		return errors.New("orders: -run, -admin-email, -staff-email and a positive -n are required")
	}
	hc := newHTTP()
	replicas := [2]string{a, b}

	// Stock to sell, from the demo catalogue.
	ids, stock, err := inStock(ctx, client{http: hc, addr: *exemptAddr}, a)
	if err != nil {
		return err
	}

	type placed struct{ number, email, phone string }
	var all []placed
	for i := range *n {
		// Each order's steps alternate replicas, starting on A for even
		// orders and on B for odd ones: tokens, carts and orders made on
		// one replica must work on the other.
		on := func(step int) string { return replicas[(i+step)%2] }
		c := client{http: hc, addr: fmt.Sprintf("10.20.%d.%d", i/250, i%250+1)}
		email := fmt.Sprintf("proof-%s-%d@example.com", *run, i)
		phone := fmt.Sprintf("+2547%08d", 10000000+i)
		var reg struct {
			Register struct {
				Token      *struct{ AccessToken string } `json:"token"`
				UserErrors userErrors                    `json:"userErrors"`
			} `json:"register"`
		}
		in := map[string]any{"email": email, "password": "Savannah-proof-" + *run, "name": fmt.Sprintf("Proof %d", i), "phone": phone}
		if err := c.call(ctx, on(0), registerOp, map[string]any{"input": in}, &reg); err != nil {
			return fmt.Errorf("order %d: register: %w", i, err)
		}
		if err := reg.Register.UserErrors.err("register"); err != nil || reg.Register.Token == nil {
			return fmt.Errorf("order %d: %v", i, err)
		}
		c.token = reg.Register.Token.AccessToken

		var variant string
		for _, id := range ids {
			if stock[id] > 0 {
				variant = id
				stock[id]--
				break
			}
		}
		if variant == "" {
			return fmt.Errorf("order %d: the demo store is out of stock", i)
		}
		var cart struct {
			CartCreate struct {
				Cart       *struct{ ID string } `json:"cart"`
				UserErrors userErrors           `json:"userErrors"`
			} `json:"cartCreate"`
		}
		lines := []any{map[string]any{"variantId": variant, "quantity": 1}}
		if err := c.call(ctx, on(1), cartOp, map[string]any{"lines": lines}, &cart); err != nil {
			return fmt.Errorf("order %d: cartCreate: %w", i, err)
		}
		if err := cart.CartCreate.UserErrors.err("cartCreate"); err != nil || cart.CartCreate.Cart == nil {
			return fmt.Errorf("order %d: %v", i, err)
		}
		if err := c.ship(ctx, on(1), on(2), cart.CartCreate.Cart.ID, phone); err != nil {
			return fmt.Errorf("order %d: %w", i, err)
		}
		var place struct {
			PlaceOrder struct {
				Order      *struct{ Number, Status string } `json:"order"`
				UserErrors userErrors                       `json:"userErrors"`
			} `json:"placeOrder"`
		}
		input := map[string]any{
			"cartId":         cart.CartCreate.Cart.ID,
			"paymentMethod":  "CASH_ON_DELIVERY",
			"idempotencyKey": fmt.Sprintf("proof-%s-%d", *run, i),
		}
		if err := c.call(ctx, on(2), placeOp, map[string]any{"input": input}, &place); err != nil {
			return fmt.Errorf("order %d: placeOrder: %w", i, err)
		}
		if err := place.PlaceOrder.UserErrors.err("placeOrder"); err != nil || place.PlaceOrder.Order == nil {
			return fmt.Errorf("order %d: %v", i, err)
		}
		all = append(all, placed{place.PlaceOrder.Order.Number, email, phone})
	}
	fmt.Printf("orders: placed %d orders through both replicas (%s … %s)\n", len(all), all[0].number, all[len(all)-1].number)

	// The delivery log, as staff see it: one SMS and one email to the
	// customer and one email to the store per order, each SENT after one
	// attempt.
	staff := client{http: hc, addr: *exemptAddr}
	var login struct {
		Login struct {
			Token      *struct{ AccessToken string } `json:"token"`
			UserErrors userErrors                    `json:"userErrors"`
		} `json:"login"`
	}
	if err := staff.call(ctx, b, loginOp, map[string]any{"email": *staffEmail, "password": *staffPassword}, &login); err != nil {
		return fmt.Errorf("staff login: %w", err)
	}
	if err := login.Login.UserErrors.err("login"); err != nil || login.Login.Token == nil {
		return fmt.Errorf("staff login: %v", err)
	}
	staff.token = login.Login.Token.AccessToken
	want := map[string]bool{}
	for _, p := range all {
		want["SMS "+p.phone+" "+p.number] = true
		want["EMAIL "+p.email+" "+p.number] = true
		want["EMAIL "+strings.ToLower(*admin)+" "+p.number] = true
	}

	deadline := time.Now().Add(*timeout)
	var sent, pending int
	for {
		rows, err := notificationLog(ctx, staff, a)
		if err != nil {
			return err
		}
		seen := map[string]int{}
		sent, pending = 0, 0
		var problems []string
		for _, r := range rows {
			key := r.Channel + " " + recipient(r) + " " + r.Order.Number
			seen[key]++
			switch {
			case r.Status == "SENT" && r.Attempts == 1:
				sent++
			case r.Status == "PENDING":
				pending++
			default:
				problems = append(problems, fmt.Sprintf("%s is %s after %d attempts", key, r.Status, r.Attempts))
			}
		}
		for key, count := range seen {
			if !want[key] || count != 1 {
				problems = append(problems, fmt.Sprintf("%s: %d rows, expected %d", key, count, map[bool]int{true: 1}[want[key]]))
			}
		}
		if len(problems) > 0 {
			sort.Strings(problems)
			return fmt.Errorf("delivery log: %s", strings.Join(problems, "; "))
		}
		if sent == len(want) && len(seen) == len(want) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("delivery log: %d of %d notifications SENT after %s (%d pending)", sent, len(want), *timeout, pending)
		}
		if err := pause(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	fmt.Printf("orders: delivery log: %d notifications, each SENT once after one attempt\n", sent)

	// The mailbox: each customer got exactly one email, the store one per
	// order. Checked twice, the second time after the worker has had ten
	// polls to send anything twice.
	for round := range 2 {
		if round == 1 {
			if err := pause(ctx, 2*time.Second); err != nil {
				return err
			}
		}
		for _, p := range all {
			subjects, err := mailbox(ctx, hc, mp, p.email)
			if err != nil {
				return err
			}
			if len(subjects) != 1 || !mentions(subjects[0], p.number) {
				return fmt.Errorf("mailbox of %s: %q, expected one email about %s", p.email, subjects, p.number)
			}
		}
		subjects, err := mailbox(ctx, hc, mp, *admin)
		if err != nil {
			return err
		}
		if len(subjects) != len(all) {
			return fmt.Errorf("mailbox of %s: %d emails, expected %d", *admin, len(subjects), len(all))
		}
		for _, p := range all {
			count := 0
			for _, s := range subjects {
				if mentions(s, p.number) {
					count++
				}
			}
			if count != 1 {
				return fmt.Errorf("mailbox of %s: %d emails about %s, expected 1", *admin, count, p.number)
			}
		}
	}
	fmt.Printf("orders: Mailpit holds exactly %d customer emails and %d store copies, none twice\n", len(all), len(all))
	return nil
}

type logRow struct {
	Channel, Recipient, Template, Status string
	Attempts                             int
	Order                                struct{ Number string }
}

// recipient is the row's address, without the display form that
// NOTIFY_ADMIN_EMAILS entries keep ("<ops@example.com>").
func recipient(r logRow) string {
	if r.Channel == "EMAIL" {
		if a, err := mail.ParseAddress(r.Recipient); err == nil {
			return strings.ToLower(a.Address)
		}
	}
	return strings.ToLower(r.Recipient)
}

// mentions reports whether the subject names the order number as a word
// (SV-100001, not SV-1000010).
func mentions(subject, number string) bool {
	return slices.Contains(strings.FieldsFunc(subject, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	}), number)
}

// notificationLog reads the whole delivery log through the API.
func notificationLog(ctx context.Context, staff client, base string) ([]logRow, error) {
	var rows []logRow
	var after any
	for {
		var page struct {
			Notifications struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node logRow }
			}
		}
		if err := staff.call(ctx, base, notificationsOp, map[string]any{"first": 100, "after": after}, &page); err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
		for _, e := range page.Notifications.Edges {
			rows = append(rows, e.Node)
		}
		if !page.Notifications.PageInfo.HasNextPage {
			return rows, nil
		}
		after = page.Notifications.PageInfo.EndCursor
	}
}

// mailbox lists the subjects of the messages Mailpit holds for address.
func mailbox(ctx context.Context, hc *http.Client, api, address string) ([]string, error) {
	q := url.Values{"query": {`to:"` + address + `"`}, "limit": {"1000"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/api/v1/search?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailpit: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpit answered %d", resp.StatusCode)
	}
	var res struct {
		Messages []struct {
			Subject string
			To      []struct{ Address string }
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, fmt.Errorf("mailpit: %w", err)
	}
	var subjects []string
	for _, m := range res.Messages {
		if slices.ContainsFunc(m.To, func(t struct{ Address string }) bool { return strings.EqualFold(t.Address, address) }) {
			subjects = append(subjects, m.Subject)
		}
	}
	return subjects, nil
}

// rateLimit empties one client's bucket through A, then shows that B
// refuses the same client and still serves another.
func rateLimit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ratelimit", flag.ContinueOnError)
	aURL := fs.String("a", "", "api A")
	bURL := fs.String("b", "", "api B")
	addr := fs.String("addr", "10.30.0.1", "the throttled client's address")
	other := fs.String("other-addr", "10.30.0.2", "another client's address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := loopback(*aURL)
	if err != nil {
		return err
	}
	b, err := loopback(*bURL)
	if err != nil {
		return err
	}
	c := client{http: newHTTP(), addr: *addr}
	served := 0
	for {
		res, err := c.do(ctx, a, dearOp, nil)
		if err != nil {
			return err
		}
		if res.Status == http.StatusTooManyRequests {
			if len(res.Errors) == 0 || res.Errors[0].code() != "RATE_LIMITED" {
				return fmt.Errorf("replica A answered 429 without RATE_LIMITED: %+v", res.Errors)
			}
			break
		}
		if res.Status != http.StatusOK || len(res.Errors) > 0 {
			return fmt.Errorf("replica A answered %d: %+v", res.Status, res.Errors)
		}
		if served++; served > 100 {
			return errors.New("replica A served 100 dear queries without a rate limit: is RATE_LIMIT_CAPACITY small?")
		}
	}
	fmt.Printf("ratelimit: A served client %s %d dear queries, then answered 429 RATE_LIMITED\n", *addr, served)

	res, err := c.do(ctx, b, dearOp, nil)
	if err != nil {
		return err
	}
	if res.Status != http.StatusTooManyRequests || len(res.Errors) == 0 || res.Errors[0].code() != "RATE_LIMITED" {
		return fmt.Errorf("replica B answered the same client %d %+v: the bucket is not shared", res.Status, res.Errors)
	}
	fmt.Printf("ratelimit: B answers the same client 429 RATE_LIMITED at once: %s\n", res.Errors[0].Message)
	res, err = client{http: c.http, addr: *other}.do(ctx, b, dearOp, nil)
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		return fmt.Errorf("replica B refused another client too (%d %+v): the limit is not per client", res.Status, res.Errors)
	}
	fmt.Printf("ratelimit: B serves another client (%s) as usual\n", *other)
	return nil
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
