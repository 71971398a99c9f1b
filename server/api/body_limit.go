package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/savannah-commerce/savannah/graph"
)

// withBodyLimit reads a request body of at most limit bytes before
// GraphQL sees it, and refuses a larger one with 413 and the contract's
// QUERY_TOO_COMPLEX, whether or not the client declared its length.
// (gqlgen would otherwise report the failed read as an internal error.)
func withBodyLimit(limit int64, next http.Handler) http.Handler {
	refuse := func(w http.ResponseWriter, r *http.Request) {
		graph.WriteRequestError(w, r, http.StatusRequestEntityTooLarge, graph.CodeQueryTooComplex, fmt.Sprintf("the request body is over %d bytes", limit))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			refuse(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			refuse(w, r)
			return
		case err != nil:
			graph.WriteRequestError(w, r, http.StatusBadRequest, graph.CodeBadUserInput, "could not read the request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
