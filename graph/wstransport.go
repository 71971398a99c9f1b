package graph

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	// CloseSlowConsumer closes a socket whose client does not read fast
	// enough (its send queue filled up, or a write waited longer than
	// WebsocketConfig.WriteTimeout). 1013 "Try Again Later" is one of the
	// codes graphql-ws clients reconnect after, unlike 1008 or 44xx.
	CloseSlowConsumer = websocket.StatusTryAgainLater // 1013
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
	// SendQueue bounds the messages waiting to be written to one socket.
	// A client that lets it fill up is closed with CloseSlowConsumer, so
	// a slow reader costs at most this much memory and never holds up
	// the operations or sockets of others.
	SendQueue int
	// WriteTimeout bounds one write to the client; a client that does not
	// read for that long is dropped (within the clock's tick after it:
	// wsClock watches writes, so a write sets up no timer).
	WriteTimeout time.Duration
	// MaxSockets bounds the sockets open on this process, and
	// MaxSocketsPerAddr those from one client address (the API's
	// ClientAddr: behind trusted proxies, the address they forwarded);
	// upgrades beyond them are refused with 503 and 429, Retry-After.
	// ReadyFraction: once MaxSockets×ReadyFraction sockets are open,
	// /readyz answers 503 so load balancers send new connections to
	// other replicas; open sockets keep working. The HTTP layer
	// (server/api) enforces these three.
	MaxSockets        int
	MaxSocketsPerAddr int
	ReadyFraction     float64
	// Metrics, when set, counts sockets, subscriptions and slow consumers
	// (NewSocketMetrics).
	Metrics *SocketMetrics
	// OriginAllowed admits browser pages from other origins (the API's
	// CORS allow-list); nil admits only the API's own origin. Requests
	// without an Origin header (not from a browser) are admitted.
	OriginAllowed func(origin string) bool
}

// DefaultWebsocketConfig: pings every 15 s (proxies in k8s/ wait 120 s),
// connection_init within 3 s, the viewer re-checked every 5 s, 20
// operations and 1 MiB (the HTTP body limit) per message, 64 messages
// queued and 10 s per write; 16,000 sockets per process (under a limit
// of 20,000 open files), 200 per client address, readiness failing at
// 90 %.
func DefaultWebsocketConfig() WebsocketConfig {
	return WebsocketConfig{
		InitTimeout:       3 * time.Second,
		PingInterval:      15 * time.Second,
		RecheckInterval:   5 * time.Second,
		MaxSubscriptions:  20,
		MaxMessageBytes:   1 << 20,
		SendQueue:         64,
		WriteTimeout:      10 * time.Second,
		MaxSockets:        16000,
		MaxSocketsPerAddr: 200,
		ReadyFraction:     0.9,
	}
}

