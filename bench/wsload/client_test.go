package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	pongs, completes   int
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
		}
	}
}

func TestClientCountsRefusalsAndAnswersPings(t *testing.T) {
	fake := &fakeServer{accept: 4, closeAfter: 1}
	srv := httptest.NewServer(fake)
	defer srv.Close()
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
				var e clientEvent
				require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
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
	fake.mu.Lock()
	defer fake.mu.Unlock()
	require.Equal(t, 3, fake.pongs, "every ping answered")
	require.Equal(t, 3, fake.completes, "the first subscriptions completed before the second")
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
