package checkout

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/shipping"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// A cart's shipping: where it ships (cartSetShippingAddress), which of the
// options internal/shipping offers for that address it takes
// (cartSelectShippingOption), and what that adds to its price. The rules
// of which options exist and what they cost are internal/shipping's; the
// rules of what a cart and an order need are here, once, for the Cart and
// for placeOrder alike.

// ShippingAddressInput is a cart's shipping address: exactly one of a new
// address and one from the customer's address book.
type ShippingAddressInput struct {
	Address   *schematype.AddressSnapshot
	AddressID *int
}

// SetShippingAddress sets where the cart with token ships. A shipping
// option chosen before stays chosen only while it is still offered for
// the new address.
func (s *Service) SetShippingAddress(ctx context.Context, token string, in ShippingAddressInput) (*ent.Cart, error) {
	var ps problems
	checkAddress(&ps, in.Address, in.AddressID, true, []string{"address"}, []string{"addressId"})
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s.writeCart(ctx, token, func(sys context.Context, c *ent.Client, crt *ent.Cart) error {
		crt, err := locked(sys, c, crt)
		if err != nil {
			return err
		}
		shopper := viewer.AsShopper(sys)
		addr, err := s.shippingAddress(shopper, c, in.Address, in.AddressID, "addressId")
		if err != nil {
			return err
		}
		upd := c.Cart.UpdateOneID(crt.ID).SetShippingAddress(&addr)
		if crt.ShippingMethodID != nil {
			q, err := s.quote(shopper, nil, &addr, crt.ShippingMethodID, crt.PickupPointID)
			if err != nil {
				return err
			}
			if q.selected == nil {
				upd.ClearShippingMethodID().ClearPickupPointID()
			}
		}
		if err := upd.Exec(sys); err != nil {
			return fmt.Errorf("set cart shipping address: %w", err)
		}
		return nil
	})
}

// SelectShippingOption chooses how the cart with token ships: a method
// offered for the cart's address (shipping.Options) and, for a PICKUP
// method, one of its pickup points; a DELIVERY method takes none.
func (s *Service) SelectShippingOption(ctx context.Context, token string, methodID int, pickupPointID *int) (*ent.Cart, error) {
	return s.writeCart(ctx, token, func(sys context.Context, c *ent.Client, crt *ent.Cart) error {
		crt, err := locked(sys, c, crt)
		if err != nil {
			return err
		}
		if crt.ShippingAddress == nil {
			return fail(ErrRequired, "set the cart's shipping address first", "cartId")
		}
		q, err := s.quote(viewer.AsShopper(sys), nil, crt.ShippingAddress, nil, nil)
		if err != nil {
			return err
		}
		var opt *shipping.Option
		for _, o := range q.options {
			if o.Method.ID == methodID {
				opt = o
			}
		}
		if opt == nil {
			return fail(ErrShippingUnavailable, "this shipping option is not offered for the cart's address", "optionId")
		}
		switch {
		case opt.Method.Kind == shippingmethod.KindDELIVERY && pickupPointID != nil:
			return fail(ErrInvalid, "a delivery option takes no pickup point", "pickupPointId")
		case opt.Method.Kind == shippingmethod.KindPICKUP && pickupPointID == nil:
			return fail(ErrRequired, "choose one of the option's pickup points", "pickupPointId")
		case opt.Method.Kind == shippingmethod.KindPICKUP && pointOf(opt.Method, *pickupPointID) == nil:
			return fail(ErrNotFound, "no such pickup point for this option", "pickupPointId")
		}
		upd := c.Cart.UpdateOneID(crt.ID).SetShippingMethodID(methodID)
		if pickupPointID != nil {
			upd.SetPickupPointID(*pickupPointID)
		} else {
			upd.ClearPickupPointID() // a pickup chosen before
		}
		if err := upd.Exec(sys); err != nil {
			return fmt.Errorf("select shipping option: %w", err)
		}
		return nil
	})
}

