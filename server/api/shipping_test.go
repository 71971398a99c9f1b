package api_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type shippingZonePayload struct {
	Zone       *struct{ ID, Name string } `json:"zone"`
	UserErrors []userError                `json:"userErrors"`
}

type shippingMethodPayload struct {
	Method *struct {
		ID   string `json:"id"`
		Rate *struct {
			Amount string `json:"amount"`
		} `json:"rate"`
		Bands []struct {
			FromWeightGrams *int `json:"fromWeightGrams"`
		} `json:"bands"`
	} `json:"method"`
	UserErrors []userError `json:"userErrors"`
}

type pickupPointPayload struct {
	PickupPoint *struct{ ID, Phone string } `json:"pickupPoint"`
	UserErrors  []userError                 `json:"userErrors"`
}

type shippingOption struct {
	Method struct {
		Name         string `json:"name"`
		Kind         string `json:"kind"`
		PickupPoints []struct {
			Name string `json:"name"`
		} `json:"pickupPoints"`
	} `json:"method"`
	Zone  struct{ Name string } `json:"zone"`
	Price struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"price"`
}

// shipping drives the shipping contract operations.
type shippingClient struct{ s *store }

func (c shippingClient) zone(in map[string]any) shippingZonePayload {
	var out struct {
		P shippingZonePayload `json:"createShippingZone"`
	}
	c.s.op("CreateShippingZone", map[string]any{"input": in}, &out)
	return out.P
}

func (c shippingClient) method(zoneID string, in map[string]any) shippingMethodPayload {
	var out struct {
		P shippingMethodPayload `json:"createShippingMethod"`
	}
	c.s.op("CreateShippingMethod", map[string]any{"zoneId": zoneID, "input": in}, &out)
	return out.P
}

func (c shippingClient) point(methodID string, in map[string]any) pickupPointPayload {
	var out struct {
		P pickupPointPayload `json:"createPickupPoint"`
	}
	c.s.op("CreatePickupPoint", map[string]any{"methodId": methodID, "input": in}, &out)
	return out.P
}

func (c shippingClient) options(addr map[string]any, subtotal string, grams int) []shippingOption {
	var out struct {
		Options []shippingOption `json:"shippingOptions"`
	}
	c.s.op("ShippingOptions", map[string]any{"address": addr, "subtotal": subtotal, "weightGrams": grams}, &out)
	return out.Options
}

func optionNames(opts []shippingOption) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Zone.Name + ": " + o.Method.Name + " " + o.Price.Amount
	}
	return out
}

func pointInput(name, phone string) map[string]any {
	return map[string]any{"name": name, "line1": "Sarit Centre", "town": "Nairobi", "countryCode": "KE",
		"openingHours": "Mon–Sat 08:00–20:00", "phone": phone}
}

// TestShippingConfiguredByStaff: staff set up zones, methods and pickup
// points; shoppers get the options of the most specific zone for their
// address, priced exactly; every refusal is beside the write that works.
func TestShippingConfiguredByStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		shop := newStore(t, db, nil)
		staff := shippingClient{shop.asStaff()}

		// Only staff write shipping.
		resp := shop.post(shop.ops["CreateShippingZone"], "CreateShippingZone", map[string]any{"input": map[string]any{"name": "Kenya", "countryCode": "KE"}})
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
		kenya := staff.zone(map[string]any{"name": "Rest of Kenya", "countryCode": "KE"})
		require.Empty(t, kenya.UserErrors)

		// The most specific zone wins, so zones nest; equally specific
		// ones that could both match an address are refused.
		nairobi := staff.zone(map[string]any{"name": "Nairobi", "countryCode": "KE", "town": "Nairobi"})
		require.Empty(t, nairobi.UserErrors)
		kisumu := staff.zone(map[string]any{"name": "Kisumu", "countryCode": "KE", "region": "Kisumu"})
		require.Empty(t, kisumu.UserErrors)
		for _, dup := range []map[string]any{
			{"name": "Kenya again", "countryCode": "ke"},
			{"name": "Nairobi again", "countryCode": "KE", "town": " NAIROBI "},
			{"name": "Kisumu county", "countryCode": "KE", "region": "kisumu"},
		} {
			p := staff.zone(dup)
			require.Nil(t, p.Zone, "%v", dup)
			require.Equal(t, []string{"INVALID"}, codesOf(p.UserErrors), "%v", dup)
		}
		cbd := staff.zone(map[string]any{"name": "Nairobi CBD", "countryCode": "KE", "postalCodePattern": "001*"})
		require.Empty(t, cbd.UserErrors)
		p := staff.zone(map[string]any{"name": "Nairobi 00100", "countryCode": "KE", "postalCodePattern": "00100"})
		require.Equal(t, []string{"INVALID"}, codesOf(p.UserErrors), "a code inside another zone's prefix")
		p = staff.zone(map[string]any{"name": "Nairobi 00200", "countryCode": "KE", "postalCodePattern": "00200"})
		require.Empty(t, p.UserErrors, "a code outside it")
		p = staff.zone(map[string]any{"name": "Bad", "countryCode": "KEN", "postalCodePattern": "00*1"})
		require.ElementsMatch(t, [][]string{{"input", "countryCode"}, {"input", "postalCodePattern"}}, [][]string{p.UserErrors[0].Field, p.UserErrors[1].Field})

		// Methods: flat with free-over, subtotal bands, weight bands.
		m := staff.method(nairobi.Zone.ID, map[string]any{"name": "Same day", "kind": "DELIVERY", "rateType": "FLAT",
			"rate": "250.00", "freeOver": "5000", "maxDays": 1, "sameDayCutoffHour": 14})
		require.Empty(t, m.UserErrors)
		require.Equal(t, "250.00", m.Method.Rate.Amount)
		pickup := staff.method(nairobi.Zone.ID, map[string]any{"name": "Pickup", "kind": "PICKUP", "rateType": "FLAT", "rate": "0"})
		require.Empty(t, pickup.UserErrors)
		kisumuRider := staff.method(kisumu.Zone.ID, map[string]any{"name": "Kisumu rider", "kind": "DELIVERY", "rateType": "SUBTOTAL_BANDS",
			"bands": []map[string]any{{"fromSubtotal": "0", "price": "500"}, {"fromSubtotal": "3000.50", "price": "300.25"}}})
		require.Empty(t, kisumuRider.UserErrors)
		bad := map[string]any{"name": "Courier", "kind": "DELIVERY", "rateType": "WEIGHT_BANDS", "minDays": 2, "maxDays": 5,
			"bands": []map[string]any{{"fromWeightGrams": 100, "price": "450"}, {"fromWeightGrams": 100, "price": "700"}}}
		m = staff.method(kenya.Zone.ID, bad)
		require.Nil(t, m.Method)
		require.Equal(t, []string{"INVALID", "INVALID"}, codesOf(m.UserErrors))
		require.Equal(t, []string{"input", "bands", "0", "fromWeightGrams"}, m.UserErrors[0].Field)
		require.Equal(t, []string{"input", "bands", "1", "fromWeightGrams"}, m.UserErrors[1].Field)
		bad["bands"] = []map[string]any{{"fromWeightGrams": 0, "price": "450"}, {"fromWeightGrams": 2000, "price": "700"}}
		m = staff.method(kenya.Zone.ID, bad)
		require.Empty(t, m.UserErrors)
		require.Len(t, m.Method.Bands, 2)
		m = staff.method(kenya.Zone.ID, map[string]any{"name": "Old courier", "kind": "DELIVERY", "rateType": "FLAT", "rate": "1", "active": false})
		require.Empty(t, m.UserErrors)
		m = staff.method(kenya.Zone.ID, map[string]any{"name": "Slow", "kind": "DELIVERY", "rateType": "FLAT", "rate": "1.001", "minDays": 3, "maxDays": 2})
		require.Equal(t, []string{"INVALID", "INVALID"}, codesOf(m.UserErrors), "too many decimals, days reversed")

		// Pickup points belong to PICKUP methods and have an E.164 phone.
		pt := staff.point(kisumuRider.Method.ID, pointInput("Kisumu mall", "+254711000003"))
		require.Equal(t, []string{"INVALID"}, codesOf(pt.UserErrors), "a DELIVERY method has no pickup points")
		pt = staff.point(pickup.Method.ID, pointInput("Sarit", "0711 000 001"))
		require.Equal(t, []string{"INVALID"}, codesOf(pt.UserErrors))
		require.Equal(t, []string{"input", "phone"}, pt.UserErrors[0].Field)
		for _, name := range []string{"Sarit", "Moi Avenue"} {
			pt = staff.point(pickup.Method.ID, pointInput(name, "+254711000001"))
			require.Empty(t, pt.UserErrors)
		}

		// Shoppers: a Nairobi address, a Kisumu one, the rest of Kenya.
		shopper := shippingClient{shop}
		nbo := map[string]any{"countryCode": "KE", "region": "Nairobi", "town": "Nairobi", "postalCode": "00300"}
		require.Equal(t, []string{"Nairobi: Pickup 0.00", "Nairobi: Same day 250.00"}, optionNames(shopper.options(nbo, "4999.99", 0)))
		opts := shopper.options(nbo, "5000.00", 0)
		require.Equal(t, []string{"Nairobi: Same day 0.00", "Nairobi: Pickup 0.00"}, optionNames(opts), "free at the threshold")
		for _, o := range opts {
			if o.Method.Kind == "PICKUP" {
				require.Len(t, o.Method.PickupPoints, 2)
			}
		}
		ksm := map[string]any{"countryCode": "KE", "region": "Kisumu", "town": "Kisumu"}
		require.Equal(t, []string{"Kisumu: Kisumu rider 500.00"}, optionNames(shopper.options(ksm, "3000.49", 0)))
		require.Equal(t, []string{"Kisumu: Kisumu rider 300.25"}, optionNames(shopper.options(ksm, "3000.50", 0)))
		eld := map[string]any{"countryCode": "KE", "region": "Uasin Gishu", "town": "Eldoret"}
		require.Equal(t, []string{"Rest of Kenya: Courier 450.00"}, optionNames(shopper.options(eld, "100", 1999)), "the inactive method is not offered")
		require.Equal(t, []string{"Rest of Kenya: Courier 700.00"}, optionNames(shopper.options(eld, "100", 2000)))
		require.Empty(t, shopper.options(map[string]any{"countryCode": "TZ"}, "100", 0), "no zone, no options")
		resp = shop.post(shop.ops["ShippingOptions"], "ShippingOptions", map[string]any{"address": eld, "subtotal": "-1"})
		require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes())

		// Staff see every method, inactive ones too.
		var zones struct {
			Zones []struct {
				Name    string
				Methods []struct{ Name string }
			} `json:"shippingZones"`
		}
		staff.s.op("ShippingZones", nil, &zones)
		require.Len(t, zones.Zones, 5)
		for _, z := range zones.Zones {
			if z.Name == "Rest of Kenya" {
				require.Len(t, z.Methods, 2)
			}
		}

		// The options are a fixed number of statements: zones, methods,
		// pickup points, however many there are.
		require.Equal(t, int64(3), shop.statements("ShippingOptions", map[string]any{"address": nbo, "subtotal": "100", "weightGrams": 0}))
		staff.point(pickup.Method.ID, pointInput("Third", "+254711000009"))
		staff.method(nairobi.Zone.ID, map[string]any{"name": "Express", "kind": "DELIVERY", "rateType": "FLAT", "rate": "600"})
		require.Equal(t, int64(3), shop.statements("ShippingOptions", map[string]any{"address": nbo, "subtotal": "100", "weightGrams": 0}))

		// Staff's list is one statement per level too.
		staffZones := staff.s.statements("ShippingZones", nil)
		require.Equal(t, int64(3), staffZones, "zones, methods, pickup points")
		staff.s.op("CreatePickupPoint", map[string]any{"methodId": pickup.Method.ID, "input": pointInput("Fourth", "+254711000010")}, &struct{}{})
		require.Equal(t, staffZones, staff.s.statements("ShippingZones", nil), "ShippingZones must not grow with the points")

		// Updating and deleting.
		var upd struct {
			P shippingZonePayload `json:"updateShippingZone"`
		}
		staff.s.op("UpdateShippingZone", map[string]any{"id": kisumu.Zone.ID, "input": map[string]any{"name": "Kisumu", "countryCode": "KE", "town": "Nairobi"}}, &upd)
		require.Equal(t, []string{"INVALID"}, codesOf(upd.P.UserErrors), "would overlap Nairobi")
		staff.s.op("UpdateShippingZone", map[string]any{"id": kisumu.Zone.ID, "input": map[string]any{"name": "Kisumu town", "countryCode": "KE", "town": "Kisumu"}}, &upd)
		require.Empty(t, upd.P.UserErrors)
		var del struct {
			P struct {
				DeletedID  *string     `json:"deletedID"`
				UserErrors []userError `json:"userErrors"`
			} `json:"deleteShippingZone"`
		}
		staff.s.op("DeleteShippingZone", map[string]any{"id": nairobi.Zone.ID}, &del)
		require.Empty(t, del.P.UserErrors)
		require.Equal(t, []string{"Rest of Kenya: Courier 450.00"}, optionNames(shopper.options(nbo, "100", 0)), "Nairobi falls back to the rest of Kenya")
		staff.s.op("DeleteShippingZone", map[string]any{"id": nairobi.Zone.ID}, &del)
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(del.P.UserErrors))
	})
}

// TestShippingZoneWritesSerialised: overlapping zones written at once,
// spelled differently so no unique index can tell, leave exactly one.
func TestShippingZoneWritesSerialised(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		shop := newStore(t, db, nil)
		staff := shop.asStaff()
		// Nested prefixes and a code inside them: any two overlap, so one
		// zone is all that can stand ("2 0*" is "20*" respelled).
		patterns := []string{"2*", "20*", "200*", "2001*", "20010", "2 0*"}
		var wg sync.WaitGroup
		results := make([]gqlResponse, len(patterns))
		for i, p := range patterns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = staff.postAsync(shop.ops["CreateShippingZone"], "CreateShippingZone",
					map[string]any{"input": map[string]any{"name": "Zone " + p, "countryCode": "KE", "postalCodePattern": p}})
			}()
		}
		wg.Wait()
		accepted := 0
		for _, r := range results {
			require.Empty(t, r.Errors)
			var out struct {
				P shippingZonePayload `json:"createShippingZone"`
			}
			require.NoError(t, json.Unmarshal(r.Data, &out))
			if out.P.Zone != nil {
				accepted++
			} else {
				require.Equal(t, []string{"INVALID"}, codesOf(out.P.UserErrors))
			}
		}
		require.Equal(t, 1, accepted)
		n, err := shop.client.ShippingZone.Query().Count(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

// TestDemoShipping: the demo store ships to Nairobi (with pickup),
// Mombasa, Kisumu and the rest of Kenya.
func TestDemoShipping(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		shop := newStore(t, db, nil)
		require.NoError(t, seed.DemoShipping(context.Background(), shop.services.Shipping))
		c := shippingClient{shop}
		nbo := c.options(map[string]any{"countryCode": "KE", "town": "Nairobi"}, "1000", 0)
		require.Equal(t, []string{"Nairobi: Pick up in Nairobi 0.00", "Nairobi: Nairobi same-day delivery 250.00"}, optionNames(nbo))
		require.Len(t, nbo[0].Method.PickupPoints, 2)
		require.Equal(t, []string{"Nairobi: Nairobi same-day delivery 0.00", "Nairobi: Pick up in Nairobi 0.00"},
			optionNames(c.options(map[string]any{"countryCode": "KE", "town": "Nairobi"}, "5000", 0)), "free over KES 5,000")
		require.Equal(t, []string{"Mombasa: Mombasa delivery 400.00"}, optionNames(c.options(map[string]any{"countryCode": "KE", "region": "Mombasa", "town": "Nyali"}, "1000", 0)))
		require.Equal(t, []string{"Kisumu: Kisumu delivery 0.00"}, optionNames(c.options(map[string]any{"countryCode": "KE", "region": "Kisumu"}, "7500", 0)))
		require.Equal(t, []string{"Rest of Kenya: Countrywide courier 700.00"}, optionNames(c.options(map[string]any{"countryCode": "KE", "town": "Nakuru"}, "1000", 2500)))
	})
}

// TestVariantWeight: staff give variants a shipping weight, within bounds.
func TestVariantWeight(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		shop := newStore(t, db, demoCatalog(t))
		staff := shop.asStaff()
		p, err := shop.client.Product.Query().First(viewer.System(context.Background(), "test: pick a product"))
		require.NoError(t, err)
		const doc = `mutation W($productId: ID!, $input: CreateProductVariantInput!) {
  createProductVariant(productId: $productId, input: $input) { variant { weightGrams } userErrors { field code } }
}`
		create := func(sku string, grams int) (variant *struct{ WeightGrams *int }, errs []userError) {
			resp := staff.post(doc, "W", map[string]any{"productId": scalar.EncodeID(p.ID),
				"input": map[string]any{"sku": sku, "name": sku, "price": "100", "weightGrams": grams}})
			require.Empty(t, resp.Errors)
			var out struct {
				P struct {
					Variant    *struct{ WeightGrams *int } `json:"variant"`
					UserErrors []userError                 `json:"userErrors"`
				} `json:"createProductVariant"`
			}
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			return out.P.Variant, out.P.UserErrors
		}
		v, errs := create("W-0", 0)
		require.Nil(t, v)
		require.Equal(t, []string{"INVALID"}, codesOf(errs))
		require.Equal(t, []string{"input", "weightGrams"}, errs[0].Field)
		v, errs = create("W-1500", 1500)
		require.Empty(t, errs)
		require.Equal(t, 1500, *v.WeightGrams)
	})
}
