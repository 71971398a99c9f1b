package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

const feedQuery = "subscription { orderEvents { type } }"

// nextData checks m is an error-free `next` for id and returns its data.
func nextData(t *testing.T, m wsFrame, id string) map[string]any {
	t.Helper()
	require.Equal(t, "next", m.Type, "%s", m.Payload)
	require.Equal(t, id, m.ID)
	require.Empty(t, m.codes(t), "%s", m.Payload)
	var r struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(m.Payload, &r))
	return r.Data
}

// requireComplete checks m is the `complete` of id.
func requireComplete(t *testing.T, m wsFrame, id string) {
	t.Helper()
	require.Equal(t, [2]string{id, "complete"}, [2]string{m.ID, m.Type}, "another message came instead of complete")
}

// TestWebsocketOperationsRunOnce: a query (from the database, then from
// the catalogue cache) and a mutation sent over the socket each answer
// one `next` and one `complete`, and nothing after; the mutation writes
// once.
func TestWebsocketOperationsRunOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{CatalogCache: cache.NewMemory(8<<20, time.Minute, time.Now)}, true)
		ws := s.mustDialWS(t, "")
		for _, id := range []string{"fresh", "cached"} {
			ws.send("subscribe", id, map[string]any{"query": catalogQuery, "operationName": "Catalog"})
			data := nextData(t, ws.recv(), id)
			require.NotEmpty(t, data["categoryTree"])
			requireComplete(t, ws.recv(), id)
			ws.quiet()
		}

		v := stocked(t, s, 10)
		ws.send("subscribe", "write", map[string]any{"query": s.ops["CartCreate"], "operationName": "CartCreate",
			"variables": map[string]any{"lines": []any{line(v, 1)}}})
		data := nextData(t, ws.recv(), "write")
		require.NotEmpty(t, field(data, "cartCreate", "cart", "id"), "%v", data)
		requireComplete(t, ws.recv(), "write")
		ws.quiet()
		ctx := viewer.System(context.Background(), "test: set up")
		require.Equal(t, 1, s.client.Cart.Query().CountX(ctx))
		require.Equal(t, 1, s.client.CartLine.Query().CountX(ctx))
	})
}

// TestWebsocketRateLimit: operations over one socket draw on the
// client's bucket as requests over HTTP do; once it is spent they are
// refused (RATE_LIMITED), over the socket and over HTTP alike.
func TestWebsocketRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		const budget = 60
		limiter := ratelimit.New(ratelimit.NewMemory(time.Now), slowPolicy(budget))
		s := protectedStore(t, db, demoCatalog(t), api.Protection{RateLimit: limiter}, true)
		ws := s.mustDialWS(t, "")
		const query = "query Cats { categoryTree { id name } }"
		spent, served := 0, 0
		for i := 0; i < 200; i++ {
			id := strconv.Itoa(i)
			ws.send("subscribe", id, map[string]any{"query": query, "operationName": "Cats"})
			m := ws.recv()
			if m.Type == "error" {
				require.Equal(t, []string{"RATE_LIMITED"}, m.codes(t), "%s", m.Payload)
				break
			}
			nextData(t, m, id)
			var r struct {
				Extensions struct {
					Cost costExt `json:"cost"`
				} `json:"extensions"`
			}
			require.NoError(t, json.Unmarshal(m.Payload, &r))
			// Charged up front, less the refund of what was not used.
			spent += min(r.Extensions.Cost.RequestedQueryCost, r.Extensions.Cost.ActualQueryCost)
			served++
			requireComplete(t, ws.recv(), id)
		}
		require.Positive(t, served, "the budget serves some")
		require.LessOrEqual(t, spent, budget, "served %d", served)
		ws.quiet() // the refusal ends the operation, not the socket
		require.Equal(t, []string{"RATE_LIMITED"}, s.post(query, "Cats", nil).codes(), "HTTP draws on the same bucket")
	})
}