// WithDefaults fills the zero fields from DefaultWebsocketConfig.
func (c WebsocketConfig) WithDefaults() WebsocketConfig { return c.withDefaults() }

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
	if c.SendQueue <= 0 {
		c.SendQueue = d.SendQueue
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.MaxSockets <= 0 {
		c.MaxSockets = d.MaxSockets
	}
	if c.MaxSocketsPerAddr <= 0 {
		c.MaxSocketsPerAddr = d.MaxSocketsPerAddr
	}
	if c.ReadyFraction <= 0 || c.ReadyFraction > 1 {
		c.ReadyFraction = d.ReadyFraction
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
	// checkKey names what check's answer depends on, for contexts whose
	// answers are equal at one moment (it runs once per event for them:
	// wsDriver.next), or "" when there is nothing to check.
	checkKey(ctx context.Context) string
}

// wsTransport serves GraphQL over graphql-transport-ws. Every operation
// (query, mutation or subscription) runs through the same executor, and
// so the same extensions, as over HTTP: persisted queries, cost limits,
// rate limits, one transaction per mutation.
//
// An idle socket costs little (TestWebsocketSocketMemory): one goroutine
// reads its messages; a query or mutation runs on a goroutine of its own
// until answered, a subscription only while it is set up (then its stream
// drives it: wsDriver); a frame is written by whoever made it when no
// write is in progress, else a writer goroutine runs while messages wait;
// and one clock (wsClock) keeps time for every socket: init timeouts,
// pings and viewer re-checks.
type wsTransport struct {
	cfg   WebsocketConfig
	auth  socketAuth
	log   *slog.Logger
	clock *wsClock
	// queries holds one copy of each query text that sockets subscribe
	// with, which the operations keep while they run: a thousand sockets
	// following their orders share one.
	queries *internTable
}

var _ graphql.Transport = wsTransport{}

func newWSTransport(cfg WebsocketConfig, auth socketAuth, log *slog.Logger) wsTransport {
	cfg = cfg.withDefaults()
	return wsTransport{cfg: cfg, auth: auth, log: log, clock: newWSClock(cfg, auth), queries: &internTable{}}
}

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
	hijack := &smallBuffers{ResponseWriter: w}
	conn, err := websocket.Accept(hijack, r, &websocket.AcceptOptions{Subprotocols: []string{wsSubprotocol}, InsecureSkipVerify: true})
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
		raw:     hijack.conn,
		idle:    hijack.idleWaiter(),
		headers: socketHeaders(r.Header),
		closed:  make(chan struct{}),
	}
	lease := socketLeaseFrom(r.Context())
	if lease != nil {
		c.ctx = context.WithoutCancel(r.Context())
	}
	t.cfg.Metrics.socketOpened()
	t.clock.add(c)
	if lease == nil {
		// Served within the request: its context ending means the
		// server is shutting down.
		defer t.cfg.Metrics.socketClosed()
		defer t.clock.remove(c)
		stop := context.AfterFunc(r.Context(), func() { c.end(closeWith(closeGoingAway, "Going away")) })
		defer stop()
		c.serve()
		return
	}
	// The socket outlives its request: the handler returns, and with it
	// net/http's buffers and the deep stack of the middleware; a goroutine
	// of its own reads on. The lease's shutdown context closes it (1001).
	lease.take()
	stop := context.AfterFunc(lease.shutdown, func() { c.end(closeWith(closeGoingAway, "Going away")) })
	c.served = func() {
		stop()
		t.clock.remove(c)
		t.cfg.Metrics.socketClosed()
		lease.release()
	}
	go c.serveOn()
}

// SocketLease lets a WebSocket outlive the HTTP handler that upgraded
// it, for a middleware that tracks sockets (server/api): the transport
// takes the lease, returns from the handler, and releases the lease
// once the socket has closed; shutdown ending closes the socket with
// 1001. A lease not taken is the middleware's to release when the
// handler returns.
type SocketLease struct {
	shutdown context.Context
	done     func()
	taken    atomic.Bool
}

type socketLeaseKey struct{}

// WithSocketLease returns ctx with a lease whose done runs once, when the
// socket it lends has closed; shutdown ending closes that socket.
func WithSocketLease(ctx, shutdown context.Context, done func()) (context.Context, *SocketLease) {
	l := &SocketLease{shutdown: shutdown, done: sync.OnceFunc(done)}
	return context.WithValue(ctx, socketLeaseKey{}, l), l
}

func socketLeaseFrom(ctx context.Context) *SocketLease {
	l, _ := ctx.Value(socketLeaseKey{}).(*SocketLease)
	return l
}

func (l *SocketLease) take()    { l.taken.Store(true) }
func (l *SocketLease) release() { l.done() }

// ReleaseUnlessTaken runs done now unless a transport took the lease.
func (l *SocketLease) ReleaseUnlessTaken() {
	if !l.taken.Load() {
		l.done()
	}
}

// socketHeaders keeps, of the upgrade request's headers, those that
// operations read (the catalogue cache and connection_init look at
// Authorization), so the rest is freed with the request.
func socketHeaders(h http.Header) http.Header {
	keep := http.Header{}
	if v := h.Values("Authorization"); len(v) > 0 {
		keep["Authorization"] = slices.Clone(v)
	}
	return keep
}

