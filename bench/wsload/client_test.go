package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// fakeServer speaks just enough graphql-transport-ws: it refuses sockets
// past accept with HTTP 503, closes the next closeAfter with 1013 after
// the ack, and for the rest acks, pings once, waits for the pong and the
// subscribe, and sends one next.
type fakeServer struct {
	mu                 sync.Mutex
	accept, closeAfter int
	pingAfterNext      bool // ping again after every next
	closeAfterNext     bool // close with 4403 after the first next
	pongs, completes   int
	normalCloses       int // sockets the client closed with 1000
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.accept
	f.accept--
	f.mu.Unlock()
	if n <= 0 {
		http.Error(w, "too many sockets", http.StatusServiceUnavailable)
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	if _, err := read(ctx, c); err != nil { // connection_init
		return
	}
	f.mu.Lock()
	closing := f.closeAfter > 0
	f.closeAfter--
	f.mu.Unlock()
	if closing {
		c.Close(websocket.StatusTryAgainLater, "busy")
		return
	}
	send := func(m wsMessage) { b, _ := json.Marshal(m); _ = c.Write(ctx, websocket.MessageText, b) }
	send(wsMessage{Type: "connection_ack"})
	send(wsMessage{Type: "ping"})
	for {
		m, err := read(ctx, c)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				f.mu.Lock()
				f.normalCloses++
				f.mu.Unlock()
			}
			return
		}
		switch m.Type {
		case "pong":
			f.mu.Lock()
			f.pongs++
			f.mu.Unlock()
		case "complete":
			f.mu.Lock()
			f.completes++
			f.mu.Unlock()
		case "subscribe":
			var p struct {
				Variables struct {
					ID string `json:"id"`
				} `json:"variables"`
			}
			_ = json.Unmarshal(m.Payload, &p)
			send(wsMessage{ID: m.ID, Type: "next", Payload: json.RawMessage(`{"data":{"orderUpdated":{"id":"` + p.Variables.ID + `"}}}`)})
			if f.closeAfterNext {
				c.Close(4403, "forbidden")
				return
			}
			if f.pingAfterNext {
				send(wsMessage{Type: "ping"})
			}
		}
	}
}

func TestClientCountsRefusalsAndAnswersPings(t *testing.T) {
	fake := &fakeServer{accept: 4, closeAfter: 1, pingAfterNext: true}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	followed := epollSockets.Load()
	job := clientJob{
		URLs:     []string{"ws" + strings.TrimPrefix(srv.URL, "http")},
		Token:    "t",
		Rate:     1000,
		Deadline: time.Now().Add(20 * time.Second).UnixNano(),
	}
	for i := range 5 {
		job.Subs = append(job.Subs, sub{Sock: i, Query: "subscription{x}", Variables: map[string]any{"id": "o1"}})
	}
	b, _ := json.Marshal(job)
	stdinR, stdinW := io.Pipe()
	var out bytes.Buffer
	var outMu sync.Mutex
	done := make(chan error, 1)
	go func() { done <- runClient(stdinR, &lockedWriter{w: &out, mu: &outMu}) }()
	_, _ = stdinW.Write(append(b, '\n'))

	var events []clientEvent
	nexts := func(id string) func() bool {
		return func() bool {
			outMu.Lock()
			defer outMu.Unlock()
			events = events[:0]
			sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
			n := 0
			for sc.Scan() {
				e, ok := parseEvent(sc.Bytes())
				require.True(t, ok, "line %q", sc.Text())
				events = append(events, e)
				if e.Ev == "next" && strings.Contains(string(e.Data), `"`+id+`"`) {
					n++
				}
			}
			return n == 3
		}
	}
	require.Eventually(t, nexts("o1"), 10*time.Second, 20*time.Millisecond)
	// Every open socket moves to another order.
	_, _ = stdinW.Write([]byte(`{"variables":{"id":"o2"}}` + "\n"))
	require.Eventually(t, nexts("o2"), 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { // after the ack and after each next
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return fake.pongs == 9
	}, 5*time.Second, 10*time.Millisecond, "every ping answered")
	_, _ = stdinW.Write([]byte("stop\n"))
	require.NoError(t, <-done)

	reasons := map[string]int{}
	opened := 0
	for _, e := range events {
		if e.Ev == "open" {
			if e.OK {
				opened++
			} else {
				reasons[e.Reason]++
			}
		}
	}
	require.Equal(t, 3, opened)
	require.Equal(t, map[string]int{"HTTP 503": 1, "closed 1013": 1}, reasons)
	require.Eventually(t, func() bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return fake.normalCloses == 3
	}, 5*time.Second, 10*time.Millisecond, "every socket closed with 1000 at stop")
	fake.mu.Lock()
	defer fake.mu.Unlock()
	require.Equal(t, 9, fake.pongs, "no pong too many")
	require.Equal(t, 3, fake.completes, "the first subscriptions completed before the second")
	if runtime.GOOS == "linux" {
		require.Equal(t, int64(3), epollSockets.Load()-followed, "the subscribed sockets were read through epoll")
	}
	for _, e := range events {
		require.NotEqual(t, "closed", e.Ev, "no socket ended before stop: %+v", e)
	}
}

