package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/server/api"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: server [command]

commands:
  serve [--role api|worker|all]          serve HTTP and run jobs (the default; role all)
  migrate                                apply database migrations and exit
  seed --catalog FILE | --generate N     load a catalogue (bench-catalog/1 JSON), or a generated one of N products
  create-admin --email E --password P    create an ADMIN account, or promote one
  healthcheck [--path /readyz]           exit 0 when this container's server answers 200 (for images without curl)
  backup --out FILE [--pg-dump PATH]     write a consistent copy of the live database (SQLite file, or pg_dump archive)

configuration is read from the environment; see README.md.`

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stdout)

	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, args, getenv)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "seed":
		return seedCatalog(ctx, cfg, log, args)
	case "create-admin":
		return createAdmin(ctx, cfg, log, args)
	case "healthcheck":
		return healthcheck(ctx, cfg, args)
	case "backup":
		return backup(ctx, cfg, log, args)
	case "help", "-h", "--help":
		_, err := fmt.Fprintln(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

// serve runs the process in its role until ctx ends, then shuts down
// gracefully: readiness turns 503 first, in-flight requests and
// subscriptions finish within the grace period, running jobs finish, and
// only then do the connections close.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", cfg.Role, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("serve: %w\n%s", err, usage)
	}
	if !config.ValidRole(*role) {
		return fmt.Errorf("serve: --role %q is not api, worker or all", *role)
	}
	cfg.Role = *role
	runsAPI, runsJobs := cfg.Role != config.RoleWorker, cfg.Role != config.RoleAPI
	log = log.With(slog.String("role", cfg.Role))
	log.Info("starting", slog.String("version", version), slog.Any("config", cfg))
	// Memory: the collector's target, unless GOGC sets it (README,
	// "Configuration").
	app.TuneGC(getenv)

	// Database: open, migrate, seed.
	db, err := openDB(ctx, cfg.DatabaseURL, cfg.AutoMigrate)
	if err != nil {
		return err
	}
	defer db.Close()
	tracer, stopTracing, err := newTracing(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer stopTracing()
	checks := map[string]api.Checker{"database": db}
	addReadinessChecks(checks, db, runsJobs)
	// Redis (optional): shared rate limits, persisted queries, catalogue
	// cache and subscription events.
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		if rdb, err = openRedis(ctx, cfg.RedisURL, log); err != nil {
			return err
		}
		defer rdb.Close()
		checks["redis"] = redisCheck{rdb}
	}
	sqlStatements := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "savannah_sql_statements_total",
		Help: "SQL statements run, inside transactions too; divided by requests, statements per request.",
	})
	// Metrics.
	reg, jobMetrics := newRegistry(db, sqlStatements, log)

	// The store: the ent client with every hook (catalogue cache
	// invalidation, order events, notification outbox, CDN purge), the
	// same in every role, and every service over it.
	svc, built, key, err := newApp(ctx, cfg, db, rdb, log, instruments{
		statements: func(string) { sqlStatements.Inc() },
		tracer:     tracer,
		metrics:    reg,
	})
	if err != nil {
		return err
	}
	if err := catalog.EnsureCounts(ctx, svc.Client); err != nil {
		return err
	}
	if runsAPI && cfg.SeedDemo {
		if err := seedDemo(ctx, svc, cfg.Currency, log); err != nil {
			return err
		}
	}

	// Jobs: every role enqueues (notifications and purges, in the
	// transaction of the change); workers run them and the periodic
	// tasks (checkout's and the account service's).
	var jobClient *jobs.Client
	if runsJobs {
		workers := river.NewWorkers()
		tasks := append(checkoutTasks(svc.Checkout), authTasks(svc.Auth)...)
		periodic, err := jobs.Periodic(workers, log, append(tasks, mediaTasks(svc)...)...)
		if err != nil {
			return err
		}
		if err := addMediaWorker(workers, svc); err != nil {
			return err
		}
		if err := addPromotionWorker(workers, svc); err != nil {
			return err
		}
		if jobClient, err = newJobs(cfg, db, svc.Client, svc.Outbox, periodic, workers, log, reg); err != nil {
			return err
		}
		// Outcomes are River's events, which only a client that works
		// jobs has.
		jobMetrics.Watch(jobClient)
		if err := startJobs(ctx, jobClient); err != nil {
			return err
		}
		defer func() { // on early returns; a no-op after the graceful stop below
			stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			_ = jobs.Stop(stopCtx, jobClient)
		}()
	}

	// HTTP: the API, or only the probes and metrics on a worker.
	var handler *api.Server
	if runsAPI {
		protection, err := newProtection(cfg.Protection, rdb, log)
		if err != nil {
			return err
		}
		protection.HSTS = strings.HasPrefix(cfg.PublicURL, "https://")
		// The cache the client's hooks invalidate.
		protection.CatalogCache = built.CatalogCache
		social, err := newSocial(ctx, cfg, svc.Auth, key)
		if err != nil {
			return err
		}
		hc := api.Config{
			Social:            social,
			SocialRedirectURL: cfg.AuthRedirectURL,
			// Production serves browsers over TLS, terminated at the proxy.
			SecureCookies: cfg.Production(),
			Introspection: cfg.Introspection,
			Checks:        checks,
			Registry:      reg,
			Protection:    protection,
			Tracer:        tracer,
			Websocket: graph.WebsocketConfig{
				InitTimeout:       cfg.WebsocketInitTimeout,
				PingInterval:      cfg.WebsocketPingInterval,
				SendQueue:         cfg.WebsocketSendQueue,
				WriteTimeout:      cfg.WebsocketWriteTimeout,
				MaxSockets:        cfg.WebsocketMaxSockets,
				MaxSocketsPerAddr: cfg.WebsocketMaxSocketsPerAddr,
				ReadyFraction:     cfg.WebsocketReadyFraction,
			},
		}
		if cfg.Mpesa != nil {
			hc.MpesaSecretMatches = cfg.Mpesa.CallbackSecretMatches
		}
		handler = api.New(svc, hc)
	} else {
		handler = api.NewProbes(log, checks, reg)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	log.Info("listening", slog.String("addr", ln.Addr().String()))
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	if err := shutdown(cfg, log, srv, handler, serveErr); err != nil {
		return err
	}
	if runsJobs {
		// Jobs last: requests that finished above may have enqueued some.
		// Running jobs finish; pending ones wait in the database for the
		// next worker.
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		switch err := jobs.Stop(stopCtx, jobClient); {
		case errors.Is(err, jobs.ErrCancelled):
			log.Warn("jobs still running at the shutdown timeout were cancelled; they will be retried", slog.Duration("shutdown_timeout", cfg.ShutdownTimeout))
		case errors.Is(err, jobs.ErrAbandoned):
			log.Warn("jobs still running at the shutdown timeout ignored cancellation and were left; River rescues them later", slog.Duration("shutdown_timeout", cfg.ShutdownTimeout))
		case err != nil:
			return err
		}
	}
	log.Info("stopped")
	return nil
}

// shutdown stops the HTTP server gracefully. Readiness turns 503 and
// responses close their connections, so load balancers and clients move
// away; after the drain delay the listener closes, in-flight requests run
// to completion and subscriptions get a close frame, all within the grace
// period.
func shutdown(cfg config.Config, log *slog.Logger, srv *http.Server, handler *api.Server, serveErr <-chan error) error {
	log.Info("shutting down", slog.Duration("drain_delay", cfg.ShutdownDrainDelay), slog.Duration("grace", cfg.ShutdownTimeout))
	// Connections are not closed yet: closing an idle keep-alive
	// connection now would race a request a client is sending on it.
	// Responses during the drain carry Connection: close instead.
	handler.Drain()
	if cfg.ShutdownDrainDelay > 0 {
		time.Sleep(cfg.ShutdownDrainDelay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	subs := make(chan error, 1)
	go func() { subs <- handler.CloseSubscriptions(ctx) }()
	err := srv.Shutdown(ctx)
	if serr := <-subs; err == nil && serr != nil {
		err = fmt.Errorf("closing subscriptions: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

func seedDemo(ctx context.Context, svc *app.Services, currency string, log *slog.Logger) error {
	client := svc.Client
	empty, err := seed.IsEmpty(ctx, client)
	if err != nil || !empty {
		return err
	}
	cat, err := seed.Parse(bytes.NewReader(seed.Demo()))
	if err == nil {
		err = cat.ForStore(currency, true) // the demo's figures in the store's currency
	}
	if err != nil {
		return err
	}
	res, err := seed.Load(ctx, client, cat)
	if err != nil {
		return fmt.Errorf("seed demo store: %w", err)
	}
	if err := seed.DemoShipping(ctx, svc.Shipping); err != nil {
		return fmt.Errorf("seed demo shipping: %w", err)
	}
	if err := seed.LoadTax(ctx, client, seed.DemoTax()); err != nil {
		return fmt.Errorf("seed demo store's tax: %w", err)
	}
	if svc.Media != nil {
		if err := seed.DemoMedia(ctx, client, svc.Media); err != nil {
			return fmt.Errorf("seed demo images: %w", err)
		}
	}
	if err := seed.DemoPromotions(ctx, client, svc.Promotions); err != nil {
		return fmt.Errorf("seed demo promotions: %w", err)
	}
	log.Info("seeded demo store", slog.Int("categories", res.CategoriesCreated), slog.Int("products", res.ProductsCreated))
	return nil
}

// openDB opens the database and, when migrate is set, applies the store's
// migrations and River's, so every subcommand finds the same schema.
func openDB(ctx context.Context, url string, migrate bool) (*database.DB, error) {
	db, err := database.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if migrate {
		err = db.Migrate(ctx)
		if err == nil {
			err = jobs.Migrate(ctx, db)
		}
	}
	if err == nil {
		err = db.Optimize(ctx)
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	db, err := openDB(ctx, cfg.DatabaseURL, true)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, _, err := db.MigrationVersion()
	if err != nil {
		return err
	}
	log.Info("migrations applied", slog.Uint64("version", uint64(applied)))
	return nil
}

func seedCatalog(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	file := fs.String("catalog", "", "catalogue JSON file (bench-catalog/1)")
	generate := fs.Int("generate", 0, "load a generated catalogue of this many products (seed.Generate)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat, source, err := seedSource(*file, *generate)
	if err == nil {
		err = cat.ForStore(cfg.Currency, false)
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	svc, closeApp, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeApp()
	client := svc.Client
	start := time.Now()
	res, err := seed.Load(ctx, client, cat)
	if err == nil && res.ProductsCreated > 0 {
		err = database.Analyze(ctx, client) // the planner sees the new sizes at once
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	log.Info("catalogue loaded",
		slog.String("catalogue", source),
		slog.Int("categories_created", res.CategoriesCreated),
		slog.Int("products_created", res.ProductsCreated),
		slog.Int("variants_created", res.VariantsCreated),
		slog.Duration("took", time.Since(start)))
	return nil
}

// seedSource is the catalogue `seed` loads: the file, or a generated
// catalogue of generate products; exactly one of them.
func seedSource(file string, generate int) (*seed.Catalog, string, error) {
	switch {
	case file != "" && generate != 0:
		return nil, "", errors.New("--catalog and --generate exclude each other")
	case generate != 0:
		if generate < 1 || generate > seed.MaxGenerated {
			return nil, "", fmt.Errorf("--generate: %d products, want 1 to %d", generate, seed.MaxGenerated)
		}
		return seed.Generate(generate), fmt.Sprintf("generated, %d products", generate), nil
	case file == "":
		return nil, "", errors.New("--catalog FILE or --generate N is required")
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	cat, err := seed.Parse(f)
	return cat, file, err
}

// openApp opens the database (and Redis, when configured: running
// servers share the catalogue cache, refresh tokens and events through
// it) and builds the store on them for a one-off command, with the same
// client and hooks as serve: a loaded catalogue invalidates the servers'
// cache, a reset password revokes the refresh tokens where they are kept.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (svc *app.Services, closeAll func(), err error) {
	db, err := openDB(ctx, cfg.DatabaseURL, cfg.AutoMigrate)
	if err != nil {
		return nil, nil, err
	}
	var rdb *redis.Client
	closeAll = func() {
		if rdb != nil {
			_ = rdb.Close()
		}
		_ = db.Close()
	}
	if cfg.RedisURL != "" {
		if rdb, err = openRedis(ctx, cfg.RedisURL, log); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	svc, _, _, err = newApp(ctx, cfg, db, rdb, log, instruments{})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return svc, closeAll, nil
}

// createAdmin creates an ADMIN account, or makes an existing one ADMIN
// with the new password, through the account service: the email
// normalised, the password policy of registration, and every session of
// an existing account revoked.
func createAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email")
	password := fs.String("password", "", "the admin's password (at least 10 characters, not a common one)")
	name := fs.String("name", "Administrator", "the admin's name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" || *password == "" {
		return errors.New("create-admin: --email and --password are required")
	}
	svc, closeApp, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeApp()
	c, created, err := svc.Auth.EnsureAdmin(ctx, auth.AdminInput{Email: *email, Password: *password, Name: *name})
	if err != nil {
		return fmt.Errorf("create-admin: %w", err)
	}
	if created {
		log.Info("admin created", slog.String("email", c.Email))
	} else {
		log.Info("existing account promoted to admin; its sessions are revoked", slog.String("email", c.Email))
	}
	return nil
}
