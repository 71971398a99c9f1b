package seed

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/internal/shipping"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// DemoShipping gives the demo store Kenyan shipping, through the shipping
// service (so its rules hold): zones for Nairobi (the town), Mombasa and
// Kisumu (their counties) and the rest of Kenya; delivery in KES, free
// over a threshold; and pickup at two Nairobi points. Amounts are whole
// units, read in the store's currency.
func DemoShipping(ctx context.Context, svc *shipping.Service) error {
	ctx = viewer.System(ctx, "seed: demo shipping")
	price := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	zones := []struct {
		zone    shipping.ZoneInput
		methods []shipping.MethodInput
		points  []shipping.PickupPointInput
	}{
		{
			zone: shipping.ZoneInput{Name: "Nairobi", CountryCode: "KE", Town: "Nairobi"},
			methods: []shipping.MethodInput{
				{Name: "Nairobi same-day delivery", Kind: shippingmethod.KindDELIVERY, RateType: shippingmethod.RateTypeFLAT,
					Rate: price("250"), FreeOver: price("5000"), MinDays: 0, MaxDays: 1, SameDayCutoffHour: num(14), Active: true},
				{Name: "Pick up in Nairobi", Kind: shippingmethod.KindPICKUP, RateType: shippingmethod.RateTypeFLAT,
					Rate: price("0"), MinDays: 0, MaxDays: 1, Active: true},
			},
			points: []shipping.PickupPointInput{
				{Name: "Westlands agent (Sarit Centre)", Line1: "Sarit Centre, Karuna Road", Town: "Nairobi", Region: "Nairobi",
					CountryCode: "KE", OpeningHours: "Mon–Sat 08:00–20:00, Sun 10:00–17:00", Phone: "+254711000001", Active: true},
				{Name: "CBD agent (Moi Avenue)", Line1: "Moi Avenue, Ground floor", Town: "Nairobi", Region: "Nairobi",
					CountryCode: "KE", OpeningHours: "Mon–Fri 08:00–18:00, Sat 09:00–14:00", Phone: "+254711000002", Active: true},
			},
		},
		{
			zone: shipping.ZoneInput{Name: "Mombasa", CountryCode: "KE", Region: "Mombasa"},
			methods: []shipping.MethodInput{
				{Name: "Mombasa delivery", Kind: shippingmethod.KindDELIVERY, RateType: shippingmethod.RateTypeFLAT,
					Rate: price("400"), FreeOver: price("7500"), MinDays: 1, MaxDays: 2, Active: true},
			},
		},
		{
			zone: shipping.ZoneInput{Name: "Kisumu", CountryCode: "KE", Region: "Kisumu"},
			methods: []shipping.MethodInput{
				{Name: "Kisumu delivery", Kind: shippingmethod.KindDELIVERY, RateType: shippingmethod.RateTypeFLAT,
					Rate: price("400"), FreeOver: price("7500"), MinDays: 1, MaxDays: 3, Active: true},
			},
		},
		{
			zone: shipping.ZoneInput{Name: "Rest of Kenya", CountryCode: "KE"},
			methods: []shipping.MethodInput{
				{Name: "Countrywide courier", Kind: shippingmethod.KindDELIVERY, RateType: shippingmethod.RateTypeWEIGHT_BANDS,
					Bands: []shipping.BandInput{
						{FromWeightGrams: num(0), Price: "450"},
						{FromWeightGrams: num(2000), Price: "700"},
						{FromWeightGrams: num(10000), Price: "1200"},
					},
					FreeOver: price("10000"), MinDays: 2, MaxDays: 5, Active: true},
			},
		},
	}
	for _, z := range zones {
		zone, err := svc.CreateZone(ctx, z.zone)
		if err != nil {
			return fmt.Errorf("demo zone %s: %w", z.zone.Name, err)
		}
		for _, m := range z.methods {
			method, err := svc.CreateMethod(ctx, zone.ID, m)
			if err != nil {
				return fmt.Errorf("demo method %s: %w", m.Name, err)
			}
			if m.Kind != shippingmethod.KindPICKUP {
				continue
			}
			for _, p := range z.points {
				if _, err := svc.CreatePickupPoint(ctx, method.ID, p); err != nil {
					return fmt.Errorf("demo pickup point %s: %w", p.Name, err)
				}
			}
		}
	}
	return nil
}
