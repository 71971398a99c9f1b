package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/logging"
)

// TokenVerifier checks an access token and returns its viewer:
// auth.Service.VerifyAccess, which also refuses tokens issued before the
// account's rights changed.
type TokenVerifier interface {
	VerifyAccess(ctx context.Context, raw string) (auth.Viewer, error)
}

// withViewer reads `Authorization: Bearer <jwt>` and puts the viewer in
// the context. No header means an anonymous request. A header that does
// not verify (forged, expired, wrong audience, unknown key, or issued
// before the account's role or password changed) is refused
// with 401 rather than served anonymously: a client whose token expired
// must learn it and refresh, not silently see a signed-out store.
//
// It also hands the client's address (see ClientAddr) to sign-in
// throttling.
func withViewer(tokens TokenVerifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithClientAddr(r.Context(), ClientAddr(r.Context()).String())
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, raw, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				unauthorized(w, r, "the Authorization header must be: Bearer <access token>")
				return
			}
			v, err := tokens.VerifyAccess(ctx, strings.TrimSpace(raw))
			if err != nil {
				unauthorized(w, r, "the access token is invalid or expired")
				return
			}
			ctx = auth.WithViewer(ctx, v)
			logging.SetCustomer(ctx, v.CustomerID) // for the access log
			logging.SetClient(ctx, v.Client)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// unauthorized answers in GraphQL's error shape and in the media type the
// client accepted, so clients handle it like any other UNAUTHENTICATED
// error.
func unauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	w.Header().Set("Cache-Control", "no-store")
	graph.WriteRequestError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", msg)
}
