package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Media types of GraphQL answers (GraphQL over HTTP).
const (
	MediaJSON            = "application/json"
	MediaGraphQLResponse = "application/graphql-response+json"
)

// Fixed messages of malformed requests: they never echo the input or name
// a Go type.
const (
	msgBadBody        = `the request body must be one JSON object: {"query": "...", "operationName": "...", "variables": {...}, "extensions": {...}}`
	msgBatch          = "batched requests are not supported: send one operation per request"
	msgBadQueryString = "the query string must carry query, operationName, variables and extensions, with variables and extensions as JSON objects"
	msgMediaType      = "the request body must be application/json"
	msgGETMutation    = "only queries may be sent by GET: send mutations by POST"
)

// ResponseMediaType is the media type of the answer to r, by its Accept
// header: application/graphql-response+json when the client lists it
// before application/json, application/json when the client lists that
// first, sends no Accept, or accepts anything. Every answer of the API to
// a GraphQL client (the refusals of the HTTP layer too) uses it.
func ResponseMediaType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return MediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mt {
		case MediaGraphQLResponse:
			return MediaGraphQLResponse
		case MediaJSON, "application/*", "*/*":
			return MediaJSON
		}
	}
	return MediaJSON
}

// WriteRequestError answers a request that did not reach execution:
// status, and one error with code and msg in the media type the client
// accepted, with no data entry.
func WriteRequestError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	writeAnswer(w, ResponseMediaType(r), status, requestErrors{Errors: gqlerror.List{e}})
}

// requestErrors is the answer to a request error: no data entry at all,
// as GraphQL over HTTP asks (the operation did not run).
type requestErrors struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeAnswer(w http.ResponseWriter, mediaType string, status int, v any) {
	var b []byte
	var err error
	if resp, ok := v.(*graphql.Response); ok {
		b, err = marshalResponse(resp)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// httpTransport serves GraphQL over HTTP, POST and GET, in place of
// gqlgen's transports, where the GraphQL-over-HTTP specification asks for
// something else than their defaults:
//   - a body that is not one JSON object (malformed, a batch, a query that
//     is not a string) is 400 with a fixed message, never the body echoed
//     back or a Go type named; a POST that is not application/json is 415;
//   - a mutation by GET is 405 with Allow: POST (not 406);
//   - a request error (parse, validation, variables, refusals before
//     execution) has no data entry, and is 200 in application/json but
//     400 in application/graphql-response+json (not 422);
//   - every answer says charset=utf-8.
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

// Supports implements graphql.Transport: POST and GET, but not a WebSocket
// upgrade.
func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodPost || r.Method == http.MethodGet)
}

// Do implements graphql.Transport.
func (httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	mediaType := ResponseMediaType(r)
	w.Header().Set("Cache-Control", cacheControlPrivate) // unless writeShared says otherwise
	start := graphql.Now()
	var params *graphql.RawParams
	var status int
	var msg string
	if r.Method == http.MethodGet {
		params, msg = getParams(r)
	} else {
		params, status, msg = postParams(r)
	}
	if params == nil {
		if status == 0 {
			status = http.StatusBadRequest
		}
		badRequest(ctx, w, exec, mediaType, status, msg)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		status := http.StatusOK
		if mediaType == MediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		writeAnswer(w, mediaType, status, requestErrors{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		badRequest(graphql.WithOperationContext(ctx, opCtx), w, exec, mediaType, http.StatusMethodNotAllowed, msgGETMutation)
		return
	}
	var shared *sharedCacheNote
	if r.Method == http.MethodGet {
		ctx, shared = withSharedCacheNote(ctx)
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if shared != nil && shared.ttl > 0 && resp != nil && len(resp.Errors) == 0 {
		// The same answer for every anonymous shopper: without the
		// extensions, which are about this client (its rate-limit bucket).
		resp.Extensions = nil
		if body, err := marshalResponse(resp); err == nil {
			writeShared(w, r, mediaType, shared.ttl, body)
			return
		}
	}
	writeAnswer(w, mediaType, http.StatusOK, resp)
}

// badRequest answers a request that is not GraphQL over HTTP (a body that
// is not one JSON object, a batch, a malformed query string) with
// BAD_USER_INPUT and its fixed message, through the response interceptors
// so that it is logged and counted.
func badRequest(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, mediaType string, status int, msg string) {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadUserInput}}
	resp := exec.DispatchError(ctx, gqlerror.List{e})
	writeAnswer(w, mediaType, status, requestErrors{Errors: resp.Errors, Extensions: resp.Extensions})
}

// postParams reads a POST body: one JSON object whose query and
// operationName are strings and whose variables and extensions are
// objects (or null).
func postParams(r *http.Request) (*graphql.RawParams, int, string) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != MediaJSON {
		return nil, http.StatusUnsupportedMediaType, msgMediaType
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, http.StatusBadRequest, msgBadBody
	}
	switch trimmed := bytes.TrimSpace(body); {
	case len(trimmed) > 0 && trimmed[0] == '[':
		return nil, http.StatusBadRequest, msgBatch
	case len(trimmed) == 0 || trimmed[0] != '{':
		return nil, http.StatusBadRequest, msgBadBody
	}
	params := &graphql.RawParams{}
	if err := decodeOne(bytes.NewReader(body), params); err != nil {
		return nil, http.StatusBadRequest, msgBadBody
	}
	return params, 0, ""
}

// getParams reads the query string of a GET.
func getParams(r *http.Request) (*graphql.RawParams, string) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, msgBadQueryString
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	if v := q.Get("variables"); v != "" {
		if err := decodeOne(strings.NewReader(v), &params.Variables); err != nil {
			return nil, msgBadQueryString
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeOne(strings.NewReader(v), &params.Extensions); err != nil {
			return nil, msgBadQueryString
		}
	}
	return params, ""
}

// errTrailing is JSON followed by more than white space.
var errTrailing = errors.New("trailing data after the JSON value")

// decodeOne decodes exactly one JSON object into v, keeping numbers as
// json.Number so that strict variable coercion sees what the client sent.
func decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}
