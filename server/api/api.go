// Package api assembles the HTTP surface of the store: GraphQL, the
// playground, health, readiness and metrics, behind request IDs, access
// logs, panic recovery and request metrics.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/oauth"
	"github.com/savannah-commerce/savannah/internal/playground"
)

// MaxBodyBytes bounds a GraphQL request body.
const MaxBodyBytes = 1 << 20

// oauthBodyBytes bounds a request body of the OAuth2 endpoints (a form
// with a token and credentials).
const oauthBodyBytes = 16 << 10

// Checker is one dependency that readiness depends on, such as the
// database.
type Checker interface {
	Ping(ctx context.Context) error
}

// Config is how the HTTP surface serves; the store's services come
// apart, as app.Services.
type Config struct {
	Introspection bool
	// Social, when set, serves sign-in with OpenID Connect providers at
	// /auth/{provider}; SocialRedirectURL is the front-end page that
	// receives the tokens in its fragment (empty: answer JSON).
	Social            *auth.Social
	SocialRedirectURL string
	// SecureCookies marks cookies Secure even on plain HTTP (behind a TLS
	// proxy).
	SecureCookies bool
	// Checks are run by /readyz; each must answer within a second.
	Checks map[string]Checker
	// Registry collects the server's metrics; /metrics serves it.
	Registry *prometheus.Registry
	// Protection: cost limits, rate limits, persisted queries, CORS.
	Protection Protection
	// MpesaSecretMatches checks the secret path segment of
	// /webhooks/mpesa/{secret} (mpesa.Config.CallbackSecretMatches); nil
	// when M-Pesa is not configured, and the route answers 404.
	MpesaSecretMatches func(segment string) bool
	// Tracer, when set (telemetry.Setup), traces every request and the
	// GraphQL resolvers it runs.
	Tracer trace.TracerProvider
	// Websocket paces and bounds GraphQL WebSockets (zero fields:
	// graph.DefaultWebsocketConfig); the origins they may come from are
	// Protection.CORSOrigins.
	Websocket graph.WebsocketConfig
}

// Server is the HTTP handler plus the readiness switch that graceful
// shutdown turns off first.
type Server struct {
	handler  http.Handler
	draining atomic.Bool
	cfg      Config
	svc      *app.Services
	log      *slog.Logger
	sockets  *sockets
}

// New builds the handler over the store's services.
func New(svc *app.Services, d Config) *Server {
	if d.Websocket.Metrics == nil {
		d.Websocket.Metrics = graph.NewSocketMetrics(d.Registry)
	}
	s := &Server{cfg: d, svc: svc, log: svc.Log, sockets: newSockets(d.Websocket)}
	gql := graph.NewHandler(svc, d.Protection.graphConfig(graph.HandlerConfig{
		RequestID:     RequestID,
		Introspection: d.Introspection,
		Metrics:       d.Registry,
		Tracer:        d.Tracer,
		Websocket:     d.Websocket,
	}))
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.sockets.track(withViewer(svc.Auth, withOrderGrant(svc.Log, svc.Checkout, withBodyLimit(MaxBodyBytes, gql)))))
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, svc.Auth.Tokens().JWKS())
	})
	if svc.OAuth != nil {
		oh := svc.OAuth.Handler()
		mux.Handle("/oauth/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, oauthBodyBytes)
			oh.ServeHTTP(w, r)
		}))
		mux.HandleFunc("GET "+oauth.MetadataPath, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, svc.OAuth.Metadata())
		})
	}
	if d.Introspection {
		mux.Handle("GET /{$}", playground.Page("/graphql"))
		mux.Handle("GET "+playground.AssetPrefix, playground.Assets())
	}
	if d.Social != nil {
		s.socialRoutes(mux)
	}
	mux.HandleFunc("POST /webhooks/mpesa/{secret}", s.mpesaWebhook)
	if svc.Media != nil {
		s.mediaRoutes(mux)
	}
	s.probeRoutes(mux)
	m := newHTTPMetrics(d.Registry)
	compressed, err := withCompression(d.Protection.inner(mux))
	if err != nil {
		panic(err) // fixed options: a programming mistake
	}
	s.handler = withRequestID(d.Protection.outer(withAccessLog(svc.Log, m, d.Tracer, withRecover(svc.Log, compressed))))
	return s
}

// ServeHTTP serves a request. While draining, every response asks the
// client to close its connection, so keep-alive clients move to other
// replicas on their next request instead of racing the listener's close.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
	}
	s.handler.ServeHTTP(w, r)
}

// Drain makes /readyz answer 503 so load balancers stop sending traffic
// before the server shuts down.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	status, code := map[string]string{}, http.StatusOK
	if open, near := s.sockets.nearCap(); near {
		// Open sockets keep working; new connections should go elsewhere.
		status["websockets"], code = fmt.Sprintf("near capacity: %d of %d open", open, s.sockets.cfg.MaxSockets), http.StatusServiceUnavailable
	}
	for name, c := range s.cfg.Checks {
		if err := c.Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness check failed", slog.String("check", name), slog.Any("err", err))
			status[name], code = "unavailable", http.StatusServiceUnavailable
			continue
		}
		status[name] = "ok"
	}
	writeJSON(w, code, status)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
