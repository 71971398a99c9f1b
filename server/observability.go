package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/logging"
	"github.com/savannah-commerce/savannah/internal/telemetry"
	"github.com/savannah-commerce/savannah/server/api"
)

// newLogger is the process's one logger: JSON (or text) at the configured
// level, adding the request ID, GraphQL operation and customer ID of the
// request to every line logged with its context (internal/logging).
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(logging.NewHandler(h))
}

// newRegistry is the registry /metrics serves: Go runtime, process,
// database pool, SQL statements and the job queue (depth read at scrape
// time; outcomes once the worker's client is watched with Watch). The API
// adds HTTP and GraphQL metrics to it, checkout the orders placed, the
// notification worker its deliveries.
func newRegistry(db *database.DB, sqlStatements prometheus.Collector, log *slog.Logger) (*prometheus.Registry, *jobs.Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, "savannah"),
		sqlStatements,
	)
	return reg, jobs.NewMetrics(reg, db, log)
}

// addReadinessChecks adds what /readyz checks beyond the database and
// Redis: that the schema is at this binary's migration, and, for a process
// that works jobs, that River's tables answer.
func addReadinessChecks(checks map[string]api.Checker, db *database.DB, worksJobs bool) {
	checks["migrations"] = database.MigrationCheck{DB: db}
	if worksJobs {
		checks["queue"] = jobs.QueueCheck{DB: db}
	}
}

// newTracing starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT
// is set (tp is nil otherwise: nothing traced). stop flushes the spans
// left; defer it before the HTTP server and the jobs, so it runs after
// they stopped.
func newTracing(ctx context.Context, getenv func(string) string, log *slog.Logger) (tp trace.TracerProvider, stop func(), err error) {
	tp, shutdown, err := telemetry.Setup(ctx, getenv)
	if err != nil {
		return nil, nil, err
	}
	if tp != nil {
		log.Info("tracing", slog.String("otlp_endpoint", getenv("OTEL_EXPORTER_OTLP_ENDPOINT")))
	}
	return tp, func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(flushCtx); err != nil {
			log.Warn("tracing: flush on shutdown failed", slog.Any("err", err))
		}
	}, nil
}
