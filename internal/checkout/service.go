// Package checkout turns carts into orders and moves orders through their
// state machine: guest and customer carts, placeOrder (stock reserved by
// conditional updates that cannot oversell, idempotent per customer and
// key, or per guest cart and key), guest checkout (guest.go), cancellation, shipping into the stock ledger, and payments.
//
// Privacy: reads on behalf of a shopper use the shopper's context, so the
// ent privacy rules decide what exists for them; writes to rows a shopper
// may not write themself (orders, their lines, events and payments, stock
// reservations) run as the system (viewer.System, with the reason) once
// the shopper's own read, through privacy, found the row. What a shopper
// may buy is what a shopper may see (viewer.AsShopper).
package checkout

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/inventory"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/payment"
	"github.com/savannah-commerce/savannah/internal/shipping"
)

// Defaults of Config.
const (
	DefaultCartTTL          = 30 * 24 * time.Hour
	DefaultPaymentTimeout   = 30 * time.Minute
	DefaultMaxLineQuantity  = 100
	DefaultStatusQueryAfter = 2 * time.Minute
	DefaultTaxClass         = "standard"
)

// Config is what the checkout service needs.
type Config struct {
	Client *ent.Client
	// Dialect is the database's: dialect.Postgres or dialect.SQLite.
	Dialect string
	// Currency is the store's ISO 4217 currency.
	Currency string
	// CartTTL is how long an idle guest cart lives (default 30 days).
	CartTTL time.Duration
	// PaymentTimeout is how long an M-Pesa order may stay unpaid before
	// CancelStaleOrders cancels it (default 30 minutes).
	PaymentTimeout time.Duration
	// MaxLineQuantity is the most units of one variant in a cart (default
	// 100): a sane cap that stops typos and abuse, not a stock rule.
	MaxLineQuantity int
	// Mpesa starts and queries M-Pesa payments; nil when M-Pesa is not
	// configured, and then paying with MPESA is refused with a clear
	// problem.
	Mpesa payment.Provider
	// StatusQueryAfter is how long a started M-Pesa payment waits for its
	// callback before RecoverPayments asks Daraja (default 2 minutes).
	StatusQueryAfter time.Duration
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
	// PricesExcludeTax: catalogue prices are net, tax is added on top
	// (default: prices include tax, as in Kenya).
	PricesExcludeTax bool
	// DefaultTaxClass is the code of the tax class of variants without
	// one (and of shipping); no such class: untaxed. Default "standard".
	DefaultTaxClass string
	// ShippingTaxClass is the code of shipping's tax class; empty:
	// DefaultTaxClass.
	ShippingTaxClass string
	// Shipping offers and prices the store's shipping methods; nil: the
	// store ships free and needs no shipping choice.
	Shipping *shipping.Service
	// Metrics, when set, registers and counts the orders placed.
	Metrics prometheus.Registerer
	// GuestAccessTTL is how long a guest's order-access token works
	// (default 30 days); GuestOrderURL is the front-end page its link
	// opens, with the token in its query; Notify sends the link (the
	// outbox). See guest.go.
	GuestAccessTTL time.Duration
	GuestOrderURL  string
	Notify         GuestNotifier
}

// Service carries out carts, checkout and orders. Every write method runs
// as one unit: under a savepoint of the caller's transaction (the one the
// GraphQL handler opens per mutation), or in a transaction of its own. A
// method that returns an *InputError has rolled back everything it wrote.
type Service struct {
	cfg       Config
	metrics   *metrics
	inventory *inventory.Inventory
}

// NewService returns the checkout service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Client == nil {
		return nil, fmt.Errorf("checkout: no ent client")
	}
	if cfg.Dialect != dialect.Postgres && cfg.Dialect != dialect.SQLite {
		return nil, fmt.Errorf("checkout: unsupported dialect %q", cfg.Dialect)
	}
	if _, err := money.StoreCurrency(cfg.Currency); err != nil {
		return nil, fmt.Errorf("checkout: %w", err)
	}
	if cfg.CartTTL <= 0 {
		cfg.CartTTL = DefaultCartTTL
	}
	if cfg.PaymentTimeout <= 0 {
		cfg.PaymentTimeout = DefaultPaymentTimeout
	}
	if cfg.MaxLineQuantity <= 0 {
		cfg.MaxLineQuantity = DefaultMaxLineQuantity
	}
	if cfg.StatusQueryAfter <= 0 {
		cfg.StatusQueryAfter = DefaultStatusQueryAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.GuestAccessTTL <= 0 {
		cfg.GuestAccessTTL = DefaultGuestAccessTTL
	}
	if cfg.DefaultTaxClass == "" {
		cfg.DefaultTaxClass = DefaultTaxClass
	}
	if cfg.ShippingTaxClass == "" {
		cfg.ShippingTaxClass = cfg.DefaultTaxClass
	}
	return &Service{cfg: cfg, metrics: newMetrics(cfg.Metrics), inventory: inventory.New(cfg.Client)}, nil
}

// savepoint is the name of the savepoint a method runs under inside the
// caller's transaction; nested savepoints of one name shadow each other.
const savepoint = "checkout_op"

// inTx runs fn as one unit with a transactional client (also in fn's ctx).
// Inside the caller's transaction fn runs under a savepoint, so a refused
// request (even a failed statement, which poisons a PostgreSQL
// transaction) is undone without undoing the caller's other work.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, c *ent.Client) error) error {
	return database.InUnit(ctx, s.cfg.Client, savepoint, func(ctx context.Context) error {
		return fn(ctx, ent.FromContext(ctx))
	})
}

// db is the client for reads outside a write: the transaction's, when ctx
// carries one (SQLite has a single connection the transaction holds).
func (s *Service) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.cfg.Client
}

// placeholder returns the n-th (1-based) bind parameter in the dialect.
func (s *Service) placeholder(n int) string {
	if s.cfg.Dialect == dialect.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
