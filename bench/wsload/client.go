package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// A client process holds a share of the sockets: the coordinator starts
// it (`wsload client`), writes one clientJob as a JSON line on its stdin,
// and reads clientEvents on its stdout, one a line (parseEvent): next
// messages in a compact form, `n <sock> <arrival ns> <payload>`, written
// in batches once arrivals pause (nextLine), and every other event as
// JSON. A later JSON line {"variables":{…}} makes every socket complete
// its subscription and subscribe again with these variables. The process
// ends when its stdin closes, when it reads "stop", or when the job's
// deadline passes, whichever comes first; it then closes its sockets
// (1000).
//
// Client, coordinator and servers share the machine's cores, so a
// message costs the load generator as little as it can while a phase
// runs: its arrival time is taken as soon as it is read, it is copied
// into a buffer without being decoded (nextPayload), and the coordinator
// decodes the payloads only after the phase. On Linux the subscribed
// sockets are read by one epoll loop (epoll_linux.go), not by a goroutine
// each.

// clientJob is one client process's share.
type clientJob struct {
	URLs       []string `json:"urls"`       // ws:// endpoints of the replicas
	Token      string   `json:"token"`      // Bearer token for connection_init
	LocalAddrs []string `json:"localAddrs"` // loopback source addresses, round robin
	Rate       float64  `json:"rate"`       // sockets opened per second by this process
	Deadline   int64    `json:"deadline"`   // Unix nanoseconds: give up everything then
	Subs       []sub    `json:"subs"`
}

// sub is one socket with its one subscription.
type sub struct {
	Sock      int            `json:"sock"` // global socket number
	URL       int            `json:"url"`  // index into URLs
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// clientEvent is one line a client process reports.
type clientEvent struct {
	Ev     string          `json:"ev"` // open (one socket's outcome), next, error, closed, ready, done
	Sock   int             `json:"sock,omitempty"`
	T      int64           `json:"t,omitempty"` // Unix nanoseconds of arrival
	Data   json.RawMessage `json:"data,omitempty"`
	OK     bool            `json:"ok,omitempty"`
	Reason string          `json:"reason,omitempty"`
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func runClient(stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read job: %w", err)
	}
	var job clientJob
	if err := json.Unmarshal(line, &job); err != nil {
		return fmt.Errorf("job: %w", err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, job.Deadline))
	defer cancel()
	resubs := &broadcast{ch: make(chan struct{})}
	go func() { // stop on "stop" or EOF; resubscribe on {"variables":…}
		for {
			l, err := in.ReadString('\n')
			if err != nil || l == "stop\n" {
				cancel()
				return
			}
			var r struct {
				Variables map[string]any `json:"variables"`
			}
			if json.Unmarshal([]byte(l), &r) == nil && r.Variables != nil {
				resubs.set(r.Variables)
			}
		}
	}()

	out := &reporter{w: bufio.NewWriterSize(stdout, 1<<16)}
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				out.flushQuiet(now)
			}
		}
	}()

	// One HTTP client per source address: the upgrade request is sent
	// through it and the connection hijacked, so none are pooled. The
	// connection it dials is handed to hold through the request's context
	// (connSlot), wrapped to record what is read through it.
	clients := make([]*http.Client, max(len(job.LocalAddrs), 1))
	for i := range clients {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if len(job.LocalAddrs) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(job.LocalAddrs[i])}
		}
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			slot, ok := ctx.Value(connSlot{}).(*recConn)
			if err != nil || !ok {
				return c, err
			}
			slot.Conn, slot.on = c, true
			return slot, nil
		}
		clients[i] = &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	}

	// Subscribed sockets are read by one epoll loop where there is one.
	ep, err := newEpollReader()
	if err != nil {
		ep = nil
	} else {
		defer ep.close() // after every socket has closed (running.Wait)
	}

	interval := time.Duration(float64(time.Second) / max(job.Rate, 1))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var opening, running sync.WaitGroup
	for i, s := range job.Subs {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			out.send(clientEvent{Ev: "open", Sock: s.Sock, Reason: "stopped before opening"})
			continue
		}
		opening.Add(1)
		running.Add(1)
		go func() {
			defer running.Done()
			hold(ctx, clients[i%len(clients)], ep, job, s, resubs, out, opening.Done)
		}()
	}
	opening.Wait()
	out.send(clientEvent{Ev: "ready"})
	out.flush()
	<-ctx.Done()
	running.Wait()
	out.writeNexts()
	out.send(clientEvent{Ev: "done"})
	out.flush()
	return nil
}

