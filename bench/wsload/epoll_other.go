//go:build !linux

package main

import (
	"context"
	"errors"

	"github.com/coder/websocket"
)

// epollReader exists on Linux only: elsewhere every socket is read by
// its own goroutine through coder/websocket (followCoder).
type epollReader struct{}

func newEpollReader() (*epollReader, error) {
	return nil, errors.New("no epoll on this platform")
}

func (*epollReader) close() {}

// detached exists on Linux only.
type detached struct{}

func detach(*recConn) (*detached, error) { return nil, errors.New("no epoll on this platform") }

func (*detached) writeText([]byte) error { return errors.New("no epoll on this platform") }

func (*epollReader) follow(ctx context.Context, c *websocket.Conn, _ *detached, s sub, out *reporter, _ []byte) {
	followCoder(ctx, c, s, out)
}