// protocolStore runs a store whose sockets time out and ping quickly,
// with order events for long-lived subscriptions.
func protocolStore(t *testing.T, cfg func(*api.Config)) *store {
	t.Helper()
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	return newStoreWith(t, db, demoCatalog(t), withWebsocket(withBus(events.NewLocal()), cfg))
}

// TestWebsocketCloseCodes: each breach of graphql-transport-ws closes the
// socket with the protocol's code, next to the same step done right.
func TestWebsocketCloseCodes(t *testing.T) {
	const initTimeout = 300 * time.Millisecond
	s := protocolStore(t, func(d *api.Config) {
		d.Websocket.InitTimeout = initTimeout
		d.Websocket.MaxSubscriptions = 2
		d.Websocket.MaxMessageBytes = 2048
	})
	staff := s.asStaff()
	query := map[string]any{"query": "query Cats { categoryTree { id } }"}
	code := func(c websocket.StatusCode) websocket.StatusCode { return c }

	t.Run("4400 bad message", func(t *testing.T) {
		for _, raw := range []string{`{`, `{"type":"next","id":"1","payload":{}}`, `{"type":"subscribe","payload":{"query":"{ __typename }"}}`} {
			ws := s.mustDialWS(t, "")
			ws.quiet()
			ws.sendRaw([]byte(raw))
			require.Equal(t, code(4400), ws.closed(), raw)
		}
	})
	t.Run("4401 subscribe before ack", func(t *testing.T) {
		ws := s.mustDialWS(t, "-")
		ws.send("subscribe", "1", query)
		require.Equal(t, code(4401), ws.closed())

		ws = s.mustDialWS(t, "")
		ws.send("subscribe", "1", query)
		nextData(t, ws.recv(), "1")
	})
	t.Run("4408 no connection_init in time", func(t *testing.T) {
		ws := s.mustDialWS(t, "-")
		require.Equal(t, code(4408), ws.closed())

		ws = s.mustDialWS(t, "")
		time.Sleep(2 * initTimeout)
		ws.quiet()
	})
	t.Run("4409 subscriber ID taken", func(t *testing.T) {
		ws := s.mustDialWS(t, staff.bearer)
		ws.send("subscribe", "feed", map[string]any{"query": feedQuery})
		ws.send("complete", "feed", nil)
		ws.send("subscribe", "feed", map[string]any{"query": feedQuery}) // free again
		ws.quiet()
		ws.send("subscribe", "feed", map[string]any{"query": feedQuery})
		require.Equal(t, code(4409), ws.closed())
	})
	t.Run("4429 second connection_init", func(t *testing.T) {
		ws := s.mustDialWS(t, "")
		ws.send("connection_init", "", nil)
		require.Equal(t, code(4429), ws.closed())
	})
	t.Run("4406 legacy protocol", func(t *testing.T) {
		ws, _, err := s.dialWS(t, nil, "graphql-ws")
		require.NoError(t, err)
		require.Equal(t, code(4406), ws.closed())
	})
	t.Run("1009 message too big", func(t *testing.T) {
		ws := s.mustDialWS(t, "")
		ws.send("subscribe", "1", map[string]any{"query": "query Cats { categoryTree { id } }" + strings.Repeat(" ", 1024)})
		nextData(t, ws.recv(), "1")
		ws.send("subscribe", "2", map[string]any{"query": "query Cats { categoryTree { id } }" + strings.Repeat(" ", 4096)})
		require.Equal(t, websocket.StatusMessageTooBig, ws.closed())
	})
	t.Run("operations per socket", func(t *testing.T) {
		ws := s.mustDialWS(t, staff.bearer)
		ws.send("subscribe", "a", map[string]any{"query": feedQuery})
		ws.send("subscribe", "b", map[string]any{"query": feedQuery})
		ws.send("subscribe", "c", map[string]any{"query": feedQuery})
		m := ws.recv()
		require.Equal(t, "c", m.ID)
		require.Equal(t, []string{"TOO_MANY_SUBSCRIPTIONS"}, m.codes(t), "%s", m.Payload)
		ws.send("complete", "a", nil)
		ws.send("subscribe", "c", map[string]any{"query": feedQuery})
		ws.quiet()
	})
}