// idleAfter is how long arrivals must pause before the buffered next
// messages are written to the coordinator (so the writing does not
// compete with a fan-out still arriving); flushEvery bounds how long one
// waits when arrivals never pause.
const (
	idleAfter  = 100 * time.Millisecond
	flushEvery = time.Second
)

// connSlot is the context key under which hold asks the dialer for the
// connection it dials.
type connSlot struct{}

// hold opens one socket, subscribes, reports every message until ctx ends,
// then closes the socket. opened is called once the socket is subscribed
// or has failed. The messages are read by ep when it is not nil.
//
// Until subscribe, coder/websocket reads; then ep does, picking up the
// bytes coder (and net/http before it) read ahead: recConn records every
// byte read from the socket until the ack, so none are lost. Coder reads
// no further once its Read has returned the ack, and ep reads the rest.
// (The server sends nothing between the ack and the first change after
// subscribe but a ping every 15 s; both orders are handled.)
func hold(ctx context.Context, hc *http.Client, ep *epollReader, job clientJob, s sub, resubs *broadcast, out *reporter, opened func()) {
	once := sync.OnceFunc(opened)
	defer once()
	fail := func(reason string) { out.send(clientEvent{Ev: "open", Sock: s.Sock, Reason: reason}) }

	rc := &recConn{}
	dctx, dcancel := context.WithTimeout(context.WithValue(ctx, connSlot{}, rc), 15*time.Second)
	defer dcancel()
	c, resp, err := websocket.Dial(dctx, job.URLs[s.URL], &websocket.DialOptions{
		HTTPClient:   hc,
		Subprotocols: []string{"graphql-transport-ws"},
	})
	if err != nil {
		fail(dialFailure(resp, err))
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(4 << 20)
	write := func(ctx context.Context, m wsMessage) error {
		b, _ := json.Marshal(m)
		return c.Write(ctx, websocket.MessageText, b)
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + job.Token})
	if err := write(dctx, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		fail(closeFailure(err, "connection_init"))
		return
	}
	nread := 0 // messages coder has read
	for {
		m, err := read(dctx, c)
		if err != nil {
			fail(closeFailure(err, "waiting for connection_ack"))
			return
		}
		nread++
		if m.Type == "ping" {
			_ = write(dctx, wsMessage{Type: "pong"})
			continue
		}
		if m.Type == "connection_ack" {
			break
		}
	}
	// Every byte read so far: those after the ack are the epoll
	// reader's. Without a record (no dial seen), coder goes on reading.
	var pending []byte
	if ep == nil || rc.Conn == nil {
		ep = nil
		rc.stop()
	} else if pending, err = afterMessages(rc.stop(), nread); err != nil {
		fail("bytes read before subscribe: " + err.Error())
		return
	}
	// The epoll loop's sockets leave Go's poller (detach): from here on
	// this client writes their frames itself.
	var d *detached
	if ep != nil {
		if d, err = detach(rc); err != nil {
			fail("detach: " + err.Error())
			return
		}
		write = func(_ context.Context, m wsMessage) error {
			b, _ := json.Marshal(m)
			return d.writeText(b)
		}
	}
	payload, _ := json.Marshal(map[string]any{"query": s.Query, "variables": s.Variables})
	if err := write(dctx, wsMessage{ID: "1", Type: "subscribe", Payload: payload}); err != nil {
		fail(closeFailure(err, "subscribe"))
		return
	}
	out.send(clientEvent{Ev: "open", Sock: s.Sock, OK: true})
	once()
	go func() { // resubscribe when told, with the same query
		gen := 0
		for id := 1; ; id++ {
			ch, g, vars := resubs.get()
			if g == gen {
				select {
				case <-ctx.Done():
					return
				case <-ch:
				}
				_, g, vars = resubs.get()
			}
			gen = g
			p, _ := json.Marshal(map[string]any{"query": s.Query, "variables": vars})
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := write(wctx, wsMessage{ID: strconv.Itoa(id), Type: "complete"})
			if err == nil {
				err = write(wctx, wsMessage{ID: strconv.Itoa(id + 1), Type: "subscribe", Payload: p})
			}
			wcancel()
			if err != nil {
				return
			}
		}
	}()

	if ep != nil {
		ep.follow(ctx, c, d, s, out, pending)
		return
	}
	followCoder(ctx, c, s, out)
}

