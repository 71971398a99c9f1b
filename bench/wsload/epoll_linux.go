//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/coder/websocket"
)

// epollReader reads every subscribed socket of a client process in one
// goroutine: it asks epoll (level-triggered) for the readable sockets,
// reads each with one recvmsg(2) into a shared buffer and parses the
// frames itself (frameReader). A goroutine blocked in coder/websocket's
// Read per socket costs a netpoll wake-up, a goroutine switch and a
// second read that returns EAGAIN for every message; this costs one read.
//
// The sockets are taken out of Go's own poller first (detach), and their
// few client frames are written by hand.
type epollReader struct {
	fd     int
	closed atomic.Bool
	mu     sync.Mutex
	socks  map[int32]*epollSock // by the id registered with epoll
	next   int32
}

// epollSock is one registered socket. Its mutex is held while the loop
// reads and parses it, and while it is given up, so a socket is never
// read once its fd may be closed.
type epollSock struct {
	mu   sync.Mutex
	id   int32
	fd   int
	gone bool // removed from epoll: never read again
	fr   frameReader
	done chan struct{} // closed once gone

	e   *epollReader
	ctx context.Context
	d   *detached
	s   sub
	out *reporter
}

// coalesce is how long the loop lets messages gather after a small batch
// of ready sockets: a fan-out then costs one wake-up for many sockets,
// not one each. Arrival times are the kernel's (kernelArrival), so the
// pause does not delay them; with WSLOAD_ARRIVAL=read they are taken when
// the socket is read, and may be late by up to this much.
var coalesce = envDuration("WSLOAD_COALESCE", time.Millisecond)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d >= 0 {
		return d
	}
	return def
}

// kernelArrival: a message's arrival is the time the kernel received its
// bytes into the client's socket (SO_TIMESTAMPNS), which on loopback is
// the moment the server's write put them there, not the moment this
// process got round to reading them. The load generator shares the
// server's cores; what it measures is when the server delivered, as a
// client on its own machine would see it. WSLOAD_ARRIVAL=read takes the
// time of the read instead (the earlier runs' measure), which adds the
// load generator's own lag.
var kernelArrival = os.Getenv("WSLOAD_ARRIVAL") != "read"

func newEpollReader() (*epollReader, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	e := &epollReader{fd: fd, socks: map[int32]*epollSock{}}
	go e.loop()
	return e, nil
}

// close ends the loop, which closes the epoll instance.
func (e *epollReader) close() { e.closed.Store(true) }

// loop reads the ready sockets until close. It waits in epoll_wait on a
// thread of its own, not in Go's poller: nested in Go's poller, the epoll
// instance would wake the process's idle poller thread for each message
// that arrives while the loop is busy or pausing (which then finds nothing
// to do), a wake-up paid in the server's write on loopback. Blocked in
// epoll_wait, the loop is woken once for a burst, and messages that
// arrive while it reads or pauses only join epoll's ready list.
func (e *epollReader) loop() {
	defer syscall.Close(e.fd)
	events := make([]syscall.EpollEvent, 512)
	ready := make([]*epollSock, 0, 512)
	rx := newReceiver(64 << 10)
	for !e.closed.Load() {
		n, err := syscall.EpollWait(e.fd, events, 100) // ms: close is seen within this
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		ready = ready[:0]
		e.mu.Lock()
		for _, ev := range events[:n] {
			if k := e.socks[ev.Fd]; k != nil {
				ready = append(ready, k)
			}
		}
		e.mu.Unlock()
		for _, k := range ready {
			k.readable(rx)
		}
		if n < len(events)/8 {
			time.Sleep(coalesce)
		}
	}
}

// follow reports the subscribed socket's messages until ctx ends or the
// socket ends, then closes it (1000 when ctx ended). pending are the
// bytes of the socket already read before it was registered.
func (e *epollReader) follow(ctx context.Context, _ *websocket.Conn, d *detached, s sub, out *reporter, pending []byte) {
	defer d.close()
	fd := d.fd
	if kernelArrival {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1); err != nil {
			out.send(clientEvent{Ev: "closed", Sock: s.Sock, T: time.Now().UnixNano(), Reason: "SO_TIMESTAMPNS: " + err.Error()})
			return
		}
	}
	epollSockets.Add(1)
	k := &epollSock{e: e, fd: fd, done: make(chan struct{}), ctx: ctx, d: d, s: s, out: out}
	k.mu.Lock()
	e.mu.Lock()
	e.next++
	k.id = e.next
	e.socks[k.id] = k
	e.mu.Unlock()
	// What was read ahead before registering comes first; what the
	// server sent since waits in the socket, which epoll reports at once.
	if len(pending) > 0 {
		k.feed(pending, time.Now().UnixNano())
	}
	if !k.gone {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: k.id}
		if err := syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			k.end("epoll: " + err.Error())
		}
	}
	k.mu.Unlock()

	select {
	case <-k.done: // the server closed it, or it failed: reported
		return
	case <-ctx.Done():
	}
	k.mu.Lock()
	wasGone := k.gone
	k.end("")
	k.mu.Unlock()
	if !wasGone {
		// The server gets its 1000; its own close frame is not waited
		// for (d.close, deferred, closes the socket).
		_ = d.write(closeFrame)
	}
}

// receiver is the loop's buffer for one recvmsg(2) at a time: the bytes
// and the control message that carries the kernel's receive time.
type receiver struct {
	buf []byte
	oob []byte
	iov syscall.Iovec
	msg syscall.Msghdr
}

func newReceiver(size int) *receiver {
	r := &receiver{buf: make([]byte, size), oob: make([]byte, syscall.CmsgSpace(int(unsafe.Sizeof(syscall.Timespec{}))))}
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	r.msg.Iov = &r.iov
	r.msg.Iovlen = 1
	r.msg.Control = &r.oob[0]
	return r
}

