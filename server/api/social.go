package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/savannah-commerce/savannah/internal/auth"
)

// stateCookie carries the signed state of a social sign-in between its two
// legs; scoped to /auth/ and readable by no script.
const stateCookie = "savannah_auth_state"

// socialRoutes serves /auth/{provider} (start) and
// /auth/{provider}/callback (finish).
func (s *Server) socialRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /auth/{provider}", s.socialBegin)
	mux.HandleFunc("GET /auth/{provider}/callback", s.socialCallback)
}

func (s *Server) socialBegin(w http.ResponseWriter, r *http.Request) {
	authURL, cookie, err := s.cfg.Social.Begin(r.PathValue("provider"))
	if err != nil {
		s.socialError(w, r, err)
		return
	}
	http.SetCookie(w, s.stateCookie(r, cookie, int(auth.SocialStateTTL/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
}

func (s *Server) socialCallback(w http.ResponseWriter, r *http.Request) {
	var cookie string
	if c, err := r.Cookie(stateCookie); err == nil {
		cookie = c.Value
	}
	// Single use: whatever happens next, the state is spent.
	http.SetCookie(w, s.stateCookie(r, "", -1))
	_, pair, err := s.cfg.Social.Complete(r.Context(), r.PathValue("provider"), r.URL.Query(), cookie)
	if err != nil {
		s.socialError(w, r, err)
		return
	}
	if s.cfg.SocialRedirectURL == "" {
		writeJSON(w, http.StatusOK, map[string]string{
			"accessToken":  pair.AccessToken,
			"refreshToken": pair.RefreshToken,
			"expiresAt":    pair.ExpiresAt.UTC().Format(time.RFC3339),
		})
		return
	}
	// Tokens go in the fragment: browsers never send it to a server, so
	// it stays out of access logs and Referer headers.
	frag := url.Values{
		"access_token":  {pair.AccessToken},
		"refresh_token": {pair.RefreshToken},
		"expires_at":    {strconv.FormatInt(pair.ExpiresAt.Unix(), 10)},
		"token_type":    {"Bearer"},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.SocialRedirectURL+"#"+frag.Encode(), http.StatusFound)
}

func (s *Server) stateCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     stateCookie,
		Value:    value,
		Path:     "/auth/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil || s.cfg.SecureCookies,
		// Lax: the provider's redirect back is a top-level GET, which Lax
		// cookies accompany; cross-site subrequests do not get it.
		SameSite: http.SameSiteLaxMode,
	}
}

func (s *Server) socialError(w http.ResponseWriter, r *http.Request, err error) {
	code, status := "", http.StatusBadRequest
	switch {
	case errors.Is(err, auth.ErrUnknownProvider):
		code, status = "NOT_FOUND", http.StatusNotFound
	case errors.Is(err, auth.ErrSocialState):
		code = "INVALID_TOKEN"
	case errors.Is(err, auth.ErrSocialDenied), errors.Is(err, auth.ErrEmailUnverified):
		code = "INVALID_CREDENTIALS"
	default:
		s.log.ErrorContext(r.Context(), "social sign-in failed", slog.String("request_id", RequestID(r.Context())), slog.Any("err", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "INTERNAL_SERVER_ERROR", "message": "internal server error", "requestId": RequestID(r.Context())})
		return
	}
	s.log.InfoContext(r.Context(), "social sign-in refused", slog.String("request_id", RequestID(r.Context())), slog.Any("err", err))
	msg := err.Error()
	if errors.Is(err, auth.ErrSocialState) {
		msg = auth.ErrSocialState.Error() // the cause stays in the log
	}
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}