// TestWebsocketKeepAlive: the server pings; a client that answers stays,
// whether its pong is the usual {"type":"pong"} (recognised without
// decoding) or carries a payload, and one that does not is closed.
func TestWebsocketKeepAlive(t *testing.T) {
	const interval = 100 * time.Millisecond
	s := protocolStore(t, func(d *api.Config) { d.Websocket.PingInterval = interval })

	for _, pong := range []string{`{"type":"pong"}`, ` { "payload": {"at": 1}, "type": "pong" }`} {
		answering := s.mustDialWS(t, "")
		for pings := 0; pings < 5; {
			m, code, err := answering.read(10 * time.Second)
			require.NoError(t, err, "closed with %d (pong %s)", code, pong)
			if m.Type == "ping" {
				answering.sendRaw([]byte(pong))
				pings++
			}
		}
		answering.quiet()
	}

	silent := s.mustDialWS(t, "")
	var got []string
	for {
		m, code, err := silent.read(10 * time.Second)
		if err != nil {
			require.Equal(t, websocket.StatusGoingAway, code, "%v", err)
			break
		}
		got = append(got, m.Type)
	}
	require.Equal(t, []string{"ping"}, got)
}

// TestWebsocketOrigin: browsers may open the socket from the API's own
// origin and from those CORS_ORIGINS lists, and from no other.
func TestWebsocketOrigin(t *testing.T) {
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	listed := protectedStore(t, db, nil, api.Protection{CORSOrigins: []string{"http://localhost:3000"}}, true)
	unlisted := newStore(t, db, nil)

	for _, c := range []struct {
		s      *store
		origin string
		ok     bool
	}{
		{listed, "http://localhost:3000", true},
		{listed, "http://evil.example", false},
		{listed, "http://localhost:3001", false},
		{listed, listed.srv.URL, true},
		{listed, "", true}, // not a browser
		{unlisted, "http://localhost:3000", false},
		{unlisted, unlisted.srv.URL, true},
	} {
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		ws, resp, err := c.s.dialWS(t, h)
		if !c.ok {
			require.Error(t, err, c.origin)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, c.origin)
			continue
		}
		require.NoError(t, err, c.origin)
		ws.send("connection_init", "", nil)
		require.Equal(t, "connection_ack", ws.recv().Type)
	}
}

// expiringToken is a valid STAFF access token for id that stops verifying
// in about `left` (verification allows 30 s of clock skew past expiry).
func expiringToken(t *testing.T, s *store, id int, left time.Duration) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, auth.Claims{
		Role: string(customer.RoleSTAFF),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "savannah-test",
			Audience:  jwt.ClaimStrings{"savannah-test"},
			Subject:   strconv.Itoa(id),
			ExpiresAt: jwt.NewNumericDate(now.Add(left - 30*time.Second)),
			IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
			ID:        fmt.Sprint("t", now.UnixNano()),
		},
	})
	tok.Header["kid"] = s.key.ID
	raw, err := tok.SignedString(s.key.Private)
	require.NoError(t, err)
	return raw
}

// TestWebsocketViewerRecheck: a STAFF subscriber whose token stops being
// valid is closed with 4403 and receives nothing more; a STAFF subscriber
// whose token holds goes on receiving.
func TestWebsocketViewerRecheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withWebsocket(withBus(bus), func(d *api.Config) {
			d.Websocket.RecheckInterval = 50 * time.Millisecond
		}))
		staff, err := s.client.Customer.Create().SetEmail("fading@example.com").SetName("Fading").SetRole(customer.RoleSTAFF).
			Save(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)

		lasting := s.asStaff().subscribe(t, "OrderFeed", nil)
		fading := s.mustDialWS(t, expiringToken(t, s, staff.ID, 5*time.Second))
		fading.send("subscribe", "feed", map[string]any{"query": feedQuery})
		live(t, bus, 2)

		require.Equal(t, websocket.StatusCode(4403), fading.closed())
		live(t, bus, 1) // its subscription ended with the socket

		alice, _ := s.asCustomer(t, "alice")
		id := placeAs(t, s, alice, "k1")
		lasting.until(func(d map[string]any) bool {
			return field(d, "orderEvents", "type") == "CREATED" && field(d, "orderEvents", "order", "id") == id
		})
	})
}

