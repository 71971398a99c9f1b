package api_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/server/api"
)

// dialStalling opens a raw socket whose receive buffer is tiny, so that
// a client that stops reading soon holds up the server's writes.
func dialStalling(t *testing.T, addr, bearer string) *rawSocket {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		if err != nil {
			return err
		}
		return serr
	}}
	return dialRawWith(t, d.Dial, addr, bearer)
}

// closeCode reads everything the server sent until its close frame and
// returns the close code (-1: the connection ended without one).
func (s *rawSocket) closeCode(t *testing.T) int {
	t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(s.conn)
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return -1
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return -1
			}
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return -1
			}
			n = binary.BigEndian.Uint64(l[:])
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return -1
		}
		if h[0]&0x0f == 0x8 { // close
			require.GreaterOrEqual(t, len(b), 2)
			return int(binary.BigEndian.Uint16(b[:2]))
		}
	}
}

// metric returns the value of one sample on /metrics ("" if absent).
func (s *store) metric(t *testing.T, sample string) string {
	t.Helper()
	resp, err := http.Get(s.srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

// TestWebsocketSlowConsumer: a client that stops reading is closed with
// 1013 once its send queue fills, while another socket on the same order
// receives every event, in order, before and after.
func TestWebsocketSlowConsumer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		stalled := stalledConsumer(t, db, "queue_full", func(d *api.Config) {
			d.Websocket.SendQueue = 32 // one event's 20 messages fit: only a client that stops reading fills it
			// Long enough that the stalled client, reading again, gets the
			// close frame rather than a dropped connection.
			d.Websocket.WriteTimeout = time.Minute
		})
		require.Equal(t, int(websocket.StatusTryAgainLater), stalled.closeCode(t))
	})
}

// TestWebsocketWriteTimeout: a client that stops reading, with room left
// in its send queue, is dropped once one write to it has waited
// WriteTimeout (the connection is closed: no close frame gets through),
// while another socket on the same order receives every event.
func TestWebsocketWriteTimeout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		stalled := stalledConsumer(t, db, "write_timeout", func(d *api.Config) {
			d.Websocket.SendQueue = 1 << 20 // never full: only the write timeout drops it
			d.Websocket.WriteTimeout = 300 * time.Millisecond
		})
		require.Equal(t, -1, stalled.closeCode(t))
	})
}

// stalledConsumer serves, with the socket settings cfg, a client that
// stops reading and a healthy socket that follow the same order, and
// publishes changes until the stalled socket is closed for reason (a
// savannah_websocket_slow_consumer_closes_total reason, counted once and
// for no other reason), each change reaching the healthy socket before
// the next; the healthy socket then receives three more. It returns the
// stalled socket.
func stalledConsumer(t *testing.T, db *database.DB, reason string, cfg func(*api.Config)) *rawSocket {
	t.Helper()
	bus := events.NewLocal()
	s := newStoreWith(t, db, demoCatalog(t), withWebsocket(withBus(bus), func(d *api.Config) {
		cfg(d)
		// Neither client answers pings: none while the test runs.
		d.Websocket.PingInterval = time.Hour
	}))
	alice, _ := s.asCustomer(t, "alice")
	id := placeAs(t, s, alice, "k1")
	oid, err := scalar.DecodeID(id)
	require.NoError(t, err)
	addr := strings.TrimPrefix(s.srv.URL, "http://")

	// The stalled client follows the order 20 times over, so that the
	// kernel's socket buffers, however large, fill sooner.
	const subs = 20
	stalled := dialStalling(t, addr, alice.bearer)
	for i := range subs {
		stalled.write(t, map[string]any{"id": fmt.Sprint(i), "type": "subscribe", "payload": map[string]any{
			"query": s.ops["OrderUpdates"], "operationName": "OrderUpdates", "variables": map[string]any{"id": id},
		}})
	}
	healthy := alice.subscribe(t, "OrderUpdates", map[string]any{"id": id})
	live(t, bus, subs+1)
	closes := func(reason string) string {
		return s.metric(t, `savannah_websocket_slow_consumer_closes_total{reason="`+reason+`"}`)
	}
	require.Equal(t, "0", closes(reason))

	publish := func() {
		require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: oid, Type: events.Updated}))
		m := healthy.next()
		require.Equal(t, "next", m.Type, "%+v", m)
		require.Equal(t, id, field(m.Payload["data"].(map[string]any), "orderUpdated", "id"))
	}
	sent := 0
	for ; bus.Subscribers() > 1; sent++ { // the stalled socket's end ends its subscriptions
		require.Less(t, sent, 5000, "the stalled socket was never closed")
		publish()
	}
	require.Positive(t, sent)
	t.Logf("the stalled socket was closed (%s) after %d events", reason, sent)
	for _, r := range []string{"queue_full", "write_timeout"} {
		want := "0"
		if r == reason {
			want = "1"
		}
		require.Equal(t, want, closes(r), r)
	}
	for range 3 {
		publish() // the healthy socket goes on
	}
	require.Equal(t, "1", s.metric(t, "savannah_websocket_subscriptions"))
	return stalled
}

