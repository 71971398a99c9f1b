//go:build linux

package main

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The receiver reads the bytes and the kernel's receive time, which is
// when the peer's write landed, not when the read happened.
func TestReceiverTakesTheKernelsArrivalTime(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	server := <-accepted
	defer server.Close()

	raw, err := client.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	rx := newReceiver(1024)
	var fd int
	require.NoError(t, raw.Control(func(f uintptr) { fd = int(f) }))
	require.NoError(t, syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1))

	// The kernel turns receive timestamps on a moment after the first
	// socket asks (a deferred switch): try until one comes.
	var b []byte
	var kt int64
	var sent, read time.Time
	for try := 0; try < 100 && kt == 0; try++ {
		sent = time.Now()
		_, err = server.Write([]byte("hello"))
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond) // read well after the arrival
		require.NoError(t, raw.Read(func(f uintptr) bool {
			b, kt, err = rx.recv(int(f))
			return err != syscall.EAGAIN
		}))
		read = time.Now()
		require.NoError(t, err)
		require.Equal(t, "hello", string(b))
	}
	require.GreaterOrEqual(t, kt, sent.UnixNano())
	require.Less(t, kt, read.UnixNano()-int64(40*time.Millisecond), "the kernel's time, not the read's")

	// Without the option there is no time to report.
	require.NoError(t, syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 0))
	_, err = server.Write([]byte("again"))
	require.NoError(t, err)
	require.NoError(t, raw.Read(func(f uintptr) bool {
		b, kt, err = rx.recv(int(f))
		return err != syscall.EAGAIN
	}))
	require.NoError(t, err)
	require.Equal(t, "again", string(b))
	require.Zero(t, kt)
}
