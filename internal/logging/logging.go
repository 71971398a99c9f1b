// Package logging adds a request's identity to every log line logged with
// its context: the request ID, the GraphQL operation's name and the
// signed-in customer's ID. The HTTP layer puts a mutable Request in the
// context when a request arrives; layers further in fill it (the GraphQL
// handler names the operation, the token check names the customer), so
// the access log line, written last and outermost, sees what they found.
//
// Only identifiers go into a line: never variables, tokens or passwords.
package logging

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

// The attribute keys every request's lines carry.
const (
	KeyRequestID  = "request_id"
	KeyOperation  = "operation"
	KeyCustomerID = "customer_id"
	// KeyClientID is an API client's client_id (OAuth2).
	KeyClientID = "client_id"
)

// maxOperation bounds an operation name in a log line: a client chooses
// it, and a megabyte of name would be a megabyte per line.
const maxOperation = 100

// Request is what is known about one request. It is safe for concurrent
// use: a WebSocket request runs its operations on goroutines of their own.
type Request struct {
	id string

	mu         sync.Mutex
	operation  string
	customerID int
	clientID   string
}

type requestKey struct{}

type operationKey struct{}

// WithRequest returns ctx carrying a new Request with the given ID.
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, &Request{id: id})
}

func from(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// RequestID returns the request's ID, or "" outside a request.
func RequestID(ctx context.Context) string {
	if r := from(ctx); r != nil {
		return r.id
	}
	return ""
}

// SetOperation records the request's GraphQL operation name (the last one,
// on a WebSocket that runs several).
func SetOperation(ctx context.Context, name string) {
	if r := from(ctx); r != nil {
		r.mu.Lock()
		r.operation = clean(name)
		r.mu.Unlock()
	}
}

// WithOperation returns ctx naming one operation, for the lines logged
// while it runs, and records the name on the request too.
func WithOperation(ctx context.Context, name string) context.Context {
	name = clean(name)
	SetOperation(ctx, name)
	return context.WithValue(ctx, operationKey{}, name)
}

// Operation returns the operation ctx runs, or "".
func Operation(ctx context.Context) string {
	if name, ok := ctx.Value(operationKey{}).(string); ok {
		return name
	}
	if r := from(ctx); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.operation
	}
	return ""
}

// SetCustomer records the signed-in customer the request acts for, for
// the lines logged outside the context that carries the viewer (the
// access log).
func SetCustomer(ctx context.Context, id int) {
	if r := from(ctx); r != nil {
		r.mu.Lock()
		r.customerID = id
		r.mu.Unlock()
	}
}

// SetClient records the API client the request acts for (its
// client_id), as SetCustomer does a customer; "" records nothing.
func SetClient(ctx context.Context, clientID string) {
	if r := from(ctx); r != nil && clientID != "" {
		r.mu.Lock()
		r.clientID = clientID
		r.mu.Unlock()
	}
}

// ClientID returns the API client ctx acts for: the viewer's when ctx
// carries one, or the one recorded on the request.
func ClientID(ctx context.Context) (string, bool) {
	if v, ok := viewer.From(ctx); ok {
		return v.Client, v.Client != ""
	}
	if r := from(ctx); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.clientID, r.clientID != ""
	}
	return "", false
}

// CustomerID returns the signed-in customer ctx acts for: the viewer when
// ctx carries one, or the one recorded on the request. An API client is
// no customer.
func CustomerID(ctx context.Context) (int, bool) {
	if v, ok := viewer.From(ctx); ok {
		return v.CustomerID, v.Client == ""
	}
	if r := from(ctx); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.customerID, r.customerID != 0
	}
	return 0, false
}

func clean(name string) string {
	if len(name) > maxOperation {
		name = name[:maxOperation]
	}
	return strings.ToValidUTF8(name, "")
}

// Handler wraps a slog.Handler and adds request_id, operation and
// customer_id from the context to every record logged with one (the
// *Context methods and LogAttrs), when the context knows them. A key the
// record, or the logger through With, already has is not added twice.
type Handler struct {
	next slog.Handler
	has  map[string]bool // keys With already added at the top level
	// grouped: With attributes after WithGroup land inside the group, and
	// so do the added keys; they no longer collide with top-level ones.
	grouped bool
}

// NewHandler returns a Handler over next.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	has := func(key string) bool {
		if h.has[key] {
			return true
		}
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = a.Key == key
			return !found
		})
		return found
	}
	var add []slog.Attr
	if id := RequestID(ctx); id != "" && !has(KeyRequestID) {
		add = append(add, slog.String(KeyRequestID, id))
	}
	if op := Operation(ctx); op != "" && !has(KeyOperation) {
		add = append(add, slog.String(KeyOperation, op))
	}
	if id, ok := CustomerID(ctx); ok && !has(KeyCustomerID) {
		add = append(add, slog.Int(KeyCustomerID, id))
	}
	if id, ok := ClientID(ctx); ok && !has(KeyClientID) {
		add = append(add, slog.String(KeyClientID, id))
	}
	if len(add) > 0 {
		r = r.Clone()
		r.AddAttrs(add...)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := &Handler{next: h.next.WithAttrs(attrs), has: h.has, grouped: h.grouped}
	if !h.grouped {
		out.has = make(map[string]bool, len(h.has)+len(attrs))
		for k := range h.has {
			out.has[k] = true
		}
		for _, a := range attrs {
			out.has[a.Key] = true
		}
	}
	return out
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{next: h.next.WithGroup(name), has: h.has, grouped: true}
}