// recv reads what fd has: the bytes, and the kernel's receive time of the
// last of them (0 when it gave none). For TCP the kernel reports the time
// of the newest segment the read took, so a read that completes several
// frames dates them all by the last (late, never early).
func (r *receiver) recv(fd int) (b []byte, kernelNs int64, err error) {
	r.msg.SetControllen(len(r.oob))
	r.msg.Flags = 0
	n, _, errno := syscall.Syscall(syscall.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&r.msg)), 0)
	if errno != 0 {
		return nil, 0, errno
	}
	return r.buf[:n], cmsgTimestamp(r.oob[:r.msg.Controllen]), nil
}

// cmsgTimestamp finds SCM_TIMESTAMPNS among the control messages in oob.
func cmsgTimestamp(oob []byte) int64 {
	const hdr = syscall.SizeofCmsghdr
	for len(oob) >= hdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			return 0
		}
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS && l >= hdr+16 {
			sec := int64(binary.NativeEndian.Uint64(oob[hdr:]))
			nsec := int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			return sec*1e9 + nsec
		}
		oob = oob[min(syscall.CmsgSpace(l-hdr), len(oob)):]
	}
	return 0
}

// readable reads what the socket has and handles its whole messages.
func (k *epollSock) readable(rx *receiver) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gone {
		return
	}
	b, kt, err := rx.recv(k.fd)
	t := time.Now().UnixNano() // arrival of every frame this read completes
	if kernelArrival && kt > 0 {
		t = kt
	}
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
	case err != nil:
		k.end("net read: " + err.Error())
	case len(b) == 0:
		k.end("EOF (read)")
	default:
		k.feed(b, t)
	}
}

// feed parses bytes read at t; k.mu is held.
func (k *epollSock) feed(b []byte, t int64) {
	reason := ""
	err := k.fr.feed(b, func(op byte, p []byte) bool {
		switch op {
		case opClose:
			reason = closeReason(p)
			return false
		case opPing, opPong:
			// The server pings with graphql-transport-ws messages, never
			// with WebSocket pings: these are not answered.
			return true
		}
		if r, ok := deliver(k.s, k.out, t, p, k.pong); !ok {
			reason = r
			return false
		}
		return true
	})
	if err != nil {
		reason = "error (read): " + err.Error()
	}
	if reason != "" {
		k.end(reason)
	}
}

// pong answers a graphql-transport-ws ping; a write may wait for the
// socket: not in the loop.
func (k *epollSock) pong() {
	go func() { _ = k.d.writeText([]byte(`{"type":"pong"}`)) }()
}

// detached is a subscribed socket taken out of Go's poller, so that only
// the epoll loop hears of its messages. A socket registered with Go's
// poller too (as every net.Conn is) has every message arriving on it
// wake the process's idle thread in the poller, which finds no goroutine
// waiting and goes back to sleep: on loopback that wake-up is paid in
// the server's write, once per message. Once detached, the socket's own
// client frames (subscribe, complete, pong, close) are written here.
type detached struct {
	mu     sync.Mutex
	fd     int // a duplicate of the dialed connection's descriptor
	closed bool
}

// detach duplicates the connection's descriptor and closes the
// connection: Go's poller forgets it (EPOLL_CTL_DEL), and the duplicate
// keeps the TCP connection open. Coder must not use the connection after.
func detach(rc *recConn) (*detached, error) {
	sc, ok := rc.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("no descriptor")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, derr := -1, error(nil)
	if err := raw.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	syscall.CloseOnExec(fd)
	_ = rc.Close()
	return &detached{fd: fd}, nil
}

// closeFrame is a masked close frame with status 1000.
var closeFrame = []byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}

// writeText writes b as one masked text frame. The masking key is zero,
// so the payload goes as is.
func (d *detached) writeText(b []byte) error {
	frame := make([]byte, 0, len(b)+8)
	switch {
	case len(b) < 126:
		frame = append(frame, 0x81, 0x80|byte(len(b)))
	case len(b) < 1<<16:
		frame = append(frame, 0x81, 0x80|126, byte(len(b)>>8), byte(len(b)))
	default:
		return errors.New("message too long for this client")
	}
	frame = append(frame, 0, 0, 0, 0)
	return d.write(append(frame, b...))
}

// write writes p whole (the descriptor does not block: a full send
// buffer is waited out, for at most 10 s).
func (d *detached) write(p []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for len(p) > 0 {
		if d.closed {
			return net.ErrClosed
		}
		n, err := syscall.Write(d.fd, p)
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			if time.Now().After(deadline) {
				return os.ErrDeadlineExceeded
			}
			time.Sleep(time.Millisecond)
		case err != nil:
			return err
		default:
			p = p[n:]
		}
	}
	return nil
}

// close closes the descriptor, once; the epoll loop has given the socket
// up by then (epollSock.end).
func (d *detached) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		_ = syscall.Close(d.fd)
	}
}

// end removes the socket from epoll and reports reason as a closed event
// unless it is empty or ctx has ended (the socket is closing anyway).
// k.mu is held.
func (k *epollSock) end(reason string) {
	if k.gone {
		return
	}
	k.gone = true
	e := k.e
	_ = syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_DEL, k.fd, nil)
	e.mu.Lock()
	delete(e.socks, k.id)
	e.mu.Unlock()
	if reason != "" && k.ctx.Err() == nil {
		k.out.send(clientEvent{Ev: "closed", Sock: k.s.Sock, T: time.Now().UnixNano(), Reason: reason})
	}
	close(k.done)
}
