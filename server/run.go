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

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/api"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/telemetry"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: server [command]

commands:
  serve                                  serve HTTP (the default)
  migrate                                apply database migrations and exit
  seed --catalog FILE                    load a catalogue (bench-catalog/1 JSON)
  create-admin --email E --password P    create an ADMIN account, or promote one

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
		return serve(ctx, cfg, log, getenv)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "seed":
		return seedCatalog(ctx, cfg, log, args)
	case "create-admin":
		return createAdmin(ctx, cfg, log, args)
	case "help", "-h", "--help":
		_, err := fmt.Fprintln(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

// serve runs the HTTP server until ctx ends, then shuts down gracefully:
// readiness turns 503 first, in-flight requests finish within the grace
// period, and only then does the database close.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, getenv func(string) string) error {
	log.Info("starting", slog.String("version", version), slog.Any("config", cfg))

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
	// Redis (optional): shared rate limits, persisted queries and
	// catalogue cache. The protection is built before seeding, so that the
	// seed's writes invalidate the catalogue cache.
	checks := map[string]api.Checker{"database": db}
	addReadinessChecks(checks, db, true)
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		if rdb, err = openRedis(ctx, cfg.RedisURL); err != nil {
			return err
		}
		defer rdb.Close()
		checks["redis"] = redisCheck{rdb}
	}
	protection, err := newProtection(cfg.Protection, rdb, log)
	if err != nil {
		return err
	}
	sqlStatements := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "savannah_sql_statements_total",
		Help: "SQL statements run, inside transactions too; divided by requests, statements per request.",
	})
	client := ent.NewClient(ent.Driver(telemetry.Driver(database.NewMeteredDriver(db.Driver(), func(string) { sqlStatements.Inc() }), tracer)))
	if protection.CatalogCache != nil {
		cache.InvalidateOnWrite(client, protection.CatalogCache, log)
	}
	// Order changes for subscriptions: through Redis when replicas share
	// one, so a change on any replica reaches subscribers on all.
	var bus events.Bus = events.NewLocal()
	if rdb != nil {
		if bus, err = events.NewRedis(ctx, rdb, log); err != nil {
			return err
		}
	}
	events.Register(client, bus, log)
	if cfg.SeedDemo {
		if err := seedDemo(ctx, client, log); err != nil {
			return err
		}
	}

	// Metrics.
	reg, jobMetrics := newRegistry(db, sqlStatements, log)

	// Accounts and tokens.
	accounts, social, err := newAuth(ctx, cfg, db, client, rdb, log)
	if err != nil {
		return err
	}

	// Checkout, payments and their periodic jobs.
	shop, mpesaSecret, err := newCheckout(cfg, db.Dialect, client, reg)
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(ctx)
	waitJobs := runJobs(jobsCtx, log, checkoutJobs(shop))
	defer func() { stopJobs(); waitJobs() }()

	// Notifications: hooks on the client, delivered by River.
	notifications, jobClient, err := newNotifications(cfg, db, client, log, reg)
	if err != nil {
		return err
	}
	jobMetrics.Watch(jobClient)
	if err := startJobs(ctx, jobClient); err != nil {
		return err
	}
	defer func() { // on early returns; a no-op after the graceful stop below
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = jobs.Stop(stopCtx, jobClient)
	}()

	// HTTP.
	handler := api.New(api.Deps{
		Client:            client,
		Dialect:           db.Dialect,
		Auth:              accounts,
		Social:            social,
		SocialRedirectURL: cfg.AuthRedirectURL,
		// Production serves browsers over TLS, terminated at the proxy.
		SecureCookies:      cfg.Production(),
		Currency:           cfg.Currency,
		Log:                log,
		Introspection:      cfg.Introspection,
		Checks:             checks,
		Registry:           reg,
		Protection:         protection,
		Checkout:           shop,
		MpesaSecretMatches: mpesaSecret,
		Outbox:             notifications,
		Events:             bus,
		Tracer:             tracer,
	})
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

	// Shutdown.
	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("grace", cfg.ShutdownTimeout))
	handler.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	// Jobs last: requests that finished above may have enqueued some.
	// Running deliveries finish; pending ones wait in the database.
	if err := jobs.Stop(shutdownCtx, jobClient); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// newCheckout builds the checkout service, with M-Pesa when configured,