// TestWebsocketCaps: sockets beyond the per-address cap get 429, beyond
// the process's cap 503, both with Retry-After; under the caps they
// open. Near the cap /readyz answers 503 while open sockets keep
// working, and 200 again once sockets close.
func TestWebsocketCaps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		setup := withWebsocket(withBus(events.NewLocal()), func(d *api.Config) {
			d.Websocket.MaxSockets = 4
			d.Websocket.MaxSocketsPerAddr = 2
			d.Websocket.ReadyFraction = 0.75 // not ready from 3 sockets
		})
		setup.protection.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
		s := newStoreWith(t, db, demoCatalog(t), setup)
		from := func(client string) http.Header { return http.Header{"X-Forwarded-For": {client}} }
		open := func(client string) *wsClient {
			t.Helper()
			c, resp, err := s.dialWS(t, from(client))
			require.NoError(t, err)
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			c.send("connection_init", "", map[string]any{})
			require.Equal(t, "connection_ack", c.recv().Type)
			return c
		}
		refused := func(client string, code int) {
			t.Helper()
			_, resp, err := s.dialWS(t, from(client))
			require.Error(t, err)
			require.NotNil(t, resp)
			require.Equal(t, code, resp.StatusCode)
			require.Equal(t, "10", resp.Header.Get("Retry-After"))
		}
		ready := func() (int, map[string]string) {
			resp, err := http.Get(s.srv.URL + "/readyz")
			require.NoError(t, err)
			defer resp.Body.Close()
			var body map[string]string
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			return resp.StatusCode, body
		}
		works := func(c *wsClient, id string) {
			t.Helper()
			c.send("subscribe", id, map[string]any{"query": "{ __typename }"})
			require.Equal(t, "next", c.recv().Type)
			require.Equal(t, "complete", c.recv().Type)
		}

		a1 := open("203.0.113.1")
		a2 := open("203.0.113.1")
		refused("203.0.113.1", http.StatusTooManyRequests)
		code, _ := ready()
		require.Equal(t, http.StatusOK, code, "2 of 4 open")

		open("203.0.113.2")
		code, body := ready()
		require.Equal(t, http.StatusServiceUnavailable, code, "3 of 4 open: near the cap")
		require.Contains(t, body["websockets"], "near capacity")
		works(a1, "q1") // open sockets keep working

		open("203.0.113.3")
		refused("203.0.113.3", http.StatusServiceUnavailable)
		refused("203.0.113.4", http.StatusServiceUnavailable)
		require.Equal(t, "1", s.metric(t, `savannah_websocket_refused_total{reason="addr_cap"}`))
		require.Equal(t, "2", s.metric(t, `savannah_websocket_refused_total{reason="replica_cap"}`))
		require.Equal(t, "4", s.metric(t, "savannah_websocket_open"))

		require.NoError(t, a1.conn.Close(websocket.StatusNormalClosure, ""))
		require.NoError(t, a2.conn.Close(websocket.StatusNormalClosure, ""))
		require.Eventually(t, func() bool { code, _ := ready(); return code == http.StatusOK }, 10*time.Second, 10*time.Millisecond)
		works(open("203.0.113.1"), "q2") // the address may open sockets again
	})
}

// TestWebsocketShutdown: CloseSubscriptions closes open sockets with 1001
// and returns once they have closed; upgrades after it get 503.
func TestWebsocketShutdown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withBus(bus))
		ws := s.mustDialWS(t, "")
		works := s.mustDialWS(t, "")
		works.send("subscribe", "q", map[string]any{"query": "{ __typename }"})
		require.Equal(t, "next", works.recv().Type, "sockets work before the shutdown")

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, s.api.CloseSubscriptions(ctx))
		require.Equal(t, websocket.StatusGoingAway, ws.closed())
		require.Equal(t, "0", s.metric(t, "savannah_websocket_open"))
		_, resp, err := s.dialWS(t, nil)
		require.Error(t, err)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "1", s.metric(t, `savannah_websocket_refused_total{reason="shutdown"}`))
	})
}