// smallBuffers hands websocket.Accept the hijacked connection with
// buffers of 512 bytes instead of net/http's 4 KiB ones, which then are
// garbage: most messages are small, and a large one goes past a bufio
// buffer straight to the connection.
type smallBuffers struct {
	http.ResponseWriter
	conn     net.Conn      // once hijacked
	br       *bufio.Reader // the buffer websocket.Accept reads through
	leftover bool          // the client sent more after the upgrade request
}

// idleWaiter returns what waits, without reading, until the hijacked
// connection has something to read (wsConn.waitIdle), or nil when that
// cannot be known from the connection alone: the client sent bytes right
// after its upgrade request, which the library reads before the
// connection, or the connection offers no file descriptor.
func (w *smallBuffers) idleWaiter() *idleWaiter {
	if w.leftover || w.br == nil {
		return nil
	}
	sc, ok := w.conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &idleWaiter{br: w.br, rc: rc}
}

const wsBufferBytes = 512

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = conn
	if brw.Writer.Buffered() > 0 {
		if err := brw.Flush(); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}
	// What the client sent right after the upgrade request stays
	// buffered, in a buffer large enough for it: Accept reads the
	// buffered bytes, then the connection.
	n := brw.Reader.Buffered()
	b, _ := brw.Peek(n)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn), max(wsBufferBytes, n))
	if n > 0 {
		if _, err := br.Peek(n); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}
	w.br, w.leftover = br, n > 0
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, wsBufferBytes)), nil
}