// followCoder reports the socket's messages, read by coder/websocket,
// until ctx ends or the socket ends, then closes it (1000 when ctx
// ended).
func followCoder(ctx context.Context, c *websocket.Conn, s sub, out *reporter) {
	// The reads below use a context that is never cancelled: with one that
	// can be, the library sets up (and stops) a context.AfterFunc for every
	// frame it reads. The socket is closed when ctx ends instead, which
	// ends the read.
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.Close(websocket.StatusNormalClosure, "")
		close(closed)
	})
	defer stop()
	pong := func() {
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		_ = c.Write(wctx, websocket.MessageText, []byte(`{"type":"pong"}`))
		wcancel()
	}
	var buf bytes.Buffer // this socket's message, reused
	for {
		b, err := readInto(&buf, c)
		t := time.Now().UnixNano() // arrival
		if err != nil {
			if ctx.Err() != nil {
				<-closed // the close handshake, before CloseNow
				return
			}
			out.send(clientEvent{Ev: "closed", Sock: s.Sock, T: t, Reason: closeFailure(err, "read")})
			return
		}
		if reason, ok := deliver(s, out, t, b, pong); !ok {
			out.send(clientEvent{Ev: "closed", Sock: s.Sock, T: t, Reason: reason})
			return
		}
	}
}

// deliver reports one message of a subscribed socket, read at t, and
// answers a ping with pong. ok is false, with the reason, when the
// socket is to be given up.
func deliver(s sub, out *reporter, t int64, b []byte, pong func()) (reason string, ok bool) {
	if p, ok := nextPayload(b); ok {
		out.next(s.Sock, t, p)
		return "", true
	}
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return closeFailure(fmt.Errorf("bad message: %w", err), "read"), false
	}
	switch m.Type {
	case "next": // framed otherwise than nextPayload expects
		out.next(s.Sock, t, m.Payload)
	case "ping":
		pong()
	case "error", "complete":
		out.send(clientEvent{Ev: "error", Sock: s.Sock, T: t, Reason: m.Type + ": " + string(m.Payload)})
	}
	return "", true
}

// readInto reads one whole message into buf, reusing its memory, and
// returns its bytes (valid until the next call).
func readInto(buf *bytes.Buffer, c *websocket.Conn) ([]byte, error) {
	_, r, err := c.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// nextPayload returns the payload of a next message framed as the server
// frames it, {"id":"…","type":"next","payload":…}, without decoding it.
// ok is false for any other message or framing, which the caller then
// decodes in full. The payload itself is checked only by the
// coordinator, after the phase: one that is not an expected change
// counts as unexplained.
func nextPayload(b []byte) (payload []byte, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(`{"id":"`))
	if !ok {
		return nil, false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 { // no escapes in the ID
		return nil, false
	}
	rest, ok = bytes.CutPrefix(rest[i+1:], []byte(`,"type":"next","payload":`))
	if !ok || len(rest) < 2 || rest[len(rest)-1] != '}' {
		return nil, false
	}
	return rest[:len(rest)-1], true
}

func read(ctx context.Context, c *websocket.Conn) (wsMessage, error) {
	_, b, err := c.Read(ctx)
	if err != nil {
		return wsMessage{}, err
	}
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return wsMessage{}, fmt.Errorf("bad message: %w", err)
	}
	return m, nil
}

// dialFailure names a refused upgrade by its HTTP status, else the error.
func dialFailure(resp *http.Response, err error) string {
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return classify(err)
}

// closeFailure names a socket the server closed by its close code.
func closeFailure(err error, during string) string {
	if code := websocket.CloseStatus(err); code != -1 {
		return fmt.Sprintf("closed %d", int(code))
	}
	return classify(err) + " (" + during + ")"
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "stopped"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	default:
		var oe *net.OpError
		if errors.As(err, &oe) {
			return "net " + oe.Op + ": " + oe.Err.Error()
		}
		return "error"
	}
}

// broadcast hands the latest subscription variables to every socket.
type broadcast struct {
	mu   sync.Mutex
	ch   chan struct{} // closed at the next set
	gen  int
	vars map[string]any
}

func (b *broadcast) set(vars map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	b.vars = vars
	close(b.ch)
	b.ch = make(chan struct{})
}

func (b *broadcast) get() (chan struct{}, int, map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch, b.gen, b.vars
}