// and the webhook's secret check (nil without M-Pesa).
func newCheckout(cfg config.Config, dialect string, client *ent.Client, reg prometheus.Registerer) (*checkout.Service, func(string) bool, error) {
	sc := checkout.Config{
		Metrics:        reg,
		Client:         client,
		Dialect:        dialect,
		Currency:       cfg.Currency,
		CartTTL:        cfg.CartTTL,
		PaymentTimeout: cfg.PaymentTimeout,
	}
	var secret func(string) bool
	if cfg.Mpesa != nil {
		mc, err := mpesa.New(*cfg.Mpesa)
		if err != nil {
			return nil, nil, fmt.Errorf("m-pesa: %w", err)
		}
		sc.Mpesa, secret = mc, cfg.Mpesa.CallbackSecretMatches
	}
	svc, err := checkout.NewService(sc)
	return svc, secret, err
}

func seedDemo(ctx context.Context, client *ent.Client, log *slog.Logger) error {
	empty, err := seed.IsEmpty(ctx, client)
	if err != nil || !empty {
		return err
	}
	cat, err := seed.Parse(bytes.NewReader(seed.Demo()))
	if err != nil {
		return err
	}
	res, err := seed.Load(ctx, client, cat)
	if err != nil {
		return fmt.Errorf("seed demo store: %w", err)
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
		if err != nil {
			_ = db.Close()
			return nil, err
		}
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("seed: --catalog FILE is required")
	}
	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer f.Close()
	cat, err := seed.Parse(f)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	db, err := openDB(ctx, cfg.DatabaseURL, cfg.AutoMigrate)
	if err != nil {
		return err
	}
	defer db.Close()
	client := db.Client()
	if cfg.RedisURL != "" && cfg.Protection.CatalogCache {
		// Running servers share the catalogue cache through Redis: the
		// loaded catalogue must invalidate it.
		rdb, err := openRedis(ctx, cfg.RedisURL)
		if err != nil {
			return err
		}
		defer rdb.Close()
		cache.InvalidateOnWrite(client, catalogCache(cfg.Protection, rdb, log), log)
	}
	start := time.Now()
	res, err := seed.Load(ctx, client, cat)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	log.Info("catalogue loaded",
		slog.String("file", *file),
		slog.Int("categories_created", res.CategoriesCreated),
		slog.Int("products_created", res.ProductsCreated),
		slog.Int("variants_created", res.VariantsCreated),
		slog.Duration("took", time.Since(start)))
	return nil
}

func createAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email")
	password := fs.String("password", "", "the admin's password (at least 10 characters)")
	name := fs.String("name", "Administrator", "the admin's name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addr := strings.ToLower(strings.TrimSpace(*email))
	if addr == "" || *password == "" {
		return errors.New("create-admin: --email and --password are required")
	}
	hash, err := auth.HashPassword(*password)
	if err != nil {
		return fmt.Errorf("create-admin: %w", err)
	}
	db, err := openDB(ctx, cfg.DatabaseURL, cfg.AutoMigrate)
	if err != nil {
		return err
	}
	defer db.Close()
	client := db.Client()
	// The command line acts as the system: no one is signed in, and
	// creating an ADMIN is exactly what the privacy rules forbid others.
	ctx = auth.SystemContext(ctx)
	existing, err := client.Customer.Query().Where(customer.Email(addr)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		_, err = client.Customer.Create().
			SetEmail(addr).
			SetName(*name).
			SetPasswordHash(hash).
			SetRole(customer.RoleADMIN).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("create-admin: %w", err)
		}
		log.Info("admin created", slog.String("email", addr))
	case err != nil:
		return fmt.Errorf("create-admin: %w", err)
	default:
		err = existing.Update().SetRole(customer.RoleADMIN).SetPasswordHash(hash).SetPasswordChangedAt(time.Now()).Exec(ctx)
		if err != nil {
			return fmt.Errorf("create-admin: %w", err)
		}
		log.Info("existing account promoted to admin", slog.String("email", addr))
	}
	return nil
}