// ShippingOptions are the options for the cart's address (loaded as Cart
// returns it), priced for its subtotal and weight, cheapest first; none
// without an address. Three SQL statements (shipping.Options) however
// many methods, points and lines.
func (s *Service) ShippingOptions(ctx context.Context, crt *ent.Cart) ([]*shipping.Option, error) {
	q, err := s.quote(viewer.AsShopper(ctx), crt.Edges.Lines, crt.ShippingAddress, nil, nil)
	return q.options, err
}

// CartPrice is a cart priced with its shipping.
type CartPrice struct {
	Totals pricing.Totals
	// Codes says of each of the cart's codes whether it applied, and
	// Discounts what each promotion took off (as the order will keep).
	Codes     []promotion.CodeStatus
	Discounts []schematype.AppliedPromotion
	// Options are the shipping options for the cart's address.
	Options []*shipping.Option
	// Selected is the cart's chosen option while it is still offered
	// for its address (nil otherwise), and PickupPoint its chosen point
	// for a PICKUP option.
	Selected    *shipping.Option
	PickupPoint *ent.PickupPoint
}

// PriceCart prices the cart (loaded as Cart returns it) under tax, with
// the price of its chosen shipping option and the tax rates of its
// address's zone, as placeOrder will. Without an address it takes no SQL
// statement; with one, those of ShippingOptions (one more when the zone
// offers no method).
func (s *Service) PriceCart(ctx context.Context, crt *ent.Cart, tax Tax) (CartPrice, error) {
	q, err := s.quote(viewer.AsShopper(ctx), crt.Edges.Lines, crt.ShippingAddress, crt.ShippingMethodID, crt.PickupPointID)
	if err != nil {
		return CartPrice{}, err
	}
	promos, err := promotion.Load(ctx, s.db(ctx), s.cfg.Now(), crt.Edges.Lines, crt.DiscountCodes,
		crt.CustomerID, promotion.BuyerOf(crt.CustomerID, ""))
	if err != nil {
		return CartPrice{}, err
	}
	totals := Price(crt.Edges.Lines, tax, q.charge(), promos)
	return CartPrice{
		Totals:      totals,
		Codes:       promos.Statuses(linesOf(crt.Edges.Lines), q.charge().PriceMinor),
		Discounts:   promos.Applied(totals),
		Options:     q.options,
		Selected:    q.selected,
		PickupPoint: q.point,
	}, nil
}

// quote is a cart's shipping for an address.
type quote struct {
	options []*shipping.Option
	// zoneID is the address's zone (0: none).
	zoneID   int
	selected *shipping.Option
	point    *ent.PickupPoint
}

// charge is what the quote adds to the price.
func (q quote) charge() Shipping {
	ship := Shipping{ZoneID: q.zoneID}
	if q.selected != nil {
		ship.PriceMinor = q.selected.PriceMinor
	}
	return ship
}

// snapshot is the order's copy of the chosen option (nil: none).
func (q quote) snapshot() *schematype.ShippingSnapshot {
	if q.selected == nil {
		return nil
	}
	m := q.selected.Method
	snap := &schematype.ShippingSnapshot{MethodID: m.ID, Name: m.Name, Kind: string(m.Kind)}
	if p := q.point; p != nil {
		snap.PickupPoint = &schematype.PickupPointSnapshot{
			PointID: p.ID, Name: p.Name, OpeningHours: p.OpeningHours, Phone: p.Phone,
			Address: schematype.AddressSnapshot{
				Name: p.Name, Line1: p.Line1, Line2: p.Line2, City: p.Town, Region: p.Region,
				PostalCode: p.PostalCode, CountryCode: p.CountryCode, Phone: p.Phone,
			},
		}
	}
	return snap
}

