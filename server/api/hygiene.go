package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cspAPI is the Content-Security-Policy of everything but the playground:
// JSON answers need nothing, and must not be framed.
const cspAPI = "default-src 'none'; frame-ancestors 'none'"

// cspPlayground lets the GraphiQL page (development only: it is served
// only while introspection is on) load its scripts, styles and fonts from
// this origin alone (internal/playground embeds them; no inline script,
// no content network) and talk to this origin alone.
const cspPlayground = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// hstsValue keeps browsers on HTTPS for a year once they have seen it.
const hstsValue = "max-age=31536000; includeSubDomains"

// withSecurityHeaders sets the headers browsers act on, HSTS too when the
// site is served over HTTPS (hsts: PUBLIC_URL is https).
func withSecurityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if hsts {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if r.Method == http.MethodGet && r.URL.Path == "/" {
			h.Set("Content-Security-Policy", cspPlayground)
		} else {
			h.Set("Content-Security-Policy", cspAPI)
		}
		next.ServeHTTP(w, r)
	})
}

// corsMaxAge lets browsers cache a preflight answer for ten minutes.
var corsMaxAge = strconv.Itoa(int((10 * time.Minute).Seconds()))

// originAllowed is the one rule for browser pages on other origins, for
// HTTP (CORS) and WebSocket upgrades alike: the origin is in the
// configured list (CORS_ORIGINS), or the list holds "*".
func originAllowed(origins []string, origin string) bool {
	return origin != "" && (slices.Contains(origins, "*") || slices.Contains(origins, origin))
}

// withCORS allows the configured browser origins to call the API. An
// origin not in the list gets no CORS headers, so the browser blocks it;
// "*" allows any origin (without credentials, as browsers require).
// Preflights are answered here and never reach GraphQL.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := originAllowed(origins, origin)
		if allowed {
			if anyOrigin {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			h.Set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", allowedHeaders(r.Header.Get("Access-Control-Request-Headers")))
				h.Set("Access-Control-Max-Age", corsMaxAge)
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHeaders keeps the request headers a GraphQL client needs.
func allowedHeaders(requested string) string {
	ok := []string{}
	for _, h := range strings.Split(requested, ",") {
		h = strings.TrimSpace(h)
		switch strings.ToLower(h) {
		case "content-type", "authorization", "x-request-id", "apollographql-client-name", "apollographql-client-version", "x-cart-id":
			ok = append(ok, h)
		}
	}
	if len(ok) == 0 {
		return "Content-Type, Authorization"
	}
	return strings.Join(ok, ", ")
}
