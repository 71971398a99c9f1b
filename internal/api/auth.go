package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/savannah-commerce/savannah/internal/auth"
)

// TokenVerifier checks an access token and returns its viewer.
type TokenVerifier interface {
	Verify(raw string) (auth.Viewer, error)
}

// withViewer reads `Authorization: Bearer <jwt>` and puts the viewer in
// the context. No header means an anonymous request. A header that does
// not verify (forged, expired, wrong audience, unknown key) is refused
// with 401 rather than served anonymously: a client whose token expired
// must learn it and refresh, not silently see a signed-out store.
//
// It also records the client's address for sign-in throttling; see
// clientAddr.
func withViewer(tokens TokenVerifier, trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithClientAddr(r.Context(), clientAddr(r, trusted))
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, raw, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				unauthorized(w, "the Authorization header must be: Bearer <access token>")
				return
			}
			v, err := tokens.Verify(strings.TrimSpace(raw))
			if err != nil {
				unauthorized(w, "the access token is invalid or expired")
				return
			}
			ctx = auth.WithViewer(ctx, v)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientAddr is the TCP peer, unless the peer is a trusted proxy: then the
// nearest X-Forwarded-For hop that is not itself a trusted proxy. Without
// trusted proxies the header is ignored, as anyone can forge it; behind a
// proxy that is not configured, every client shares the proxy's address
// (and its sign-in failure budget).
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if !isTrusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if _, err := netip.ParseAddr(hop); err != nil {
			return host // a malformed chain: trust none of it
		}
		if !isTrusted(hop) {
			return hop
		}
	}
	return host
}

// unauthorized answers in GraphQL's error shape, so clients handle it like
// any other UNAUTHENTICATED error.
func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, map[string]any{
		"errors": []map[string]any{{
			"message":    msg,
			"extensions": map[string]string{"code": "UNAUTHENTICATED"},
		}},
	})
}
