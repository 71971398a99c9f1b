//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/coder/websocket"
)

// epollReader reads every subscribed socket of a client process in one
// goroutine: it asks epoll (level-triggered) for the readable sockets,
// reads each with one read(2) into a shared buffer and parses the frames
// itself (frameReader). A goroutine blocked in coder/websocket's Read per
// socket costs a netpoll wake-up, a goroutine switch and a second read
// that returns EAGAIN for every message; this costs one read.
//
// The sockets stay registered with Go's own poller too (net.Conn made
// them), which coder/websocket still uses to write. Nothing else reads
// them while they are registered here.
type epollReader struct {
	fd    int
	file  *os.File // fd, registered with Go's poller
	mu    sync.Mutex
	socks map[int32]*epollSock // by the id registered with epoll
	next  int32
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
	c   *websocket.Conn
	s   sub
	out *reporter
}

// coalesce is how long the loop lets messages gather after a small batch
// of ready sockets: a fan-out then costs one wake-up for many sockets,
// not one each. Arrival times are the kernel's (kernelArrival), so the
// pause does not delay them; with WSLOAD_ARRIVAL=read they are taken when
// the socket is read, and may be late by up to this much.
const coalesce = time.Millisecond

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
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	e := &epollReader{fd: fd, file: os.NewFile(uintptr(fd), "epoll"), socks: map[int32]*epollSock{}}
	rc, err := e.file.SyscallConn()
	if err != nil {
		e.file.Close()
		return nil, err
	}
	go e.loop(rc)
	return e, nil
}

// close ends the loop and closes the epoll instance, once no socket
// uses it any more.
func (e *epollReader) close() { _ = e.file.Close() }

// loop reads the ready sockets until close. The epoll instance is itself
// registered with Go's poller (an epoll fd is readable while it has
// ready events), so the loop parks like any goroutine waiting to read
// instead of blocking its thread in epoll_wait: a burst of messages on
// many sockets costs one wake-up, and epoll_wait never waits.
func (e *epollReader) loop(rc syscall.RawConn) {
	events := make([]syscall.EpollEvent, 512)
	ready := make([]*epollSock, 0, 512)
	rx := newReceiver(64 << 10)
	for {
		n := 0
		err := rc.Read(func(fd uintptr) bool {
			var err error
			n, err = syscall.EpollWait(int(fd), events, 0)
			return n > 0 || err != nil && err != syscall.EINTR
		})
		if err != nil {
			return // closed
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
func (e *epollReader) follow(ctx context.Context, c *websocket.Conn, rc *recConn, s sub, out *reporter, pending []byte) {
	fd := -1
	sc, err := rc.Conn.(syscall.Conn).SyscallConn()
	if err == nil {
		err = sc.Control(func(f uintptr) { fd = int(f) })
	}
	if err != nil {
		out.send(clientEvent{Ev: "closed", Sock: s.Sock, T: time.Now().UnixNano(), Reason: "no fd: " + err.Error()})
		return
	}
	if kernelArrival {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1); err != nil {
			out.send(clientEvent{Ev: "closed", Sock: s.Sock, T: time.Now().UnixNano(), Reason: "SO_TIMESTAMPNS: " + err.Error()})
			return
		}
	}
	epollSockets.Add(1)
	k := &epollSock{e: e, fd: fd, done: make(chan struct{}), ctx: ctx, c: c, s: s, out: out}
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
		// Close writes the close frame, then reads until the server's
		// close frame (at most 5 s): nothing else reads the socket now.
		// A message that was half read here is cut; coder then fails the
		// handshake, but the server has the 1000 all the same.
		_ = c.Close(websocket.StatusNormalClosure, "")
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

// pong answers a graphql-transport-ws ping. coder's Write only writes (it
// takes the write locks, never the read side), but it may wait for the
// socket: not in the loop.
func (k *epollSock) pong() {
	go func() {
		wctx, cancel := context.WithTimeout(k.ctx, 5*time.Second)
		defer cancel()
		_ = k.c.Write(wctx, websocket.MessageText, []byte(`{"type":"pong"}`))
	}()
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
