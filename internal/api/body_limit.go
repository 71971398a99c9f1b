package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// withBodyLimit reads a request body of at most limit bytes before
// GraphQL sees it, and refuses a larger one with 413 and the contract's
// QUERY_TOO_COMPLEX, whether or not the client declared its length.
// (gqlgen would otherwise report the failed read as an internal error.)
func withBodyLimit(limit int64, next http.Handler) http.Handler {
	refuse := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = fmt.Fprintf(w, `{"errors":[{"message":"the request body is over %d bytes","extensions":{"code":"QUERY_TOO_COMPLEX"}}],"data":null}`+"\n", limit)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			refuse(w)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			refuse(w)
			return
		case err != nil:
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
