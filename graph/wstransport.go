package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The graphql-transport-ws protocol
// (github.com/enisdenjo/graphql-ws, PROTOCOL.md), spoken by graphql-ws 5
// and 6, Apollo Client, urql and GraphiQL. The legacy
// subscriptions-transport-ws protocol (also named "graphql-ws") is refused:
// its socket is closed with 4406 right after the upgrade.
const wsSubprotocol = "graphql-transport-ws"

// Close codes of graphql-transport-ws, and the standard one for a peer that
// went away (a server shutting down, a client that stopped answering
// pings), after which clients reconnect.
const (
	closeGoingAway          = websocket.StatusGoingAway // 1001
	closeBadRequest         = 4400
	closeUnauthorized       = 4401 // subscribe before connection_ack
	closeForbidden          = 4403 // connection_init refused, or the viewer lost the right
	closeSubprotocol        = 4406
	closeInitTimeout        = 4408
	closeSubscriberExists   = 4409
	closeTooManyInitRequest = 4429
)

// Message types of graphql-transport-ws.
const (
	msgConnectionInit = "connection_init"
	msgConnectionAck  = "connection_ack"
	msgPing           = "ping"
	msgPong           = "pong"
	msgSubscribe      = "subscribe"
	msgNext           = "next"
	msgError          = "error"
	msgComplete       = "complete"
)

// CodeTooManySubscriptions refuses a subscribe beyond the socket's limit
// (WebsocketConfig.MaxSubscriptions); the socket stays open.
const CodeTooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS"

// WebsocketConfig bounds and paces the GraphQL WebSocket. Zero fields take
// the defaults of DefaultWebsocketConfig.
type WebsocketConfig struct {
	// InitTimeout is how long a new socket may wait before sending
	// connection_init; then it is closed with 4408.
	InitTimeout time.Duration
	// PingInterval is how often the server sends a graphql-transport-ws
	// ping. It must stay below every proxy's idle timeout (k8s/ingress).
	// A socket that has not answered one ping with a pong when the next
	// is due is closed (1001): it is gone, or a proxy dropped it.
	PingInterval time.Duration
	// RecheckInterval is how often the viewer of an open socket is
	// checked again (see viewerCheck); the check also runs before each
	// operation starts and before each subscription event is sent. A
	// viewer whose token is no longer valid closes the socket with 4403.
	RecheckInterval time.Duration
	// MaxSubscriptions bounds the operations running at once on one
	// socket; a subscribe beyond it gets an error message
	// (TOO_MANY_SUBSCRIPTIONS).
	MaxSubscriptions int
	// MaxMessageBytes bounds one message from the client; a larger one
	// closes the socket with 1009 (message too big).
	MaxMessageBytes int64
	// OriginAllowed admits browser pages from other origins (the API's
	// CORS allow-list); nil admits only the API's own origin. Requests
	// without an Origin header (not from a browser) are admitted.
	OriginAllowed func(origin string) bool
}

// DefaultWebsocketConfig: pings every 15 s (proxies in k8s/ wait 120 s),
// connection_init within 3 s, the viewer re-checked every 5 s, 20
// operations and 1 MiB (the HTTP body limit) per message.
func DefaultWebsocketConfig() WebsocketConfig {
	return WebsocketConfig{
		InitTimeout:      3 * time.Second,
		PingInterval:     15 * time.Second,
		RecheckInterval:  5 * time.Second,
		MaxSubscriptions: 20,
		MaxMessageBytes:  1 << 20,
	}
}

func (c WebsocketConfig) withDefaults() WebsocketConfig {
	d := DefaultWebsocketConfig()
	if c.InitTimeout <= 0 {
		c.InitTimeout = d.InitTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = d.PingInterval
	}
	if c.RecheckInterval <= 0 {
		c.RecheckInterval = d.RecheckInterval
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = d.MaxSubscriptions
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = d.MaxMessageBytes
	}
	return c
}

