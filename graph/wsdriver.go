package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/savannah-commerce/savannah/internal/events"
)

// wsDriver runs one WebSocket subscription's responses on demand, so that
// an idle subscription holds no goroutine: the transport puts it in the
// operation's context before dispatching, the subscription's stream
// (orderStream, the order feed) attaches to it while its resolver runs,
// and then, for each event, hands its value over (next) on the stream's
// own goroutine, which resolves the selection set, encodes it and writes
// it. Subscribers of one event whose operation and viewer are the same
// (executionKey) share one execution and one encoded payload through
// events.Share; each writes only its own frame.
//
// A stream that does not attach (a resolver that failed, or one that only
// knows channels) is served as before: a goroutine reads its responses.
type wsDriver struct {
	c  *wsConn
	op *wsOp
	// key names the operation and the viewer (executionKey): sockets with
	// equal keys get equal answers. "" shares nothing.
	key   string
	ready chan struct{} // closed once responses and ctx are set

	attached  bool // a stream drives this subscription (set while dispatching)
	ctx       context.Context
	responses graphql.ResponseHandler

	mu      sync.Mutex
	set     bool // setUp done
	ending  bool // the stream ended
	endOnce sync.Once
}

type driverKey struct{}

func newWSDriver(c *wsConn, op *wsOp, key string) *wsDriver {
	return &wsDriver{c: c, op: op, key: key, ready: make(chan struct{})}
}

func withDriver(ctx context.Context, d *wsDriver) context.Context {
	return context.WithValue(ctx, driverKey{}, d)
}

// attachDriver returns the driver of ctx's subscription and marks it
// driven, or nil when the transport offers none (a test executor, an
// HTTP transport): the stream then feeds its channel as usual. A
// resolver calls it only once it will return its stream without error.
func attachDriver(ctx context.Context) *wsDriver {
	d, _ := ctx.Value(driverKey{}).(*wsDriver)
	if d != nil {
		d.attached = true // the transport reads it after DispatchOperation returns
	}
	return d
}

// setUp records the dispatched operation and reports whether a stream
// drives it; if that stream ended already, it ends the subscription now.
func (d *wsDriver) setUp(ctx context.Context, responses graphql.ResponseHandler) bool {
	if !d.attached {
		return false
	}
	d.ctx, d.responses = ctx, responses
	close(d.ready)
	d.mu.Lock()
	d.set = true
	ending := d.ending
	d.mu.Unlock()
	if ending {
		d.finish()
	}
	return true
}

// errNoResponse: the operation gave no response for a value handed to it
// (its context ended meanwhile).
var errNoResponse = errors.New("graph: the subscription gave no response")

// next delivers one event whose value push puts into the subscription's
// channel (of one free place: each successful push is followed by one
// response). push runs only for the subscriber whose execution is shared
// (so what it loads, it loads once for them all); errEnded from it ends
// the subscription quietly. ctx is the stream's. It reports whether the
// subscription still runs.
func (d *wsDriver) next(ctx context.Context, e events.Event, push func() error) bool {
	select {
	case <-d.ready:
	case <-ctx.Done():
		return false
	}
	// Each event is delivered to a viewer still allowed to see it.
	if err := d.allowed(e); err != nil {
		if d.ctx.Err() == nil {
			d.c.end(closeWith(closeForbidden, "Forbidden"))
		}
		return false
	}
	var payload []byte
	var err error
	if d.key == "" {
		payload, err = d.execute(push)
	} else {
		payload, err = events.Share(d.ctx, e, d.key, func(context.Context) ([]byte, error) { return d.execute(push) })
		if err != nil && !errors.Is(err, errEnded) && d.ctx.Err() == nil {
			// The execution shared with us failed (its subscriber left
			// while it ran): run our own.
			payload, err = d.execute(push)
		}
	}
	if err != nil {
		if d.ctx.Err() == nil && !errors.Is(err, errEnded) {
			d.c.t.log.ErrorContext(d.ctx, "websocket response not encoded", slog.Any("err", err))
		}
		return false
	}
	return d.c.sendFrame(d.op, nextFrame(d.op.id, payload))
}

// allowed checks that the subscription's viewer may still receive
// events (socketAuth.check), once per event for all the subscribers that
// hold the same token.
func (d *wsDriver) allowed(e events.Event) error {
	auth := d.c.t.auth
	key := auth.checkKey(d.ctx)
	if key == "" {
		return nil
	}
	_, err := events.Share(d.ctx, e, key, func(ctx context.Context) (struct{}, error) { return struct{}{}, auth.check(ctx) })
	return err
}

// errEnded: the stream has nothing more to send (its order is gone or no
// longer readable); the subscription ends without an error.
var errEnded = errors.New("graph: the subscription's stream ended")

// execute hands one value to gqlgen and encodes the response it makes.
func (d *wsDriver) execute(push func() error) (payload []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			d.c.t.log.ErrorContext(d.ctx, "websocket subscription panicked", slog.Any("panic", r))
			err = fmt.Errorf("graph: subscription panicked: %v", r)
		}
	}()
	if err := push(); err != nil {
		return nil, err
	}
	d.c.t.cfg.Metrics.executed()
	resp := d.responses(d.ctx)
	if resp == nil {
		return nil, errNoResponse
	}
	return encodePayload(resp)
}

// end: the stream has ended (the order is gone or no longer readable, or
// the operation was cancelled). Unless the client or the socket ended it,
// the client gets complete. It never blocks, so a stream may call it
// under its own lock.
func (d *wsDriver) end() {
	d.mu.Lock()
	d.ending = true
	set := d.set
	d.mu.Unlock()
	if set {
		go d.finish()
	}
}

func (d *wsDriver) finish() {
	d.endOnce.Do(func() {
		if d.ctx.Err() == nil {
			d.c.send(d.op, wsMessage{ID: d.op.id, Type: msgComplete})
		}
		d.c.finish(d.op)
		d.c.t.cfg.Metrics.subscriptionEnded()
	})
}

// executionKey names what decides a subscription's answers: the query
// (or persisted-query extension), operation name and variables, and the
// viewer, all of it (events.ViewerScope: not only what it may see of an
// order, as nested fields have rules of their own). Hashed, so a socket
// keeps 64 bytes of it. "" (variables that do not encode) shares nothing.
func executionKey(ctx context.Context, params *graphql.RawParams) string {
	vars, err := json.Marshal(params.Variables) // map keys sorted
	if err != nil {
		return ""
	}
	ext, err := json.Marshal(params.Extensions)
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(events.ViewerScope(ctx)), []byte(params.OperationName), []byte(params.Query), vars, ext} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return "exec|" + hex.EncodeToString(h.Sum(nil))
}