func TestClientReportsTheServersClose(t *testing.T) {
	fake := &fakeServer{accept: 2, closeAfterNext: true}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	job := clientJob{
		URLs:     []string{"ws" + strings.TrimPrefix(srv.URL, "http")},
		Token:    "t",
		Rate:     1000,
		Deadline: time.Now().Add(20 * time.Second).UnixNano(),
	}
	for i := range 2 {
		job.Subs = append(job.Subs, sub{Sock: i, Query: "subscription{x}", Variables: map[string]any{"id": "o1"}})
	}
	b, _ := json.Marshal(job)
	stdinR, stdinW := io.Pipe()
	var out bytes.Buffer
	var outMu sync.Mutex
	done := make(chan error, 1)
	go func() { done <- runClient(stdinR, &lockedWriter{w: &out, mu: &outMu}) }()
	_, _ = stdinW.Write(append(b, '\n'))
	count := func() map[string]int {
		outMu.Lock()
		defer outMu.Unlock()
		n := map[string]int{}
		sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
		for sc.Scan() {
			e, ok := parseEvent(sc.Bytes())
			require.True(t, ok, "line %q", sc.Text())
			n[e.Ev+" "+e.Reason]++
		}
		return n
	}
	require.Eventually(t, func() bool { return count()["closed closed 4403"] == 2 }, 10*time.Second, 20*time.Millisecond)
	_, _ = stdinW.Write([]byte("stop\n"))
	require.NoError(t, <-done)
	n := count()
	require.Equal(t, 2, n["next "], "the next before the close arrived")
	require.Equal(t, 2, n["open "])
	require.Equal(t, 2, n["closed closed 4403"])
}

// frame builds one unmasked server frame.
func frame(fin bool, op byte, payload string) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}

type got struct {
	op byte
	p  string
}

// feedAll feeds the reads one after another and collects what comes out.
func feedAll(t *testing.T, reads ...[]byte) []got {
	var f frameReader
	var out []got
	for _, r := range reads {
		require.NoError(t, f.feed(r, func(op byte, p []byte) bool {
			out = append(out, got{op, string(p)})
			return true
		}))
	}
	require.Empty(t, f.buf, "nothing left over")
	return out
}

func TestFrameReaderSplitsAndJoinsReads(t *testing.T) {
	long := strings.Repeat("x", 300)    // 16-bit length
	huge := strings.Repeat("y", 70_000) // 64-bit length
	stream := slices.Concat(
		frame(true, opText, `{"type":"ping"}`),
		frame(true, opText, long),
		frame(true, opPing, "p"),
		frame(false, opText, "par"), frame(true, opContinuation, "ts"), // fragmented
		frame(true, opText, huge),
		frame(true, opClose, "\x03\xe8bye"),
	)
	want := []got{{opText, `{"type":"ping"}`}, {opText, long}, {opPing, "p"}, {opText, "parts"}, {opText, huge}, {opClose, "\x03\xe8bye"}}
	require.Equal(t, want, feedAll(t, stream), "several frames in one read")
	for _, cut := range []int{1, 2, 3, 10, 17, 18, 19, 330, len(stream) - 1} { // split in two anywhere
		require.Equal(t, want, feedAll(t, stream[:cut], stream[cut:]), "cut at %d", cut)
	}
	var bytewise [][]byte // one byte a read
	for i := range stream[:400] {
		bytewise = append(bytewise, stream[i:i+1])
	}
	require.Equal(t, want, feedAll(t, append(bytewise, stream[400:])...))
	require.Equal(t, "closed 1000", closeReason([]byte("\x03\xe8bye")))
	require.Equal(t, "closed 1005", closeReason(nil))
}

func TestFrameReaderStopsAndRefuses(t *testing.T) {
	var f frameReader
	n := 0
	require.NoError(t, f.feed(slices.Concat(frame(true, opClose, ""), frame(true, opText, "after")), func(byte, []byte) bool {
		n++
		return false // the close ends it
	}))
	require.Equal(t, 1, n)

	for name, b := range map[string][]byte{
		"masked":          {0x81, 0x81, 1, 2, 3, 4, 'x'},
		"reserved bits":   {0xc1, 0x01, 'x'},
		"unknown opcode":  {0x83, 0x00},
		"long ping":       frame(true, opPing, strings.Repeat("p", 126)),
		"fragmented ping": frame(false, opPing, "p"),
		"lone continue":   frame(true, opContinuation, "x"),
		"unended message": slices.Concat(frame(false, opText, "a"), frame(true, opText, "b")),
		"too big":         {0x81, 127, 0, 0, 0, 0, 0x7f, 0, 0, 0},
	} {
		var f frameReader
		require.Error(t, f.feed(b, func(byte, []byte) bool { return true }), name)
	}
	// Good input after the same prefix passes: the refusals are specific.
	require.Equal(t, []got{{opText, "x"}}, feedAll(t, []byte{0x81, 0x01, 'x'}))
}

