package api_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/server/api"
)

// rawSocket is a graphql-transport-ws client with nothing of its own but
// the TCP connection: no goroutine, no buffers once set up, so what a
// test measures in this process is the server's side of each socket.
type rawSocket struct {
	conn net.Conn
}

// dialRaw upgrades a plain TCP connection by hand, sends connection_init
// with bearer and waits for the ack.
func dialRaw(t testing.TB, addr, bearer string) *rawSocket {
	t.Helper()
	return dialRawWith(t, net.Dial, addr, bearer)
}

func dialRawWith(t testing.TB, dial func(network, addr string) (net.Conn, error), addr, bearer string) *rawSocket {
	t.Helper()
	conn, err := dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = fmt.Fprintf(conn, "GET /graphql HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n", addr)
	require.NoError(t, err)
	br := bufio.NewReaderSize(conn, 512)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	s := &rawSocket{conn: conn}
	s.write(t, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + bearer}})
	var ack struct{ Type string }
	require.NoError(t, json.Unmarshal(readFrame(t, br), &ack))
	require.Equal(t, "connection_ack", ack.Type)
	require.Zero(t, br.Buffered())
	_ = conn.SetDeadline(time.Time{})
	return s
}

// write sends m as one masked text frame (a zero mask: the payload goes
// as is).
func (s *rawSocket) write(t testing.TB, m any) {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	frame := []byte{0x81}
	switch {
	case len(b) < 126:
		frame = append(frame, 0x80|byte(len(b)))
	case len(b) < 1<<16:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(len(b)))
	default:
		t.Fatal("message too long for this client")
	}
	frame = append(frame, 0, 0, 0, 0)
	_, err = s.conn.Write(append(frame, b...))
	require.NoError(t, err)
}

// readFrame reads one unmasked server frame's payload (short frames only).
func readFrame(t testing.TB, br *bufio.Reader) []byte {
	t.Helper()
	var h [2]byte
	_, err := ioReadFull(br, h[:])
	require.NoError(t, err)
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		_, err := ioReadFull(br, l[:])
		require.NoError(t, err)
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	b := make([]byte, n)
	_, err = ioReadFull(br, b)
	require.NoError(t, err)
	return b
}

func ioReadFull(br *bufio.Reader, b []byte) (int, error) {
	for i := range b {
		c, err := br.ReadByte()
		if err != nil {
			return i, err
		}
		b[i] = c
	}
	return len(b), nil
}

// memSnapshot is what the process holds: live heap, goroutine stacks,
// goroutines.
type memSnapshot struct {
	heap, stack uint64
	goroutines  int
}

func snapshot() memSnapshot {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return memSnapshot{heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

// TestWebsocketSocketMemory opens many idle sockets, each with one
// orderUpdated subscription, and reports what each costs the server:
// heap, goroutine stacks, goroutines. WS_MEMORY_SOCKETS sets how many
// (default 400). What is asserted is issue 21's aim, 24 KiB a socket,
// above today's cost (16 KiB: 14 KiB of heap, 2 KiB of stack) by a margin
// for a loaded machine, so that a regression shows (it was 77 KiB before
// the socket outlived its request, 24 to 46 KiB while each subscription
// kept a goroutine waiting for its events, 22 KiB while the reader
// waited on an 8 KiB stack). An idle subscribed socket keeps one
// goroutine, its reader, parked on the smallest stack: the subscription
// itself holds none.
func TestWebsocketSocketMemory(t *testing.T) {
	n := 400
	if v := os.Getenv("WS_MEMORY_SOCKETS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	profile := os.Getenv("WS_MEMORY_PROFILE") // a heap profile of the sockets, for go tool pprof
	if profile != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 64
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withWebsocket(withBus(bus), func(d *api.Config) {
			d.Websocket.PingInterval = time.Hour // no pings while measuring
			d.Websocket.RecheckInterval = time.Hour
			d.Websocket.MaxSocketsPerAddr = n + 1 // every socket comes from 127.0.0.1
		}))
		alice, _ := s.asCustomer(t, "alice")
		id := placeAs(t, s, alice, "k1")
		addr := strings.TrimPrefix(s.srv.URL, "http://")
		sub := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
			"query": s.ops["OrderUpdates"], "operationName": "OrderUpdates", "variables": map[string]any{"id": id},
		}}
		// One socket first, so lazily built things (pools, caches, the
		// executor's parsed query) are not counted against the others.
		warm := dialRaw(t, addr, alice.bearer)
		warm.write(t, sub)
		live(t, bus, 1)

		before := snapshot()
		socks := make([]*rawSocket, n)
		for i := range socks {
			socks[i] = dialRaw(t, addr, alice.bearer)
			socks[i].write(t, sub)
		}
		live(t, bus, n+1)
		// A subscription's setup runs on a goroutine that ends once the
		// subscription waits for events; some may still be finishing.
		require.Eventually(t, func() bool { return runtime.NumGoroutine()-before.goroutines <= n+n/20 }, 10*time.Second, 10*time.Millisecond,
			"an idle subscribed socket adds one goroutine")
		after := snapshot()
		if profile != "" {
			f, err := os.Create(profile)
			require.NoError(t, err)
			require.NoError(t, pprof.Lookup("heap").WriteTo(f, 0))
			require.NoError(t, f.Close())
		}
		heap := float64(int64(after.heap)-int64(before.heap)) / float64(n)
		stack := float64(int64(after.stack)-int64(before.stack)) / float64(n)
		gor := float64(after.goroutines-before.goroutines) / float64(n)
		t.Logf("%d sockets with one orderUpdated each: %.0f B heap + %.0f B stack = %.1f KiB a socket, %.2f goroutines a socket",
			n, heap, stack, (heap+stack)/1024, gor)
		require.Less(t, heap+stack, 24.0*1024, "bytes a socket")
		require.Less(t, stack, 4.0*1024, "stack bytes a socket: the reader waits on the smallest stack")
		require.LessOrEqual(t, gor, 1.05, "goroutines a socket")
		runtime.KeepAlive(socks)
	})
}
