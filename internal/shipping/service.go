// Package shipping is the store's one home of shipping rules: which zone
// an address is in (the most specific matching zone wins), which methods
// that zone offers, what each costs for a cart, and the staff writes that
// keep zones unambiguous.
//
// The pricing engine and checkout plug in through Options (every method
// offered for an address, priced), Quote (one chosen method, or
// ErrUnavailable) and Weight (a cart's shipping weight with the store's
// default for variants without one). Prices are integer minor units of
// the store currency.
package shipping

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/ent/shippingzone"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/money"
)

// ErrUnavailable: the chosen method does not (or no longer) ship to the
// address, or is not active.
var ErrUnavailable = errors.New("shipping method unavailable")

// Config is what the service is built from.
type Config struct {
	Client *ent.Client
	// Dialect is dialect.Postgres or dialect.SQLite: zone writes are
	// serialised differently on each.
	Dialect  string
	Currency money.Currency
	// DefaultWeightGrams is the weight of a variant that has none.
	DefaultWeightGrams int
	// Location is the store's timezone, for delivery estimates; nil
	// means DefaultTimezone.
	Location *time.Location
}

// Service prices shipping and carries out staff's shipping writes.
type Service struct {
	client        *ent.Client
	dialect       string
	currency      money.Currency
	defaultWeight int
	location      *time.Location
}

// NewService returns the shipping service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Client == nil {
		return nil, errors.New("shipping: no client")
	}
	if cfg.Dialect != dialect.Postgres && cfg.Dialect != dialect.SQLite {
		return nil, fmt.Errorf("shipping: unsupported dialect %q", cfg.Dialect)
	}
	if cfg.Currency.Code() == "" {
		return nil, errors.New("shipping: no store currency")
	}
	if cfg.DefaultWeightGrams < 0 {
		return nil, errors.New("shipping: negative default weight")
	}
	loc := cfg.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(DefaultTimezone); err != nil {
			return nil, fmt.Errorf("shipping: %w", err)
		}
	}
	return &Service{client: cfg.Client, dialect: cfg.Dialect, currency: cfg.Currency, defaultWeight: cfg.DefaultWeightGrams, location: loc}, nil
}

// Option is a method offered for an address, with its price for the cart.
// A PICKUP method comes with its (active) pickup points loaded
// (Method.Edges.PickupPoints).
type Option struct {
	Method     *ent.ShippingMethod
	Zone       *ent.ShippingZone
	PriceMinor int64
}

// Item is a cart line as far as weight goes: the variant's weight (nil
// when it has none) and the quantity.
type Item struct {
	WeightGrams *int
	Quantity    int
}

// Weight is the shipping weight of the items in grams, counting the
// store's default weight for a variant without one.
func (s *Service) Weight(items []Item) int64 {
	var total int64
	for _, it := range items {
		w := s.defaultWeight
		if it.WeightGrams != nil {
			w = *it.WeightGrams
		}
		total += int64(w) * int64(it.Quantity)
	}
	return total
}

// ZoneFor returns the zone the address is in (the most specific that
// matches), or nil: for rules that follow the destination, such as tax
// rates per zone. One SQL statement.
func (s *Service) ZoneFor(ctx context.Context, a Address) (*ent.ShippingZone, error) {
	zones, err := s.db(ctx).ShippingZone.Query().
		Where(shippingzone.CountryCodeEQ(strings.ToUpper(strings.TrimSpace(a.CountryCode)))).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read shipping zones: %w", err)
	}
	return Match(zones, a), nil
}

// Options returns the methods of the zone the address is in, active ones
// as the viewer of ctx sees them, each priced for a cart of this subtotal
// (minor units) and weight (grams), cheapest first. No zone, or no
// method, is an empty list. It takes three SQL statements: the country's
// zones, the zone's methods, and their pickup points.
func (s *Service) Options(ctx context.Context, a Address, subtotalMinor, weightGrams int64) ([]*Option, error) {
	zone, err := s.ZoneFor(ctx, a)
	if err != nil {
		return nil, err
	}
	if zone == nil {
		return []*Option{}, nil
	}
	methods, err := s.db(ctx).ShippingMethod.Query().
		Where(shippingmethod.ZoneID(zone.ID), shippingmethod.Active(true)).
		WithPickupPoints().
		Order(ent.Asc(shippingmethod.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read shipping methods: %w", err)
	}
	out := make([]*Option, 0, len(methods))
	for _, m := range methods {
		if m.Kind == shippingmethod.KindPICKUP && len(m.Edges.PickupPoints) == 0 {
			continue // nowhere to pick up
		}
		m.Edges.Zone = zone
		out = append(out, &Option{Method: m, Zone: zone, PriceMinor: Price(m, subtotalMinor, weightGrams)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PriceMinor < out[j].PriceMinor })
	return out, nil
}

// OptionsAt is Options for a subtotal given as decimal text in the
// store currency, as a storefront sends it; a subtotal or weight that is
// not one is an *input.Error.
func (s *Service) OptionsAt(ctx context.Context, a Address, subtotal string, weightGrams int) ([]*Option, error) {
	var ps input.Problems
	minor := s.amount(&ps, subtotal, "subtotal")
	if weightGrams < 0 {
		ps.Add(input.ErrInvalid, "a weight cannot be negative", "weightGrams")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s.Options(ctx, a, minor, int64(weightGrams))
}

// Quote prices one method for the address and cart, for checkout: it is
// ErrUnavailable (wrapped) unless the method is among Options.
func (s *Service) Quote(ctx context.Context, methodID int, a Address, subtotalMinor, weightGrams int64) (Option, error) {
	opts, err := s.Options(ctx, a, subtotalMinor, weightGrams)
	if err != nil {
		return Option{}, err
	}
	for _, o := range opts {
		if o.Method.ID == methodID {
			return *o, nil
		}
	}
	return Option{}, fmt.Errorf("method %d: %w", methodID, ErrUnavailable)
}

// db is the transaction's client when ctx carries one.
func (s *Service) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.client
}
