package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

type wsMessage struct {
	ID      string         `json:"id,omitempty"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload,omitempty"`
}

// wsFrame is any graphql-transport-ws message, its payload kept raw (an
// error message's payload is a list).
type wsFrame struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws by hand, so tests can break the
// protocol on purpose.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialWS opens a socket to s; header adds request headers (Origin),
// protocols replaces graphql-transport-ws.
func (s *store) dialWS(t *testing.T, header http.Header, protocols ...string) (*wsClient, *http.Response, error) {
	t.Helper()
	if protocols == nil {
		protocols = []string{"graphql-transport-ws"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: protocols, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &wsClient{t: t, conn: conn}, resp, nil
}

// mustDialWS opens a socket and, unless bearer is "-", sends
// connection_init with bearer (empty: anonymous) and waits for the ack.
func (s *store) mustDialWS(t *testing.T, bearer string) *wsClient {
	t.Helper()
	c, _, err := s.dialWS(t, nil)
	require.NoError(t, err)
	if bearer != "-" {
		payload := map[string]any{}
		if bearer != "" {
			payload["Authorization"] = "Bearer " + bearer
		}
		c.send("connection_init", "", payload)
		require.Equal(t, "connection_ack", c.recv().Type)
	}
	return c
}

func (c *wsClient) send(typ, id string, payload any) {
	c.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	b, err := json.Marshal(m)
	require.NoError(c.t, err)
	c.sendRaw(b)
}

func (c *wsClient) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, b))
}

// read returns the next message, or the close status (-1 with a message).
func (c *wsClient) read(wait time.Duration) (wsFrame, websocket.StatusCode, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		return wsFrame{}, websocket.CloseStatus(err), err
	}
	var m wsFrame
	require.NoError(c.t, json.Unmarshal(b, &m))
	return m, -1, nil
}

// recv returns the next message, answering the server's pings on the
// way as clients do.
func (c *wsClient) recv() wsFrame {
	c.t.Helper()
	for {
		m, code, err := c.read(10 * time.Second)
		require.NoError(c.t, err, "closed with %d", code)
		if m.Type == "ping" {
			c.send("pong", "", nil)
			continue
		}
		return m
	}
}

// closed waits for the server to close the socket, and returns the code.
func (c *wsClient) closed() websocket.StatusCode {
	c.t.Helper()
	for {
		m, code, err := c.read(10 * time.Second)
		if err != nil {
			require.False(c.t, errors.Is(err, context.DeadlineExceeded), "the socket stayed open")
			return code
		}
		if m.Type == "ping" {
			c.send("pong", "", nil)
		}
	}
}

// quiet proves nothing more is pending: a ping sent now is answered
// first.
func (c *wsClient) quiet() {
	c.t.Helper()
	c.send("ping", "", nil)
	require.Equal(c.t, "pong", c.recv().Type, "a message came after the operation ended")
}

func (m wsFrame) codes(t *testing.T) []string {
	t.Helper()
	var errs []struct {
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	}
	switch m.Type {
	case "error":
		require.NoError(t, json.Unmarshal(m.Payload, &errs))
	case "next":
		var r struct {
			Errors json.RawMessage `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(m.Payload, &r))
		if len(r.Errors) > 0 {
			require.NoError(t, json.Unmarshal(r.Errors, &errs))
		}
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Extensions.Code)
	}
	return out
}

// withWebsocket runs the store with a WebSocket configuration.
func withWebsocket(setup storeSetup, cfg func(*api.Config)) storeSetup {
	prev := setup.deps
	setup.deps = func(d *api.Config) {
		if prev != nil {
			prev(d)
		}
		cfg(d)
	}
	return setup
}

// TestWebsocketAuth: subscriptions authenticate with connection_init's
// payload; a bad token closes the connection with 4403 (so clients do not
// retry at once), and the role gates apply.
func TestWebsocketAuth(t *testing.T) {
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	s := newStore(t, db, nil)
	c := s.client.Customer.Create().SetEmail("ws@example.com").SetName("W").SaveX(viewer.System(context.Background(), "test: set up"))
	good, _, err := s.tokens.Issue(c.ID, customer.RoleCUSTOMER, 0)
	require.NoError(t, err)

	for name, authz := range map[string]string{"forged": "Bearer not.a.jwt", "not bearer": "Basic " + good} {
		t.Run(name, func(t *testing.T) {
			ws, _, err := s.dialWS(t, nil)
			require.NoError(t, err)
			ws.send("connection_init", "", map[string]any{"Authorization": authz})
			require.Equal(t, websocket.StatusCode(4403), ws.closed())
		})
	}

	// The staff feed: a customer is FORBIDDEN, a connection without a
	// token UNAUTHENTICATED, both before the resolver runs.
	for bearer, code := range map[string]string{good: "FORBIDDEN", "": "UNAUTHENTICATED"} {
		ws := s.mustDialWS(t, bearer)
		ws.send("subscribe", "1", map[string]any{"query": "subscription { orderEvents { type } }"})
		m := ws.recv()
		require.Equal(t, []string{code}, m.codes(t), "%s", m.Payload)
	}
}

func errorCodes(m wsMessage) []string {
	var out []string
	errs, _ := any(m.Payload["errors"]).([]any)
	for _, e := range errs {
		em, _ := e.(map[string]any)
		ext, _ := em["extensions"].(map[string]any)
		code, _ := ext["code"].(string)
		out = append(out, code)
	}
	return out
}
