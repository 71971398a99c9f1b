package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/savannah-commerce/savannah/internal/logging"
	"github.com/savannah-commerce/savannah/internal/telemetry"
)

// RequestID returns the request's ID, or "" outside a request.
func RequestID(ctx context.Context) string { return logging.RequestID(ctx) }

// withRequestID takes the caller's X-Request-ID when it is sane, or makes
// one, and echoes it in the response. The context carries it in a
// logging.Request, which inner layers fill with the operation and the
// customer.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(logging.WithRequest(r.Context(), id)))
	})
}

func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (WebSocket
// upgrades, flushing).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// clients counts API clients' requests by client_id (few: staff
	// register them).
	clients *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "savannah_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		clients: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_http_client_requests_total",
			Help: "HTTP requests of API clients by client_id and status code.",
		}, []string{"client", "code"}),
	}
	reg.MustRegister(m.requests, m.duration, m.clients)
	return m
}

// withAccessLog logs one line per request, records its metrics and, with
// a tracer, its span. The route label is the mux pattern, never the raw
// path, so label values stay few.
func withAccessLog(log *slog.Logger, m *httpMetrics, tp trace.TracerProvider, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		var span trace.Span
		if tp != nil {
			var ctx context.Context
			ctx, span = telemetry.StartRequest(tp, r)
			r = r.WithContext(ctx) // the mux sets the pattern on this copy
		}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if span != nil {
			telemetry.EndRequest(span, route, rec.status)
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
		m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics" {
			level = slog.LevelDebug
		}
		ctx := r.Context()
		attrs := []slog.Attr{
			slog.String(logging.KeyRequestID, RequestID(ctx)),
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Int("bytes", rec.bytes),
			slog.Duration("duration", elapsed),
		}
		if op := logging.Operation(ctx); op != "" {
			attrs = append(attrs, slog.String(logging.KeyOperation, op))
		}
		if id, ok := logging.CustomerID(ctx); ok {
			attrs = append(attrs, slog.Int(logging.KeyCustomerID, id))
		}
		if id, ok := logging.ClientID(ctx); ok {
			attrs = append(attrs, slog.String(logging.KeyClientID, id))
			m.clients.WithLabelValues(id, strconv.Itoa(rec.status)).Inc()
		}
		log.LogAttrs(ctx, level, "http request", attrs...)
	})
}

// withRecover answers 500 instead of dropping the connection when a
// handler panics outside GraphQL (which recovers on its own).
func withRecover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "http handler panicked",
					slog.String("request_id", RequestID(r.Context())),
					slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				http.Error(w, "internal server error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
