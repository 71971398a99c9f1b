package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// sockets tracks the WebSocket connections (GraphQL subscriptions) being
// served. http.Server.Shutdown neither waits for nor closes hijacked
// connections, so graceful shutdown closes them through here: each
// socket's context ends, the GraphQL transport closes it with 1001
// (going away: clients reconnect, to another replica), and the handler
// returns.
type sockets struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newSockets() *sockets {
	ctx, cancel := context.WithCancel(context.Background())
	return &sockets{ctx: ctx, cancel: cancel}
}

// track serves WebSocket upgrades with a context that CloseSubscriptions
// ends; once closing, new upgrades are refused with 503.
func (s *sockets) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(s.ctx, cancel)
		defer stop()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// close ends every socket and waits, until ctx ends, for their handlers
// to return.
func (s *sockets) close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CloseSubscriptions ends every GraphQL subscription with a WebSocket
// close frame and waits, until ctx ends, for their handlers to finish;
// new subscriptions are refused from now on. Graceful shutdown calls it
// beside http.Server.Shutdown, which does not see hijacked connections.
func (s *Server) CloseSubscriptions(ctx context.Context) error { return s.sockets.close(ctx) }

// NewProbes builds the HTTP surface of a process that serves no API (the
// worker role): liveness, readiness over checks, and metrics, behind the
// same request IDs and access log.
func NewProbes(log *slog.Logger, checks map[string]Checker, reg *prometheus.Registry) *Server {
	s := &Server{cfg: Config{Checks: checks, Registry: reg}, log: log, sockets: newSockets()}
	mux := http.NewServeMux()
	s.probeRoutes(mux)
	m := newHTTPMetrics(reg)
	s.handler = withRequestID(withAccessLog(log, m, nil, withRecover(log, mux)))
	return s
}

// probeRoutes adds /healthz, /readyz and /metrics.
func (s *Server) probeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{Registry: s.cfg.Registry}))
}