// Unwrap lets http.ResponseController reach the writers underneath.
func (w *smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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

// wsConn is one socket. One reader at a time reads messages (serve, or
// serveOn's chain of goroutines, one after the other), answers the
// connection-level ones and starts operations; each operation is set up
// in its own goroutine and queues its messages, which are written in
// order by one writer at a time: a goroutine started when the queue was
// empty, or the subscription's event that found it so. Whoever ends the
// socket (the reader, the clock, a slow write) calls end.
type wsConn struct {
	t       wsTransport
	conn    *websocket.Conn
	raw     net.Conn // underneath conn
	idle    *idleWaiter
	served  func() // runs once the socket has closed, when it outlived its request
	exec    graphql.GraphExecutor
	headers http.Header

	initialised atomic.Bool // connection_init received

	// Kept by the clock (wsClock): when the socket opened, whether a
	// ping waits for its pong, when the next ping and re-check are due.
	opened       time.Time
	awaitingPong atomic.Bool
	nextPing     time.Time
	nextRecheck  time.Time
	// writeSince is when the write under way began (Unix nanoseconds),
	// 0 while none is.
	writeSince atomic.Int64

	mu      sync.Mutex
	ctx     context.Context // the upgrade request's; after connection_init, with the viewer
	acked   bool            // connection_init accepted
	ops     map[string]*wsOp
	queue   [][]byte    // messages waiting to be written, at most SendQueue
	writing bool        // a writer runs (it owns the connection's writes)
	ending  *closeError // set once: the socket is closing
	closed  chan struct{}
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

// gone ends a socket whose client closed it or broke it: nothing more is
// written.
var gone = &closeError{code: -1}

// serve reads and answers messages until the socket ends, then waits
// until it is closed.
func (c *wsConn) serve() {
	for c.readOne() {
	}
	<-c.closed
}

// serveOn serves a socket that outlived its request, on a goroutine of
// its own, and then runs served. Between messages it waits without
// reading (waitIdle), and after each message it goes on in a fresh
// goroutine: reading a frame and answering a message grow a goroutine's
// stack to 8 KiB or more, which the runtime would keep for as long as the
// socket waits (it shrinks a stack only at a collection, and only by
// half when three quarters are free), while a fresh goroutine waiting in
// waitIdle needs the smallest stack there is. An idle socket thus costs 2
// KiB of stack instead of 8; a message costs one goroutine start.
func (c *wsConn) serveOn() {
	c.waitIdle()
	if c.readOne() {
		go c.serveOn()
		return
	}
	<-c.closed
	c.served()
}

// readOne reads and answers one message; false once reading has ended.
func (c *wsConn) readOne() bool {
	// Reads stop when the connection closes; a context that never ends
	// costs no timer per read.
	// The message is read into a recycled buffer (what is kept of it,
	// decoding copies), and a pong, every socket's answer to every
	// ping, is recognised without decoding.
	buf := readBufs.Get().(*bytes.Buffer)
	defer recycleReadBuf(buf)
	buf.Reset()
	_, r, err := c.conn.Reader(context.Background())
	if err == nil {
		_, err = buf.ReadFrom(r)
	}
	if err != nil {
		c.linger(err)
		c.end(gone)
		return false
	}
	b := buf.Bytes()
	if bytes.Equal(b, pongMessage) {
		c.awaitingPong.Store(false)
		return true
	}
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		c.end(closeWith(closeBadRequest, "Invalid message received"))
		return true // read on until the close handshake ends
	}
	if m.Type == msgPong {
		c.awaitingPong.Store(false)
		return true
	}
	if end := c.handle(m); end != nil {
		c.end(end)
	}
	return true
}

// pongMessage is a pong as clients send it (graphql-ws, Apollo's and
// urql's sockets, bench/wsload); any other encoding is decoded.
var pongMessage = []byte(`{"type":"` + msgPong + `"}`)

// readBufs recycles the buffers sockets read their messages into.
var readBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func recycleReadBuf(b *bytes.Buffer) {
	if b.Cap() <= 4<<10 { // a large subscribe is not kept for pongs
		readBufs.Put(b)
	}
}

// idleWaiter waits until a socket has something to read, without
// reading it: the library's buffer holds nothing, and the kernel's
// socket has data (or has ended) once a non-blocking peek finds it, or
// after the network poller says so. It runs on the shallowest stack a
// goroutine can park on.
type idleWaiter struct {
	br *bufio.Reader
	rc syscall.RawConn
}

// waitIdle waits until there is something to read (peekReady): the
// library's read then finds it without blocking deep in its own frames.
// Whatever goes wrong is left to that read to find. The library's buffer
// is looked at under c.mu, and only while the socket is not ending: the
// library's Close, which reads the client's close frame through that
// buffer, runs only once ending is set (under c.mu).
func (c *wsConn) waitIdle() {
	w := c.idle
	if w == nil {
		return
	}
	c.mu.Lock()
	wait := c.ending == nil && w.br.Buffered() == 0
	c.mu.Unlock()
	if wait {
		_ = w.rc.Read(peekReady)
	}
}

// wsLinger bounds how long a socket that broke the protocol (a message
// too big, a bad frame) is read on after the close frame that says so.
const wsLinger = 2 * time.Second

// linger: when reading stopped because the client broke the protocol,
// the library has sent the close frame (1009, 1002); what the client
// still sends is read and dropped, until it closes or wsLinger passes,
// so that closing does not reset the connection and lose that frame.
func (c *wsConn) linger(err error) {
	c.mu.Lock()
	ending := c.ending != nil
	c.mu.Unlock()
	if ending || c.raw == nil || websocket.CloseStatus(err) != -1 || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return
	}
	_ = c.raw.SetReadDeadline(time.Now().Add(wsLinger))
	_, _ = io.Copy(io.Discard, c.raw)
}

