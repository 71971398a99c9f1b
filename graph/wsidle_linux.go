package graph

import (
	"syscall"
	"unsafe"
)

// peekReady is a syscall.RawConn read function that reads nothing: it
// reports whether the socket has a byte to read (or has ended, or
// failed: the read that follows finds out which) by peeking without
// blocking; while it reports false, the network poller parks the
// goroutine until the socket becomes readable and asks again. A raw
// system call, so that the goroutine's stack stays at its smallest.
func peekReady(fd uintptr) bool {
	var b byte
	_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b)), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return errno != syscall.EAGAIN
}
