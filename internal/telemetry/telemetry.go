// Package telemetry sets up optional OpenTelemetry tracing: when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, spans of HTTP requests, GraphQL
// resolvers and SQL statements go to that OTLP/HTTP collector (protobuf,
// POST <endpoint>/v1/traces). Unset, nothing is traced and nothing is
// exported.
//
// The tracer provider is handed down explicitly (api.Config.Tracer, and
// app.Config.Tracer for the SQL driver), never installed as
// OpenTelemetry's global, so the store keeps no package-level mutable
// state.
package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the instrumentation in every span.
const ScopeName = "github.com/savannah-commerce/savannah"

// Setup reads OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL, such
// as http://otel-collector:4318) and OTEL_SERVICE_NAME (default
// "savannah") through getenv. Unset endpoint: it returns a nil provider,
// which every instrumented part treats as "off", and a shutdown that does
// nothing. Set: spans are batched to the collector, and shutdown flushes
// what is left; call it after the HTTP server stopped.
func Setup(ctx context.Context, getenv func(string) string) (trace.TracerProvider, func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	endpoint := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	if endpoint == "" {
		return nil, noop, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, noop, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: want http(s)://host:port, got %q", endpoint)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimRight(endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, noop, fmt.Errorf("otlp trace exporter: %w", err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "savannah"
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	)
	return tp, tp.Shutdown, nil
}
