package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/rs/cors"
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

// originAllowed is the one rule for browser pages on other origins, for
// HTTP (CORS) and WebSocket upgrades alike: the origin is in the
// configured list (CORS_ORIGINS), or the list holds "*".
func originAllowed(origins []string, origin string) bool {
	return origin != "" && (slices.Contains(origins, "*") || slices.Contains(origins, origin))
}

// corsHeaders are the request headers a GraphQL client on another origin
// may send; a preflight asking for any other gets no CORS headers.
var corsHeaders = []string{"Content-Type", "Authorization", "X-Request-ID", "Apollographql-Client-Name", "Apollographql-Client-Version", "X-Cart-ID", OrderTokenHeader}

// withCORS allows the configured browser origins to call the API, through
// rs/cors with originAllowed as its rule. An origin not in the list gets
// no CORS headers, so the browser blocks it; "*" allows any origin
// (without credentials, as browsers require). Preflights are answered
// here (204, cached ten minutes) and never reach GraphQL or the upload
// endpoint.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	opts := cors.Options{
		AllowOriginFunc: func(origin string) bool { return originAllowed(origins, origin) },
		// PUT is for the signed image uploads of local storage
		// (PUT /media/upload): the only PUT route.
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodPut},
		AllowedHeaders:   corsHeaders,
		ExposedHeaders:   []string{"X-Request-ID", "Retry-After"},
		AllowCredentials: true,
		MaxAge:           int((10 * time.Minute).Seconds()),
	}
	if slices.Contains(origins, "*") {
		opts.AllowOriginFunc, opts.AllowedOrigins, opts.AllowCredentials = nil, []string{"*"}, false
	}
	return cors.New(opts).Handler(next)
}