// quote finds the options for addr (nil: none) as the shopper of ctx sees
// them, priced for the lines (loaded with their variants), and among them
// the chosen method and pickup point, if they are still offered.
func (s *Service) quote(ctx context.Context, lines []*ent.CartLine, addr *schematype.AddressSnapshot, methodID, pointID *int) (quote, error) {
	var q quote
	if addr == nil || s.cfg.Shipping == nil {
		return q, nil
	}
	to := shipTo(addr)
	items := Price(lines, Tax{}, Shipping{})
	weights := make([]shipping.Item, len(lines))
	for i, l := range lines {
		if v := l.Edges.Variant; v != nil {
			weights[i] = shipping.Item{WeightGrams: v.WeightGrams, Quantity: l.Quantity}
		}
	}
	opts, err := s.cfg.Shipping.Options(ctx, to, items.SubtotalMinor-items.DiscountMinor, s.cfg.Shipping.Weight(weights))
	if err != nil {
		return q, fmt.Errorf("shipping options: %w", err)
	}
	q.options = opts
	if len(opts) > 0 {
		q.zoneID = opts[0].Zone.ID
	} else {
		zone, err := s.cfg.Shipping.ZoneFor(ctx, to)
		if err != nil {
			return q, fmt.Errorf("shipping zone: %w", err)
		}
		if zone != nil {
			q.zoneID = zone.ID
		}
	}
	if methodID == nil {
		return q, nil
	}
	for _, o := range opts {
		if o.Method.ID != *methodID {
			continue
		}
		switch {
		case o.Method.Kind == shippingmethod.KindDELIVERY && pointID == nil:
			q.selected = o
		case o.Method.Kind == shippingmethod.KindPICKUP && pointID != nil:
			if p := pointOf(o.Method, *pointID); p != nil {
				q.selected, q.point = o, p
			}
		}
	}
	return q, nil
}

// orderShipping is the shipping of an order being placed from crt to
// addr. A store with no active shipping method ships free, as before
// shipping existed. Once one exists, the order needs an option chosen
// (ErrShippingRequired) that is still offered for addr, with its pickup
// point (ErrShippingUnavailable): a method deactivated or deleted, a
// point gone, or an address the option does not serve.
func (s *Service) orderShipping(ctx context.Context, c *ent.Client, crt *ent.Cart, lines []*ent.CartLine, addr schematype.AddressSnapshot) (quote, error) {
	if s.cfg.Shipping == nil {
		return quote{}, nil
	}
	shopper := viewer.AsShopper(ctx)
	ships, err := c.ShippingMethod.Query().Where(shippingmethod.Active(true)).Exist(shopper)
	if err != nil {
		return quote{}, fmt.Errorf("read shipping methods: %w", err)
	}
	q, err := s.quote(shopper, lines, &addr, crt.ShippingMethodID, crt.PickupPointID)
	switch {
	case err != nil:
		return quote{}, err
	case !ships:
		return quote{zoneID: q.zoneID}, nil
	case crt.ShippingMethodID == nil:
		return quote{}, fail(ErrShippingRequired, "choose a shipping option for the cart first (cartSelectShippingOption)", "input", "cartId")
	case q.selected == nil:
		return quote{}, fail(ErrShippingUnavailable, "the cart's shipping option is no longer available for this address; choose another", "input", "cartId")
	}
	return q, nil
}

// locked re-reads a cart that writeCart locked, so that a shipping write
// committed while this one waited for the lock is seen, not overwritten
// from a stale read.
func locked(sys context.Context, c *ent.Client, crt *ent.Cart) (*ent.Cart, error) {
	fresh, err := c.Cart.Get(sys, crt.ID)
	if err != nil {
		return nil, fmt.Errorf("read cart: %w", err)
	}
	return fresh, nil
}

// shipTo is an address as shipping zones match it.
func shipTo(a *schematype.AddressSnapshot) shipping.Address {
	return shipping.Address{CountryCode: a.CountryCode, Region: a.Region, Town: a.City, PostalCode: a.PostalCode}
}

// pointOf is the method's (loaded, active) pickup point with id, or nil.
func pointOf(m *ent.ShippingMethod, id int) *ent.PickupPoint {
	for _, p := range m.Edges.PickupPoints {
		if p.ID == id {
			return p
		}
	}
	return nil
}
