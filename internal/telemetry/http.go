package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// propagator reads a caller's W3C traceparent, so a request continues the
// trace of the proxy or service that sent it.
var propagator = propagation.TraceContext{}

// StartRequest opens the span of an HTTP request, continuing the caller's
// trace. Its name is the method until EndRequest knows the route.
func StartRequest(tp trace.TracerProvider, r *http.Request) (context.Context, trace.Span) {
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	return tp.Tracer(ScopeName).Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method)))
}

// EndRequest names the span by its route (the mux pattern: never the raw
// path, which may carry a secret such as the M-Pesa callback's) and
// closes it with the status code.
func EndRequest(span trace.Span, route string, status int) {
	span.SetName(route)
	span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}