// socketAuth authenticates a socket and checks, later, that its viewer
// still holds the right it connected with (websocket.go).
type socketAuth interface {
	// init reads connection_init's payload (and the upgrade request's
	// headers) and returns the socket's context with its viewer; an
	// error refuses the socket.
	init(ctx context.Context, payload map[string]any, header http.Header) (context.Context, error)
	// check reports whether the viewer init found is still valid.
	check(ctx context.Context) error
}

// wsTransport serves GraphQL over graphql-transport-ws. Every operation
// (query, mutation or subscription) runs through the same executor, and
// so the same extensions, as over HTTP: persisted queries, cost limits,
// rate limits, one transaction per mutation.
type wsTransport struct {
	cfg  WebsocketConfig
	auth socketAuth
	log  *slog.Logger
}

var _ graphql.Transport = wsTransport{}

// Supports implements graphql.Transport: WebSocket upgrades.
func (t wsTransport) Supports(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Do implements graphql.Transport: it serves one socket until it closes.
func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !t.originAllowed(r) {
		http.Error(w, "this origin may not open a WebSocket here", http.StatusForbidden)
		return
	}
	// The origin was checked above, with the API's own rule.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wsSubprotocol}, InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the request
	}
	if conn.Subprotocol() != wsSubprotocol {
		_ = conn.Close(closeSubprotocol, "Subprotocol not acceptable")
		return
	}
	conn.SetReadLimit(t.cfg.MaxMessageBytes)
	c := &wsConn{
		t:       t,
		conn:    conn,
		exec:    exec,
		ctx:     r.Context(),
		headers: r.Header,
		ops:     map[string]*wsOp{},
		revoked: make(chan struct{}, 1),
	}
	c.serve()
}

// originAllowed: no Origin (not a browser), the API's own origin, or one
// that OriginAllowed admits.
func (t wsTransport) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return t.cfg.OriginAllowed != nil && t.cfg.OriginAllowed(origin)
}

// wsConn is one socket. Its serve loop alone reads messages, answers the
// connection-level ones and starts operations; each operation runs in its
// own goroutine and writes its own messages.
type wsConn struct {
	t       wsTransport
	conn    *websocket.Conn
	exec    graphql.GraphExecutor
	ctx     context.Context // the upgrade request's; after connection_init, with the viewer
	headers http.Header

	initialised bool // connection_init received (serve loop only)
	acked       bool // and accepted (serve loop only)

	mu  sync.Mutex
	ops map[string]*wsOp // running operations by subscriber ID

	revoked chan struct{} // an operation found the viewer no longer valid
}

// wsOp is one running operation; cancel stops it.
type wsOp struct {
	id     string
	cancel context.CancelFunc
}

// wsMessage is one graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// closeError is how the socket ends: a close code and reason.
type closeError struct {
	code   websocket.StatusCode
	reason string
}

// closeWith formats the reason, cut to the 123 bytes a close frame holds.
func closeWith(code websocket.StatusCode, format string, args ...any) *closeError {
	reason := fmt.Sprintf(format, args...)
	if len(reason) > 123 {
		reason = strings.ToValidUTF8(reason[:123], "")
	}
	return &closeError{code: code, reason: reason}
}

