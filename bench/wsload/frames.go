package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// epollSockets counts the sockets handed to the epoll reader, so the
// tests can tell which path read them.
var epollSockets atomic.Int64

// Where the platform allows (epoll_linux.go), a client process reads its
// sockets' messages itself once they are subscribed, not through
// coder/websocket: it parses the server's frames with frameReader.

// WebSocket opcodes (RFC 6455, 5.2).
const (
	opContinuation = 0
	opText         = 1
	opBinary       = 2
	opClose        = 8
	opPing         = 9
	opPong         = 10
)

// maxMessage bounds one message, as SetReadLimit does on the coder path.
const maxMessage = 4 << 20

// frameReader parses the frames a server sends (unmasked, RFC 6455 5.2)
// from bytes as they are read: a frame may be split across reads and a
// read may hold several frames.
type frameReader struct {
	buf   []byte // the start of a frame not yet whole
	msg   []byte // a fragmented message's payload so far
	msgOp byte   // and its opcode; 0 when none is under way
}

// feed parses p after the bytes kept from earlier reads and calls fn
// once for each whole message (text or binary, fragments joined) and
// each control frame, with its opcode. The payload is valid only during
// the call. fn returns false to stop: feed then returns at once, and the
// reader must not be fed again. An error means the stream is not one a
// server may send.
func (f *frameReader) feed(p []byte, fn func(op byte, payload []byte) bool) error {
	b := p
	if len(f.buf) > 0 {
		f.buf = append(f.buf, p...)
		b = f.buf
	}
	for {
		n, fin, op, payload, err := parseFrame(b)
		if err != nil {
			return err
		}
		if n == 0 { // not whole yet: keep the rest for the next read
			f.buf = append(f.buf[:0], b...) // may overlap f.buf: append moves
			return nil
		}
		b = b[n:]
		if !f.frame(fin, op, payload, fn) {
			return nil
		}
		if f.msgOp == 0xff {
			return errors.New("bad fragmentation")
		}
		if len(f.msg) > maxMessage {
			return fmt.Errorf("message over %d bytes", maxMessage)
		}
	}
}

// frame hands one frame on: see feed. A fragmentation error is reported
// by setting msgOp to 0xff.
func (f *frameReader) frame(fin bool, op byte, payload []byte, fn func(byte, []byte) bool) bool {
	switch {
	case op >= opClose: // control frames are never fragmented
		return fn(op, payload)
	case op == opContinuation:
		if f.msgOp == 0 {
			f.msgOp = 0xff
			return true
		}
		f.msg = append(f.msg, payload...)
		if !fin {
			return true
		}
		op, payload = f.msgOp, f.msg
		f.msgOp, f.msg = 0, f.msg[:0]
		return fn(op, payload)
	case f.msgOp != 0: // a new message before the last one ended
		f.msgOp = 0xff
		return true
	case !fin:
		f.msgOp = op
		f.msg = append(f.msg[:0], payload...)
		return true
	default: // the usual case: one frame, one message, not copied
		return fn(op, payload)
	}
}

// parseFrame reads one frame from the start of b: n is its length in
// bytes, or 0 when b does not hold all of it yet.
func parseFrame(b []byte) (n int, fin bool, op byte, payload []byte, err error) {
	if len(b) < 2 {
		return 0, false, 0, nil, nil
	}
	fin, op = b[0]&0x80 != 0, b[0]&0x0f
	if b[0]&0x70 != 0 {
		return 0, false, 0, nil, errors.New("reserved bits set (no extension was negotiated)")
	}
	if b[1]&0x80 != 0 {
		return 0, false, 0, nil, errors.New("masked frame from the server")
	}
	if op > opBinary && op < opClose || op > opPong {
		return 0, false, 0, nil, fmt.Errorf("unknown opcode %d", op)
	}
	h, size := 2, uint64(b[1]&0x7f)
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, false, 0, nil, nil
		}
		h, size = 4, uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		if len(b) < 10 {
			return 0, false, 0, nil, nil
		}
		h, size = 10, binary.BigEndian.Uint64(b[2:])
	}
	if op >= opClose && (size > 125 || !fin) {
		return 0, false, 0, nil, errors.New("bad control frame")
	}
	if size > maxMessage {
		return 0, false, 0, nil, fmt.Errorf("frame over %d bytes", maxMessage)
	}
	if uint64(len(b)-h) < size {
		return 0, false, 0, nil, nil
	}
	n = h + int(size)
	return n, fin, op, b[h:n], nil
}

// closeReason names a close frame's payload as closeFailure names a
// coder CloseError: by its code, 1005 when it has none.
func closeReason(payload []byte) string {
	code := 1005
	if len(payload) >= 2 {
		code = int(binary.BigEndian.Uint16(payload))
	}
	return fmt.Sprintf("closed %d", code)
}

// afterMessages returns what the server sent after its first n messages,
// given every byte read from the socket since it was dialed: the HTTP
// 101 response, then frames. Once coder/websocket has read n messages,
// these are the bytes it (or net/http) read ahead and still buffers;
// nothing else of the stream is lost, as every read of the socket went
// through recConn.
func afterMessages(rec []byte, n int) ([]byte, error) {
	i := bytes.Index(rec, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, errors.New("no HTTP response in the bytes read")
	}
	rest := rec[i+4:]
	var f frameReader
	var err error
	for n > 0 && err == nil {
		var used int
		used, err = f.next(rest, &n)
		rest = rest[used:]
		if used == 0 && n > 0 && err == nil {
			return nil, errors.New("fewer messages read than coder returned")
		}
	}
	return rest, err
}

// next parses one frame from b and counts down *n when it ends a
// message; it returns the frame's length (0 when b does not hold it).
func (f *frameReader) next(b []byte, n *int) (int, error) {
	used, fin, op, payload, err := parseFrame(b)
	if err != nil || used == 0 {
		return 0, err
	}
	f.frame(fin, op, payload, func(op byte, _ []byte) bool {
		if op < opClose {
			*n--
		}
		return true
	})
	if f.msgOp == 0xff {
		return 0, errors.New("bad fragmentation")
	}
	return used, nil
}

// recConn records every byte read through it until stop: the dialed
// connection of one socket, handed to net/http and coder/websocket.
type recConn struct {
	net.Conn
	mu  sync.Mutex
	rec []byte
	on  bool
}

func (r *recConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	if r.on {
		r.rec = append(r.rec, p[:n]...)
	}
	r.mu.Unlock()
	return n, err
}

// stop ends the recording and returns it.
func (r *recConn) stop() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	rec := r.rec
	r.rec = nil
	return rec
}
