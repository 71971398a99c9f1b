package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

type wsMessage struct {
	ID      string         `json:"id,omitempty"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload,omitempty"`
}

// TestWebsocketAuth: subscriptions authenticate with connection_init's
// payload; a bad token closes the connection, and the role gates apply.
func TestWebsocketAuth(t *testing.T) {
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	s := newStore(t, db, nil)
	c := s.client.Customer.Create().SetEmail("ws@example.com").SetName("W").SaveX(auth.SystemContext(context.Background()))
	good, _, err := s.tokens.Issue(c.ID, customer.RoleCUSTOMER, 0)
	require.NoError(t, err)

	dial := func(authz string) (*websocket.Conn, wsMessage) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.CloseNow() })
		require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: map[string]any{"Authorization": authz}}))
		var m wsMessage
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			return conn, wsMessage{Type: "closed: " + websocket.CloseStatus(err).String()}
		}
		return conn, m
	}

	for name, authz := range map[string]string{"forged": "Bearer not.a.jwt", "not bearer": "Basic " + good} {
		t.Run(name, func(t *testing.T) {
			_, m := dial(authz)
			require.NotEqual(t, "connection_ack", m.Type)
		})
	}

	// The staff feed: a customer is FORBIDDEN, a connection without a
	// token UNAUTHENTICATED, both before the resolver runs.
	for authz, code := range map[string]string{"Bearer " + good: "FORBIDDEN", "": "UNAUTHENTICATED"} {
		conn, m := dial(authz)
		require.Equal(t, "connection_ack", m.Type)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		require.NoError(t, wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "subscribe", Payload: map[string]any{"query": "subscription { orderEvents { type } }"}}))
		require.NoError(t, wsjson.Read(ctx, conn, &m))
		cancel()
		require.Equal(t, []string{code}, errorCodes(m), "%+v", m)
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