// reporter writes events to the coordinator, from any goroutine: next
// messages are kept in memory and written in batches, every other event
// is written as a JSON line at once (and flushed within 100 ms).
type reporter struct {
	mu sync.Mutex
	w  *bufio.Writer

	nmu       sync.Mutex
	arrived   []arrival // next messages not yet written
	payloads  []byte    // their payloads, back to back
	first     int64     // Unix nanoseconds: when the earliest of them arrived
	last      int64     // and when the latest did
	spare     []arrival // the buffers of the previous batch, for reuse
	spareData []byte
	line      []byte
}

// arrival is one next message: its payload is payloads[start:end].
type arrival struct {
	sock       int
	t          int64 // Unix nanoseconds of arrival
	start, end int
}

// next keeps one next message until the next batch. The payload is
// copied.
func (r *reporter) next(sock int, t int64, payload []byte) {
	if bytes.IndexByte(payload, '\n') >= 0 { // it must fit on one line
		var c bytes.Buffer
		if json.Compact(&c, payload) == nil {
			payload = c.Bytes()
		} else {
			payload = bytes.ReplaceAll(payload, []byte("\n"), []byte(" "))
		}
	}
	r.nmu.Lock()
	start := len(r.payloads)
	r.payloads = append(r.payloads, payload...)
	r.arrived = append(r.arrived, arrival{sock: sock, t: t, start: start, end: len(r.payloads)})
	if len(r.arrived) == 1 {
		r.first = t
	}
	r.last = t
	r.nmu.Unlock()
}

// flushQuiet writes the buffered next messages once arrivals have paused
// for idleAfter, or once the earliest has waited flushEvery, and flushes
// every event written.
func (r *reporter) flushQuiet(now time.Time) {
	r.nmu.Lock()
	ns := now.UnixNano()
	due := len(r.arrived) > 0 && (ns-r.last >= int64(idleAfter) || ns-r.first >= int64(flushEvery))
	r.nmu.Unlock()
	if due {
		r.writeNexts()
	}
	r.flush()
}

// writeNexts writes the buffered next messages, one nextLine each.
func (r *reporter) writeNexts() {
	r.nmu.Lock()
	batch, data := r.arrived, r.payloads
	r.arrived, r.payloads = r.spare[:0], r.spareData[:0]
	r.nmu.Unlock()

	r.mu.Lock()
	for _, a := range batch {
		r.line = nextLine(r.line[:0], a.sock, a.t, data[a.start:a.end])
		_, _ = r.w.Write(r.line)
	}
	r.mu.Unlock()

	r.nmu.Lock()
	r.spare, r.spareData = batch[:0], data[:0]
	r.nmu.Unlock()
}

// nextLine appends the line `n <sock> <t> <payload>\n` to b; parseEvent
// reads it.
func nextLine(b []byte, sock int, t int64, payload []byte) []byte {
	b = append(b, 'n', ' ')
	b = strconv.AppendInt(b, int64(sock), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, t, 10)
	b = append(b, ' ')
	b = append(b, payload...)
	return append(b, '\n')
}

// parseEvent reads one line a client process wrote: a nextLine, or a
// clientEvent as JSON. The event does not keep line.
func parseEvent(line []byte) (clientEvent, bool) {
	if rest, ok := bytes.CutPrefix(line, []byte("n ")); ok {
		f := bytes.SplitN(rest, []byte(" "), 3)
		if len(f) != 3 {
			return clientEvent{}, false
		}
		sock, err1 := strconv.Atoi(string(f[0]))
		t, err2 := strconv.ParseInt(string(f[1]), 10, 64)
		if err1 != nil || err2 != nil {
			return clientEvent{}, false
		}
		return clientEvent{Ev: "next", Sock: sock, T: t, Data: bytes.Clone(f[2])}, true
	}
	var e clientEvent
	if json.Unmarshal(line, &e) != nil {
		return clientEvent{}, false
	}
	return e, true
}

func (r *reporter) send(e clientEvent) {
	b, _ := json.Marshal(e)
	r.mu.Lock()
	defer r.mu.Unlock()
	// The coordinator reads these lines; a failed write means it has gone,
	// and the deadline ends this process.
	_, _ = r.w.Write(append(b, '\n'))
}

// flush writes out every event written so far.
func (r *reporter) flush() {
	r.mu.Lock()
	r.w.Flush()
	r.mu.Unlock()
}