// serve reads messages and keeps time (init timeout, pings, viewer
// checks) until the socket ends, then stops every operation.
func (c *wsConn) serve() {
	// Reads stop when serve returns; the connection's own context (the
	// request's) ending means the server is shutting down, which closes
	// the socket with 1001 below rather than abruptly.
	readCtx, stopReading := context.WithCancel(context.WithoutCancel(c.ctx))
	defer stopReading()
	defer c.stopAll()

	msgs := make(chan []byte)
	readEnded := make(chan struct{}) // the client closed the socket, or it broke
	go func() {
		for {
			_, b, err := c.conn.Read(readCtx)
			if err != nil {
				close(readEnded)
				return
			}
			select {
			case msgs <- b:
			case <-readCtx.Done():
				return
			}
		}
	}()

	initTimer := time.NewTimer(c.t.cfg.InitTimeout)
	defer initTimer.Stop()
	ping := time.NewTicker(c.t.cfg.PingInterval)
	defer ping.Stop()
	recheck := time.NewTicker(c.t.cfg.RecheckInterval)
	defer recheck.Stop()
	awaitingPong := false

	var end *closeError
	for end == nil {
		select {
		case <-c.ctx.Done():
			end = closeWith(closeGoingAway, "Going away")
		case <-readEnded:
			return // the client closed the socket, or it broke
		case <-initTimer.C:
			if !c.initialised {
				end = closeWith(closeInitTimeout, "Connection initialisation timeout")
			}
		case <-ping.C:
			if awaitingPong {
				end = closeWith(closeGoingAway, "Pong timeout")
				break
			}
			awaitingPong = true
			c.write(wsMessage{Type: msgPing})
		case <-recheck.C:
			if c.acked && c.t.auth.check(c.ctx) != nil {
				end = closeWith(closeForbidden, "Forbidden")
			}
		case <-c.revoked:
			end = closeWith(closeForbidden, "Forbidden")
		case b := <-msgs:
			var m wsMessage
			if err := json.Unmarshal(b, &m); err != nil {
				end = closeWith(closeBadRequest, "Invalid message received")
				break
			}
			if m.Type == msgPong {
				awaitingPong = false
				break
			}
			end = c.handle(m)
		}
	}
	c.stopAll()
	_ = c.conn.Close(end.code, end.reason)
}

// handle answers one message from the client; a non-nil result closes the
// socket.
func (c *wsConn) handle(m wsMessage) *closeError {
	switch m.Type {
	case msgConnectionInit:
		if c.initialised {
			return closeWith(closeTooManyInitRequest, "Too many initialisation requests")
		}
		c.initialised = true
		var payload map[string]any
		if len(m.Payload) > 0 {
			if err := json.Unmarshal(m.Payload, &payload); err != nil {
				return closeWith(closeBadRequest, "Invalid connection_init payload")
			}
		}
		ctx, err := c.t.auth.init(c.ctx, payload, c.headers)
		if err != nil {
			return closeWith(closeForbidden, "Forbidden: %s", err.Error())
		}
		c.ctx, c.acked = ctx, true
		c.write(wsMessage{Type: msgConnectionAck})
	case msgPing:
		c.write(wsMessage{Type: msgPong})
	case msgSubscribe:
		if !c.acked {
			return closeWith(closeUnauthorized, "Unauthorized")
		}
		var params graphql.RawParams
		if m.ID == "" || decodeParams(m.Payload, &params) != nil || (params.Query == "" && params.Extensions == nil) {
			return closeWith(closeBadRequest, "Invalid subscribe message")
		}
		return c.subscribe(m.ID, &params)
	case msgComplete:
		if m.ID == "" {
			return closeWith(closeBadRequest, "Invalid complete message")
		}
		c.mu.Lock()
		if op := c.ops[m.ID]; op != nil {
			delete(c.ops, m.ID) // the ID is free again at once
			op.cancel()
		}
		c.mu.Unlock()
	default:
		return closeWith(closeBadRequest, "Invalid message received")
	}
	return nil
}

// subscribe starts one operation, unless its ID is taken (4409) or the
// socket runs as many as it may.
func (c *wsConn) subscribe(id string, params *graphql.RawParams) *closeError {
	start := graphql.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops[id] != nil {
		return closeWith(closeSubscriberExists, "Subscriber for %s already exists", id)
	}
	if len(c.ops) >= c.t.cfg.MaxSubscriptions {
		err := gqlerror.Errorf("this connection already runs %d operations, the most it may", c.t.cfg.MaxSubscriptions)
		err.Extensions = map[string]any{"code": CodeTooManySubscriptions}
		go c.write(errorMessage(id, gqlerror.List{err}))
		return nil
	}
	ctx, cancel := context.WithCancel(c.ctx)
	op := &wsOp{id: id, cancel: cancel}
	c.ops[id] = op
	go c.run(ctx, op, params, start)
	return nil
}

