package graph

import (
	"context"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/ent/shippingzone"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/shipping"
)

// This file translates the shipping inputs to the service's and its
// figures to GraphQL's, so the resolvers stay one call each.

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func shippingAddress(in model.ShippingAddressInput) shipping.Address {
	return shipping.Address{CountryCode: in.CountryCode, Region: str(in.Region), Town: str(in.Town), PostalCode: str(in.PostalCode)}
}

func zoneInput(in model.ShippingZoneInput) shipping.ZoneInput {
	return shipping.ZoneInput{Name: in.Name, CountryCode: in.CountryCode, Region: str(in.Region), Town: str(in.Town), PostalCodePattern: str(in.PostalCodePattern)}
}

func methodInput(in model.ShippingMethodInput) shipping.MethodInput {
	bands := make([]shipping.BandInput, len(in.Bands))
	for i, b := range in.Bands {
		bands[i] = shipping.BandInput{From: b.FromSubtotal, FromWeightGrams: b.FromWeightGrams, Price: b.Price}
	}
	return shipping.MethodInput{
		Name: in.Name, Kind: in.Kind, RateType: in.RateType, Rate: in.Rate, Bands: bands, FreeOver: in.FreeOver,
		MinDays: in.MinDays, MaxDays: in.MaxDays, SameDayCutoffHour: in.SameDayCutoffHour, Active: in.Active,
	}
}

func pickupPointInput(in model.PickupPointInput) shipping.PickupPointInput {
	return shipping.PickupPointInput{
		Name: in.Name, Line1: in.Line1, Line2: str(in.Line2), Town: in.Town, Region: str(in.Region),
		PostalCode: str(in.PostalCode), CountryCode: in.CountryCode, OpeningHours: in.OpeningHours,
		Phone: in.Phone, Active: in.Active,
	}
}

// rateBands shows a method's bands: from a subtotal or a weight, by its
// rate type.
func (r *Resolver) rateBands(m *ent.ShippingMethod) []*model.ShippingRateBand {
	out := make([]*model.ShippingRateBand, len(m.Bands))
	for i, b := range m.Bands {
		band := &model.ShippingRateBand{Price: r.money(b.PriceMinor)}
		if m.RateType == shippingmethod.RateTypeWEIGHT_BANDS {
			g := int(b.From)
			band.FromWeightGrams = &g
		} else {
			band.FromSubtotal = r.money(b.From)
		}
		out[i] = band
	}
	return out
}

// shippingZones lists every zone for staff, with the methods and pickup
// points the query asks for loaded in one statement per level.
func (r *Resolver) shippingZones(ctx context.Context) ([]*ent.ShippingZone, error) {
	q, err := r.db(ctx).ShippingZone.Query().
		Order(ent.Asc(shippingzone.FieldCountryCode), ent.Asc(shippingzone.FieldID)).
		CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

// pickupPoints are a method's pickup points: those loaded with it (the
// shipping options), else the generated edge resolver's.
func pickupPoints(ctx context.Context, m *ent.ShippingMethod) ([]*ent.PickupPoint, error) {
	if pts, err := m.Edges.PickupPointsOrErr(); err == nil {
		return pts, nil
	}
	return m.PickupPoints(ctx)
}

// deliveryEstimate shows an estimate's dates as calendar dates.
func deliveryEstimate(earliest, latest time.Time) *model.DeliveryEstimate {
	return &model.DeliveryEstimate{Earliest: earliest.Format(time.DateOnly), Latest: latest.Format(time.DateOnly)}
}
