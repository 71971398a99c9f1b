package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/savannah-commerce/savannah/graph"
)

// sockets tracks the WebSocket connections (GraphQL subscriptions) being
// served. http.Server.Shutdown neither waits for nor closes hijacked
// connections, so graceful shutdown closes them through here: each
// socket's lease (graph.SocketLease) ends, the GraphQL transport closes
// it with 1001 (going away: clients reconnect, to another replica) and
// releases the lease.
//
// It also caps them (graph.WebsocketConfig): MaxSockets on this process
// (beyond: 503) and MaxSocketsPerAddr from one client address (beyond:
// 429), both with Retry-After; and it tells readiness when the process
// nears its cap.
type sockets struct {
	ctx    context.Context
	cancel context.CancelFunc
	cfg    graph.WebsocketConfig

	mu      sync.Mutex
	closed  bool
	open    int
	perAddr map[netip.Addr]int
	wg      sync.WaitGroup
}

func newSockets(cfg graph.WebsocketConfig) *sockets {
	ctx, cancel := context.WithCancel(context.Background())
	return &sockets{ctx: ctx, cancel: cancel, cfg: cfg.WithDefaults(), perAddr: map[netip.Addr]int{}}
}

// socketRetryAfter is the Retry-After of a refused upgrade, in seconds.
const socketRetryAfter = "10"

// track serves WebSocket upgrades with a context that CloseSubscriptions
// ends; once closing, or over a cap, new upgrades are refused.
func (s *sockets) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		addr := ClientAddr(r.Context())
		s.mu.Lock()
		refused, code, msg := "", 0, ""
		switch {
		case s.closed:
			refused, code, msg = graph.RefusedShutdown, http.StatusServiceUnavailable, "shutting down"
		case s.open >= s.cfg.MaxSockets:
			refused, code, msg = graph.RefusedReplicaCap, http.StatusServiceUnavailable, "this server holds as many WebSockets as it may; try again later"
		case s.perAddr[addr] >= s.cfg.MaxSocketsPerAddr:
			refused, code, msg = graph.RefusedAddrCap, http.StatusTooManyRequests, "too many WebSockets from this address; close some or try again later"
		}
		if refused != "" {
			s.mu.Unlock()
			s.cfg.Metrics.RefusedUpgrade(refused)
			w.Header().Set("Retry-After", socketRetryAfter)
			http.Error(w, msg, code)
			return
		}
		s.open++
		s.perAddr[addr]++
		s.wg.Add(1)
		s.mu.Unlock()
		// The GraphQL transport takes the lease and releases it when the
		// socket closes, after this handler has returned.
		ctx, lease := graph.WithSocketLease(r.Context(), s.ctx, func() {
			s.mu.Lock()
			s.open--
			if s.perAddr[addr]--; s.perAddr[addr] <= 0 {
				delete(s.perAddr, addr)
			}
			s.mu.Unlock()
			s.wg.Done()
		})
		next.ServeHTTP(w, r.WithContext(ctx))
		lease.ReleaseUnlessTaken()
	})
}

// nearCap reports, once MaxSockets×ReadyFraction sockets are open, how
// many are: readiness then fails, so that load balancers send new
// connections elsewhere.
func (s *sockets) nearCap() (open int, near bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open, float64(s.open) >= float64(s.cfg.MaxSockets)*s.cfg.ReadyFraction
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
	s := &Server{cfg: Config{Checks: checks, Registry: reg}, log: log, sockets: newSockets(graph.WebsocketConfig{})}
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