// run executes one operation: `next` for each response, then `complete`;
// an operation refused before it runs (invalid, too costly, rate
// limited, not persisted) gets one `error` instead. A query or mutation
// has one response: the executor ends every stream but a subscription's
// after its first (oneshot.go).
func (c *wsConn) run(ctx context.Context, op *wsOp, params *graphql.RawParams, start time.Time) {
	defer c.finish(op)
	defer func() {
		if r := recover(); r != nil {
			c.t.log.ErrorContext(ctx, "websocket operation panicked", slog.Any("panic", r))
			err := gqlerror.Errorf("internal server error")
			err.Extensions = map[string]any{"code": CodeInternal}
			c.send(op, errorMessage(op.id, gqlerror.List{err}))
		}
	}()
	if c.t.auth.check(ctx) != nil {
		c.revoke()
		return
	}
	ctx = graphql.StartOperationTrace(ctx)
	params.Headers = c.headers
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	opCtx, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		c.send(op, errorMessage(op.id, resp.Errors))
		return
	}
	subscription := opCtx.Operation.Operation == ast.Subscription
	responses, ctx := c.exec.DispatchOperation(ctx, opCtx)
	for {
		resp := responses(ctx)
		if resp == nil {
			break
		}
		// Each event is delivered to a viewer still allowed to see it.
		if subscription && c.t.auth.check(ctx) != nil {
			c.revoke()
			return
		}
		b, err := json.Marshal(resp)
		if err != nil {
			c.t.log.ErrorContext(ctx, "websocket response not encoded", slog.Any("err", err))
			return
		}
		if !c.send(op, wsMessage{ID: op.id, Type: msgNext, Payload: b}) {
			return
		}
	}
	c.send(op, wsMessage{ID: op.id, Type: msgComplete})
}

// stopAll stops every operation; none writes again.
func (c *wsConn) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, op := range c.ops {
		op.cancel()
		delete(c.ops, id)
	}
}

// finish forgets op, unless the client completed it (and perhaps reused
// its ID) already.
func (c *wsConn) finish(op *wsOp) {
	c.mu.Lock()
	if c.ops[op.id] == op {
		delete(c.ops, op.id)
	}
	c.mu.Unlock()
	op.cancel()
}

// send writes m for op while op still runs: nothing follows the client's
// own complete. It reports whether op still runs.
func (c *wsConn) send(op *wsOp, m wsMessage) bool {
	c.mu.Lock()
	live := c.ops[op.id] == op
	c.mu.Unlock()
	if live {
		c.write(m)
	}
	return live
}

// revoke asks the serve loop to close the socket with 4403.
func (c *wsConn) revoke() {
	select {
	case c.revoked <- struct{}{}:
	default:
	}
}

// wsWriteTimeout bounds one write: a client that does not read is
// dropped rather than holding an operation forever.
const wsWriteTimeout = 10 * time.Second

func (c *wsConn) write(m wsMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		return // only RawMessage payloads, marshalled already
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsWriteTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil && !errors.Is(err, context.Canceled) {
		c.t.log.Debug("websocket write failed", slog.Any("err", err))
	}
}

// decodeParams reads a subscribe payload as the HTTP transports read a
// body: numbers stay json.Number, so an Int variable is an integer.
func decodeParams(payload json.RawMessage, params *graphql.RawParams) error {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	return d.Decode(params)
}

func errorMessage(id string, errs gqlerror.List) wsMessage {
	b, err := json.Marshal(errs)
	if err != nil {
		b = []byte(`[{"message":"internal server error","extensions":{"code":"` + CodeInternal + `"}}]`)
	}
	return wsMessage{ID: id, Type: msgError, Payload: b}
}