func TestAfterMessagesKeepsWhatCoderReadAhead(t *testing.T) {
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	ping, ack := frame(true, opText, `{"type":"ping"}`), frame(true, opText, `{"type":"connection_ack"}`)
	rec := slices.Concat([]byte(resp), ping, ack, ping, frame(false, opText, "half")[:3])
	rest, err := afterMessages(rec, 2) // coder returned the ping and the ack
	require.NoError(t, err)
	require.Equal(t, slices.Concat(ping, frame(false, opText, "half")[:3]), rest)
	rest, err = afterMessages(rec[:len(resp)+len(ping)+len(ack)], 2) // nothing read ahead
	require.NoError(t, err)
	require.Empty(t, rest)
	_, err = afterMessages(rec[:len(resp)+len(ping)+3], 2) // coder read more than was recorded
	require.Error(t, err)
	_, err = afterMessages(ping, 1)
	require.Error(t, err, "no HTTP response")
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestNextPayloadOnlyForTheServersFraming(t *testing.T) {
	p, ok := nextPayload([]byte(`{"id":"12","type":"next","payload":{"data":{"x":"}"}}}`))
	require.True(t, ok)
	require.Equal(t, `{"data":{"x":"}"}}`, string(p))
	for _, m := range []string{
		`{"type":"next","id":"1","payload":{"data":{}}}`, // other key order: decoded in full
		`{"id":"1","type":"error","payload":[{"message":"no"}]}`,
		`{"id":"1","type":"complete"}`,
		`{"type":"ping"}`,
		`{"id":"a\"b","type":"next","payload":{}}`, // escaped ID
		`{"id":"1","type":"next","payload":{} `,    // cut short
	} {
		_, ok := nextPayload([]byte(m))
		require.False(t, ok, m)
	}
}

func TestNextMessagesAreBatchedAndReadBack(t *testing.T) {
	var out bytes.Buffer
	r := &reporter{w: bufio.NewWriter(&out)}
	r.next(3, 1700000000123456789, []byte(`{"data":{"orderUpdated":{"id":"A","status":"PAID"}}}`))
	r.next(40000, 1700000000999999999, []byte("{\"data\":\n {\"a b\": 1}}")) // newlines are compacted away
	r.send(clientEvent{Ev: "closed", Sock: 7, Reason: "closed 1001"})

	now := time.Now()
	r.flushQuiet(now) // the last arrival (in 2023) was long ago: written
	r.next(5, now.UnixNano(), []byte(`{"data":{}}`))
	r.flushQuiet(now.Add(idleAfter / 2)) // arrivals have not paused: kept
	require.Len(t, r.arrived, 1)
	r.next(6, now.Add(flushEvery-idleAfter/2).UnixNano(), []byte(`{"data":{}}`))
	r.flushQuiet(now.Add(flushEvery)) // still no pause, but the earliest has waited long enough
	require.Empty(t, r.arrived)

	var got []clientEvent
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		e, ok := parseEvent(sc.Bytes())
		require.True(t, ok, sc.Text())
		got = append(got, e)
	}
	require.Equal(t, []clientEvent{
		{Ev: "closed", Sock: 7, Reason: "closed 1001"},
		{Ev: "next", Sock: 3, T: 1700000000123456789, Data: json.RawMessage(`{"data":{"orderUpdated":{"id":"A","status":"PAID"}}}`)},
		{Ev: "next", Sock: 40000, T: 1700000000999999999, Data: json.RawMessage(`{"data":{"a b":1}}`)},
		{Ev: "next", Sock: 5, T: now.UnixNano(), Data: json.RawMessage(`{"data":{}}`)},
		{Ev: "next", Sock: 6, T: now.Add(flushEvery - idleAfter/2).UnixNano(), Data: json.RawMessage(`{"data":{}}`)},
	}, got)
	id, status := orderUpdated(got[1].Data)
	require.Equal(t, []string{"A", "PAID"}, []string{id, status})

	for _, bad := range []string{"n 1 2", "n x 2 {}", "n 1 y {}", "not json"} {
		_, ok := parseEvent([]byte(bad))
		require.False(t, ok, bad)
	}
}
