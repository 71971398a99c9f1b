package main

import (
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/savannah-commerce/savannah/internal/api"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/logging"
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