// handle answers one message from the client; a non-nil result closes the
// socket.
func (c *wsConn) handle(m wsMessage) *closeError {
	switch m.Type {
	case msgConnectionInit:
		if c.initialised.Swap(true) {
			return closeWith(closeTooManyInitRequest, "Too many initialisation requests")
		}
		var payload map[string]any
		if len(m.Payload) > 0 {
			if err := json.Unmarshal(m.Payload, &payload); err != nil {
				return closeWith(closeBadRequest, "Invalid connection_init payload")
			}
		}
		c.mu.Lock()
		base := c.ctx
		c.mu.Unlock()
		ctx, err := c.t.auth.init(base, payload, c.headers)
		if err != nil {
			return closeWith(closeForbidden, "Forbidden: %s", err.Error())
		}
		c.mu.Lock()
		c.ctx, c.acked = ctx, true
		c.mu.Unlock()
		c.write(wsMessage{Type: msgConnectionAck})
	case msgPing:
		c.write(wsMessage{Type: msgPong})
	case msgSubscribe:
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		if !acked {
			return closeWith(closeUnauthorized, "Unauthorized")
		}
		var params graphql.RawParams
		if m.ID == "" || decodeParams(m.Payload, &params) != nil || (params.Query == "" && params.Extensions == nil) {
			return closeWith(closeBadRequest, "Invalid subscribe message")
		}
		params.Query = c.t.queries.intern(params.Query)
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
	if c.ending != nil {
		return nil
	}
	if c.ops[id] != nil {
		return closeWith(closeSubscriberExists, "Subscriber for %s already exists", id)
	}
	if len(c.ops) >= c.t.cfg.MaxSubscriptions {
		err := gqlerror.Errorf("this connection already runs %d operations, the most it may", c.t.cfg.MaxSubscriptions)
		err.Extensions = map[string]any{"code": CodeTooManySubscriptions}
		c.enqueueLocked(errorMessage(id, gqlerror.List{err}))
		return nil
	}
	ctx, cancel := context.WithCancel(c.ctx)
	op := &wsOp{id: id, cancel: cancel}
	if c.ops == nil {
		c.ops = make(map[string]*wsOp, 1)
	}
	c.ops[id] = op
	go c.run(ctx, op, params, start)
	return nil
}

// run executes one operation: `next` for each response, then `complete`;
// an operation refused before it runs (invalid, too costly, rate
// limited, not persisted) gets one `error` instead. A query or mutation
// has one response: the executor ends every stream but a subscription's
// after its first (oneshot.go). A subscription whose stream drives
// itself (wsDriver) returns once it is set up: the stream's events, not a
// goroutine of this socket waiting for them, run its responses.
func (c *wsConn) run(ctx context.Context, op *wsOp, params *graphql.RawParams, start time.Time) {
	driven := false
	defer func() {
		if !driven {
			c.finish(op)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			c.t.log.ErrorContext(ctx, "websocket operation panicked", slog.Any("panic", r))
			err := gqlerror.Errorf("internal server error")
			err.Extensions = map[string]any{"code": CodeInternal}
			c.send(op, errorMessage(op.id, gqlerror.List{err}))
		}
	}()
	if c.t.auth.check(ctx) != nil {
		c.end(closeWith(closeForbidden, "Forbidden"))
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
	var d *wsDriver
	if subscription {
		c.t.cfg.Metrics.subscriptionStarted()
		d = newWSDriver(c, op, executionKey(ctx, params))
		ctx = withDriver(ctx, d)
	}
	responses, ctx := c.exec.DispatchOperation(ctx, opCtx)
	if d != nil {
		if d.setUp(ctx, responses) {
			driven = true
			return
		}
		defer c.t.cfg.Metrics.subscriptionEnded()
	}
	for {
		resp := responses(ctx)
		if resp == nil {
			break
		}
		// Each event is delivered to a viewer still allowed to see it.
		if subscription && c.t.auth.check(ctx) != nil {
			c.end(closeWith(closeForbidden, "Forbidden"))
			return
		}
		payload, err := encodePayload(resp)
		if err != nil {
			c.t.log.ErrorContext(ctx, "websocket response not encoded", slog.Any("err", err))
			return
		}
		if !c.sendFrame(op, nextFrame(op.id, payload)) {
			return
		}
	}
	c.send(op, wsMessage{ID: op.id, Type: msgComplete})
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

// send queues m for op while op still runs: nothing follows the client's
// own complete. It reports whether op still runs.
func (c *wsConn) send(op *wsOp, m wsMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops[op.id] != op {
		return false
	}
	c.enqueueLocked(m)
	return c.ending == nil
}

// write queues a connection-level message.
func (c *wsConn) write(m wsMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enqueueLocked(m)
}

// pingFrame is the ping every socket gets every PingInterval, encoded
// once.
var pingFrame = []byte(`{"type":"` + msgPing + `"}`)

// writeFrame queues a connection-level message already encoded (never
// recycled: see recycleFrame).
func (c *wsConn) writeFrame(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ending == nil {
		c.queueLocked(b, false)
	}
}

// sendFrame queues the encoded message b for op while op still runs, and
// writes it at once on this goroutine when no writer runs: a
// subscription's event costs no goroutine of its own. It reports whether
// op still runs.
func (c *wsConn) sendFrame(op *wsOp, b []byte) bool {
	c.mu.Lock()
	if c.ops[op.id] != op {
		c.mu.Unlock()
		return false
	}
	if c.ending == nil && !c.writing && len(c.queue) == 0 {
		// Nothing waits: written straight away, without queueing it.
		c.writing = true
		c.mu.Unlock()
		c.writeOne(b)
		c.drain()
		return true
	}
	drain := c.queueLocked(b, true)
	running := c.ending == nil
	c.mu.Unlock()
	if drain {
		c.drain()
	}
	return running
}

// enqueueLocked queues m, starting a writer if none runs.
func (c *wsConn) enqueueLocked(m wsMessage) {
	if c.ending != nil {
		return
	}
	b, err := json.Marshal(m)
	if err != nil {
		return // only RawMessage payloads, marshalled already
	}
	c.queueLocked(b, false)
}

// queueLocked queues b. With no writer running, it starts one, or, when
// inline, answers true: the caller becomes the writer and calls drain
// once it has released c.mu. A full queue means the client reads slower
// than its operations produce: the socket is closed (CloseSlowConsumer)
// rather than the queue grown or the operation held up.
func (c *wsConn) queueLocked(b []byte, inline bool) bool {
	if c.ending != nil {
		return false
	}
	if len(c.queue) >= c.t.cfg.SendQueue {
		c.t.cfg.Metrics.slowConsumer("queue_full")
		c.endLocked(closeWith(CloseSlowConsumer, "Slow consumer: send queue full"))
		return false
	}
	c.queue = append(c.queue, b)
	if c.writing {
		return false
	}
	c.writing = true
	if inline {
		return true
	}
	go c.drain()
	return false
}

// end closes the socket with e (gone: without a close frame), once;
// every operation stops and nothing more is queued. The writer, after the
// message it is writing, closes the connection.
func (c *wsConn) end(e *closeError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(e)
}

func (c *wsConn) endLocked(e *closeError) {
	if c.ending != nil {
		return
	}
	c.ending = e
	for id, op := range c.ops {
		op.cancel()
		delete(c.ops, id)
	}
	c.queue = nil
	if !c.writing {
		c.writing = true
		go c.drain()
	}
}

// drain writes the queue in order, each write bounded by WriteTimeout,
// and returns when it is empty; once the socket is ending, it closes the
// connection instead.
func (c *wsConn) drain() {
	for {
		c.mu.Lock()
		if e := c.ending; e != nil {
			c.mu.Unlock()
			if e == gone {
				_ = c.conn.CloseNow()
			} else {
				_ = c.conn.Close(e.code, e.reason)
			}
			close(c.closed)
			return
		}
		if len(c.queue) == 0 {
			c.writing = false
			c.queue = nil // the next message starts a small queue again
			c.mu.Unlock()
			return
		}
		b := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()
		c.writeOne(b)
	}
}

// writeOne writes one frame; only the writer (c.writing) calls it. A
// failed write ends the socket.
func (c *wsConn) writeOne(b []byte) {
	// The clock closes the connection under a write that takes longer
	// than WriteTimeout (wsClock.run): no close frame gets through to a
	// client that does not read.
	c.writeSince.Store(time.Now().UnixNano())
	err := c.conn.Write(context.Background(), websocket.MessageText, b)
	c.writeSince.Store(0)
	recycleFrame(b)
	if err != nil {
		c.t.log.Debug("websocket write failed", slog.Any("err", err))
		c.end(gone)
	}
}

// viewerContext is the socket's context, with its viewer once acked.
func (c *wsConn) viewerContext() (context.Context, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx, c.acked
}

// wsClock keeps time for every socket with one ticker goroutine, which
// runs while sockets are open: it closes sockets that send no
// connection_init in time (4408) or leave a ping unanswered until the
// next (1001), pings, and re-checks viewers (4403 once their token is no
// longer valid). Each socket's pings and re-checks fall due from the
// moment it opened, so they spread over the interval.
type wsClock struct {
	cfg  WebsocketConfig
	auth socketAuth
	tick time.Duration

	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	running bool
}

func newWSClock(cfg WebsocketConfig, auth socketAuth) *wsClock {
	// Fine enough for the shortest interval, coarse enough to cost
	// nothing: a quarter of it, from 10 ms to 1 s.
	tick := min(cfg.InitTimeout, cfg.PingInterval, cfg.RecheckInterval, cfg.WriteTimeout) / 4
	tick = max(10*time.Millisecond, min(tick, time.Second))
	return &wsClock{cfg: cfg, auth: auth, tick: tick, conns: map[*wsConn]struct{}{}}
}

func (k *wsClock) add(c *wsConn) {
	now := time.Now()
	c.opened, c.nextPing = now, now.Add(k.cfg.PingInterval)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.conns[c] = struct{}{}
	if !k.running {
		k.running = true
		go k.run()
	}
}

func (k *wsClock) remove(c *wsConn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.conns, c)
}

// recheckBatch is how many viewers one goroutine re-checks in turn.
const recheckBatch = 64

func (k *wsClock) run() {
	t := time.NewTicker(k.tick)
	defer t.Stop()
	var ends []*wsConn
	var endCodes []*closeError
	var pings, recheck, stalled []*wsConn
	for now := range t.C {
		ends, endCodes, pings, recheck, stalled = ends[:0], endCodes[:0], pings[:0], recheck[:0], stalled[:0]
		k.mu.Lock()
		if len(k.conns) == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		for c := range k.conns {
			if w := c.writeSince.Load(); w != 0 && now.UnixNano()-w >= int64(k.cfg.WriteTimeout) && c.writeSince.CompareAndSwap(w, 0) {
				stalled = append(stalled, c)
				continue
			}
			if now.Sub(c.opened) >= k.cfg.InitTimeout && !c.initialised.Load() {
				ends, endCodes = append(ends, c), append(endCodes, closeWith(closeInitTimeout, "Connection initialisation timeout"))
				continue
			}
			if !now.Before(c.nextPing) {
				c.nextPing = now.Add(k.cfg.PingInterval)
				if c.awaitingPong.Load() {
					ends, endCodes = append(ends, c), append(endCodes, closeWith(closeGoingAway, "Pong timeout"))
					continue
				}
				c.awaitingPong.Store(true)
				pings = append(pings, c)
			}
			if c.nextRecheck.IsZero() {
				c.nextRecheck = now.Add(k.cfg.RecheckInterval)
			} else if !now.Before(c.nextRecheck) {
				c.nextRecheck = now.Add(k.cfg.RecheckInterval)
				recheck = append(recheck, c)
			}
		}
		k.mu.Unlock()
		for _, c := range stalled {
			// The write fails, and its writer ends the socket.
			k.cfg.Metrics.slowConsumer("write_timeout")
			_ = c.conn.CloseNow()
		}
		for i, c := range ends {
			c.end(endCodes[i])
		}
		for _, c := range pings {
			c.writeFrame(pingFrame)
		}
		for len(recheck) > 0 {
			n := min(len(recheck), recheckBatch)
			go k.recheck(slices.Clone(recheck[:n]))
			recheck = recheck[n:]
		}
	}
}

// recheck closes the sockets whose viewer lost the right they connected
// with.
func (k *wsClock) recheck(conns []*wsConn) {
	for _, c := range conns {
		if ctx, acked := c.viewerContext(); acked && k.auth.check(ctx) != nil {
			c.end(closeWith(closeForbidden, "Forbidden"))
		}
	}
}

// internTable hands out one copy of equal strings. It holds at most
// internMaxBytes, and starts afresh when full, so odd queries cannot
// fill it for good.
type internTable struct {
	mu    sync.Mutex
	m     map[string]string
	bytes int
}

const internMaxBytes = 4 << 20

func (t *internTable) intern(s string) string {
	if s == "" || len(s) > internMaxBytes/64 {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.m[s]; ok {
		return v
	}
	if t.m == nil || t.bytes+len(s) > internMaxBytes {
		t.m, t.bytes = map[string]string{}, 0
	}
	t.m[s] = s
	t.bytes += len(s)
	return s
}

// decodeParams reads a subscribe payload as the HTTP transports read a
// body: numbers stay json.Number, so an Int variable is an integer.
func decodeParams(payload json.RawMessage, params *graphql.RawParams) error {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	return d.Decode(params)
}

// encodePayload encodes a response as a next message's payload. The
// common one, data alone, is the executor's bytes in {"data":…}, not
// re-encoded by encoding/json (which would compact and check them again).
func encodePayload(resp *graphql.Response) ([]byte, error) {
	if len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Label != "" || resp.Path != nil || resp.HasNext != nil || len(resp.Data) == 0 {
		return json.Marshal(resp)
	}
	b := make([]byte, 0, len(resp.Data)+len(`{"data":}`))
	b = append(b, `{"data":`...)
	b = append(b, resp.Data...)
	return append(b, '}'), nil
}

// nextFrame is the message {"id":id,"type":"next","payload":payload},
// built around payload's bytes: sockets that share one payload each
// write only their own frame.
func nextFrame(id string, payload []byte) []byte {
	const frame = len(`{"id":"","type":"next","payload":}`)
	var b []byte
	if n := len(payload) + len(id) + frame; n <= frameBufSize && plainJSONString(id) {
		b = frameBufs.Get().(*[frameBufSize]byte)[:0]
	} else {
		b = make([]byte, 0, n+8)
	}
	b = append(b, `{"id":`...)
	if plainJSONString(id) {
		b = append(append(append(b, '"'), id...), '"')
	} else {
		q, _ := json.Marshal(id) // a string always encodes
		b = append(b, q...)
	}
	b = append(b, `,"type":"next","payload":`...)
	b = append(b, payload...)
	return append(b, '}')
}

// frameBufSize is the size of the buffers next frames are built in when
// they fit; the writer hands each back once written (recycleFrame), so a
// fan-out to thousands of sockets allocates no frame per socket.
const frameBufSize = 2048

var frameBufs = sync.Pool{New: func() any { return new([frameBufSize]byte) }}

// recycleFrame hands a written frame's buffer back to frameBufs. Every
// frame in a socket's queue is the socket's own (built by nextFrame or
// encoded for it), except pingFrame, whose capacity is not frameBufSize.
func recycleFrame(b []byte) {
	if cap(b) == frameBufSize {
		frameBufs.Put((*[frameBufSize]byte)(b[:frameBufSize]))
	}
}

// plainJSONString reports whether s encodes in JSON as itself between
// quotes, as encoding/json writes it (which escapes <, > and &): an
// operation ID such as "1" or a UUID.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

func errorMessage(id string, errs gqlerror.List) wsMessage {
	b, err := json.Marshal(errs)
	if err != nil {
		b = []byte(`[{"message":"internal server error","extensions":{"code":"` + CodeInternal + `"}}]`)
	}
	return wsMessage{ID: id, Type: msgError, Payload: b}
}
