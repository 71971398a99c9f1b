package main

import (
	"bufio"
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
// and reads clientEvents as JSON lines on its stdout. A later JSON line
// {"variables":{…}} makes every socket complete its subscription and
// subscribe again with these variables. The process ends when its stdin
// closes, when it reads "stop", or when the job's deadline passes,
// whichever comes first; it then closes its sockets (1000).

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
			case <-t.C:
				out.flush()
			}
		}
	}()

	// One HTTP client per source address: the upgrade request is sent
	// through it and the connection hijacked, so none are pooled.
	clients := make([]*http.Client, max(len(job.LocalAddrs), 1))
	for i := range clients {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if len(job.LocalAddrs) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(job.LocalAddrs[i])}
		}
		clients[i] = &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
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
			hold(ctx, clients[i%len(clients)], job, s, resubs, out, opening.Done)
		}()
	}
	opening.Wait()
	out.send(clientEvent{Ev: "ready"})
	out.flush()
	<-ctx.Done()
	running.Wait()
	out.send(clientEvent{Ev: "done"})
	out.flush()
	return nil
}

// hold opens one socket, subscribes, reports every message until ctx ends,
// then closes the socket. opened is called once the socket is subscribed
// or has failed.
func hold(ctx context.Context, hc *http.Client, job clientJob, s sub, resubs *broadcast, out *reporter, opened func()) {
	once := sync.OnceFunc(opened)
	defer once()
	fail := func(reason string) { out.send(clientEvent{Ev: "open", Sock: s.Sock, Reason: reason}) }

	dctx, dcancel := context.WithTimeout(ctx, 15*time.Second)
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
	for {
		m, err := read(dctx, c)
		if err != nil {
			fail(closeFailure(err, "waiting for connection_ack"))
			return
		}
		if m.Type == "ping" {
			_ = write(dctx, wsMessage{Type: "pong"})
			continue
		}
		if m.Type == "connection_ack" {
			break
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

	for {
		m, err := read(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				_ = c.Close(websocket.StatusNormalClosure, "")
				return
			}
			out.send(clientEvent{Ev: "closed", Sock: s.Sock, T: time.Now().UnixNano(), Reason: closeFailure(err, "read")})
			return
		}
		switch m.Type {
		case "next":
			t := time.Now().UnixNano()
			out.send(clientEvent{Ev: "next", Sock: s.Sock, T: t, Data: m.Payload})
		case "ping":
			wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
			_ = write(wctx, wsMessage{Type: "pong"})
			wcancel()
		case "error", "complete":
			out.send(clientEvent{Ev: "error", Sock: s.Sock, T: time.Now().UnixNano(), Reason: m.Type + ": " + string(m.Payload)})
		}
	}
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

// reporter writes events as JSON lines, from any goroutine.
type reporter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (r *reporter) send(e clientEvent) {
	b, _ := json.Marshal(e)
	r.mu.Lock()
	defer r.mu.Unlock()
	// The coordinator reads these lines; a failed write means it has gone,
	// and the deadline ends this process.
	_, _ = r.w.Write(append(b, '\n'))
}

func (r *reporter) flush() {
	r.mu.Lock()
	r.w.Flush()
	r.mu.Unlock()
}
