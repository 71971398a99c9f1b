package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/logging"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

func decode(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	buf.Reset()
	return out
}

func TestHandlerAddsRequestFields(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(logging.NewHandler(slog.NewJSONHandler(&buf, nil)))

	// Outside a request: nothing to add.
	log.InfoContext(context.Background(), "plain")
	line := decode(t, &buf)[0]
	require.NotContains(t, line, "request_id")
	require.NotContains(t, line, "operation")
	require.NotContains(t, line, "customer_id")

	// The holder is filled after the context was made: lines logged with
	// it, or with contexts made from it, see what was filled in.
	ctx := logging.WithRequest(context.Background(), "req-1")
	logging.SetOperation(ctx, "ProductList")
	logging.SetCustomer(ctx, 42)
	log.InfoContext(ctx, "one")
	log.With(slog.String("component", "x")).WarnContext(ctx, "two")
	for _, l := range decode(t, &buf) {
		require.Equal(t, "req-1", l["request_id"])
		require.Equal(t, "ProductList", l["operation"])
		require.Equal(t, 42.0, l["customer_id"])
	}

	// The viewer in the context wins over the holder; the operation of
	// the context over the request's.
	inner := logging.WithOperation(viewer.With(ctx, viewer.Viewer{CustomerID: 7, Role: viewer.Customer}), "Me")
	log.InfoContext(inner, "three")
	l := decode(t, &buf)[0]
	require.Equal(t, 7.0, l["customer_id"])
	require.Equal(t, "Me", l["operation"])
	require.Equal(t, "Me", logging.Operation(ctx), "the request records the last operation")

	// Keys already present are not repeated.
	log.InfoContext(ctx, "four", slog.String("request_id", "explicit"))
	log.With(slog.String("operation", "fixed")).InfoContext(ctx, "five")
	raw := buf.String()
	require.Equal(t, 1, strings.Count(strings.Split(raw, "\n")[0], `"request_id"`))
	require.Equal(t, 1, strings.Count(strings.Split(raw, "\n")[1], `"operation"`))
	lines := decode(t, &buf)
	require.Equal(t, "explicit", lines[0]["request_id"])
	require.Equal(t, "fixed", lines[1]["operation"])

	// A client's operation name is bounded.
	logging.SetOperation(ctx, strings.Repeat("a", 5000))
	require.Len(t, logging.Operation(ctx), 100)
}