// TestWebsocketProtection: over the socket, as over HTTP, only registered
// documents run in allow-list mode, and a document over the cost or shape
// limits is refused before it runs.
func TestWebsocketProtection(t *testing.T) {
	docs, err := graph.LoadPersistedQueries("../../graph/testdata/contract")
	require.NoError(t, err)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := protectedStore(t, db, demoCatalog(t), api.Protection{PersistedOnly: docs}, false)
		doc := s.ops["CategoryTree"]
		byHash := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": graph.QueryHash(doc)}}
		ws := s.mustDialWS(t, "")

		ws.send("subscribe", "doc", map[string]any{"query": doc, "operationName": "CategoryTree"})
		require.NotEmpty(t, nextData(t, ws.recv(), "doc")["categoryTree"])
		requireComplete(t, ws.recv(), "doc")
		ws.send("subscribe", "hash", map[string]any{"operationName": "CategoryTree", "extensions": byHash})
		require.NotEmpty(t, nextData(t, ws.recv(), "hash")["categoryTree"])
		requireComplete(t, ws.recv(), "hash")

		ws.send("subscribe", "other", map[string]any{"query": "{ categoryTree { id } }"})
		m := ws.recv()
		require.Equal(t, [2]string{"other", "error"}, [2]string{m.ID, m.Type})
		require.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, m.codes(t), "%s", m.Payload)
		ws.quiet()

		open := newStoreWith(t, db, nil, storeSetup{})
		ws = open.mustDialWS(t, "")
		deep := "{ categoryTree { children { children { children { children { children { children { children { children { children { children { children { children { children { children { id } } } } } } } } } } } } } } } }"
		ws.send("subscribe", "deep", map[string]any{"query": deep})
		m = ws.recv()
		require.Equal(t, [2]string{"deep", "error"}, [2]string{m.ID, m.Type})
		require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, m.codes(t), "%s", m.Payload)
		ws.send("subscribe", "shallow", map[string]any{"query": "{ categoryTree { children { id } } }"})
		nextData(t, ws.recv(), "shallow")
		requireComplete(t, ws.recv(), "shallow")
	})
}

// TestDemotedStaffSocketStops: a STAFF member demoted to CUSTOMER while
// subscribed to the order feed has the socket closed with 4403 within
// seconds and receives no order placed after the demotion; a STAFF member
// who keeps the role goes on receiving.
func TestDemotedStaffSocketStops(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withWebsocket(withBus(bus), func(d *api.Config) {
			d.Websocket.RecheckInterval = 200 * time.Millisecond
		}))
		_, admin := member(t, s, s.tokens, "feed-admin@example.com", customer.RoleADMIN)
		demotedID, demoted := member(t, s, s.tokens, "feed-demoted@example.com", customer.RoleSTAFF)
		_, kept := member(t, s, s.tokens, "feed-kept@example.com", customer.RoleSTAFF)

		lasting := kept.subscribe(t, "OrderFeed", nil)
		losing := s.mustDialWS(t, demoted.bearer)
		losing.send("subscribe", "feed", map[string]any{"query": "subscription { orderEvents { type order { id } } }"})
		live(t, bus, 2)

		var out map[string]any
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(demotedID), "role": "CUSTOMER"}, &out)
		start := time.Now()
		require.Equal(t, websocket.StatusCode(4403), losing.closed(), "the demoted member's socket is closed as forbidden")
		require.Less(t, time.Since(start), 5*time.Second)
		live(t, bus, 1)

		alice, _ := s.asCustomer(t, "alice")
		id := placeAs(t, s, alice, "after-demotion")
		lasting.until(func(d map[string]any) bool {
			return field(d, "orderEvents", "type") == "CREATED" && field(d, "orderEvents", "order", "id") == id
		})
	})
}
