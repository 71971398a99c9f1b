package shipping_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/internal/shipping"
)

func zone(id int, name, country, region, town, postal string) *ent.ShippingZone {
	return &ent.ShippingZone{ID: id, Name: name, CountryCode: country, Region: region, Town: town, PostalCodePattern: postal}
}

// The most specific matching zone wins: postal pattern, then town, then
// region, then the country alone.
func TestMatch(t *testing.T) {
	t.Parallel()
	zones := []*ent.ShippingZone{
		zone(1, "Kenya", "KE", "", "", ""),
		zone(2, "Mombasa county", "KE", "Mombasa", "", ""),
		zone(3, "Nairobi", "KE", "", "Nairobi", ""),
		zone(4, "Nairobi CBD", "KE", "", "", "001*"),
		zone(5, "Nyali", "KE", "Mombasa", "Nyali", ""),
		zone(6, "Uganda", "UG", "", "", ""),
	}
	tests := []struct {
		name string
		addr shipping.Address
		want string
	}{
		{"country only", shipping.Address{CountryCode: "KE", Town: "Eldoret"}, "Kenya"},
		{"region beats country", shipping.Address{CountryCode: "KE", Region: "Mombasa", Town: "Likoni"}, "Mombasa county"},
		{"town beats region", shipping.Address{CountryCode: "KE", Region: "Nairobi", Town: "Nairobi"}, "Nairobi"},
		{"town with region beats region", shipping.Address{CountryCode: "KE", Region: "mombasa", Town: " nyali "}, "Nyali"},
		{"town needs its region", shipping.Address{CountryCode: "KE", Region: "Kilifi", Town: "Nyali"}, "Kenya"},
		{"postal beats town", shipping.Address{CountryCode: "KE", Town: "Nairobi", PostalCode: "00100"}, "Nairobi CBD"},
		{"postal prefix does not match", shipping.Address{CountryCode: "KE", Town: "Nairobi", PostalCode: "00200"}, "Nairobi"},
		{"case and spaces", shipping.Address{CountryCode: "ke", Town: "NAIROBI"}, "Nairobi"},
		{"other country", shipping.Address{CountryCode: "UG", Town: "Nairobi"}, "Uganda"},
		{"no zone", shipping.Address{CountryCode: "TZ"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shipping.Match(zones, tt.addr)
			if tt.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, tt.want, got.Name)
		})
	}
}

// Two zones overlap when an address could match both, equally specific;
// each refused pair is beside one that is accepted.
func TestOverlaps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b shipping.Zone
		want bool
	}{
		{"same country", shipping.Zone{CountryCode: "KE"}, shipping.Zone{CountryCode: "KE"}, true},
		{"other country", shipping.Zone{CountryCode: "KE"}, shipping.Zone{CountryCode: "UG"}, false},
		{"same region, other case", shipping.Zone{CountryCode: "KE", Region: "Kisumu"}, shipping.Zone{CountryCode: "KE", Region: " kisumu"}, true},
		{"other region", shipping.Zone{CountryCode: "KE", Region: "Kisumu"}, shipping.Zone{CountryCode: "KE", Region: "Nakuru"}, false},
		{"region under country is more specific", shipping.Zone{CountryCode: "KE", Region: "Kisumu"}, shipping.Zone{CountryCode: "KE"}, false},
		{"same town", shipping.Zone{CountryCode: "KE", Town: "Nairobi"}, shipping.Zone{CountryCode: "KE", Town: "nairobi"}, true},
		{"town with region is more specific", shipping.Zone{CountryCode: "KE", Town: "Nairobi", Region: "Nairobi"}, shipping.Zone{CountryCode: "KE", Town: "Nairobi"}, false},
		{"nested postal prefixes", shipping.Zone{CountryCode: "KE", PostalCodePattern: "001*"}, shipping.Zone{CountryCode: "KE", PostalCodePattern: "0010*"}, true},
		{"prefix and a code in it", shipping.Zone{CountryCode: "KE", PostalCodePattern: "001*"}, shipping.Zone{CountryCode: "KE", PostalCodePattern: "00100"}, true},
		{"disjoint prefixes", shipping.Zone{CountryCode: "KE", PostalCodePattern: "001*"}, shipping.Zone{CountryCode: "KE", PostalCodePattern: "002*"}, false},
		{"distinct codes", shipping.Zone{CountryCode: "KE", PostalCodePattern: "00100"}, shipping.Zone{CountryCode: "KE", PostalCodePattern: "00101"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.a.Overlaps(tt.b))
			require.Equal(t, tt.want, tt.b.Overlaps(tt.a), "symmetric")
		})
	}
}

func TestPrice(t *testing.T) {
	t.Parallel()
	free := int64(500000)
	bands := []schematype.RateBand{{From: 0, PriceMinor: 45000}, {From: 2000, PriceMinor: 70000}, {From: 10000, PriceMinor: 120000}}
	flat := &ent.ShippingMethod{RateType: shippingmethod.RateTypeFLAT, RateMinor: 25000, FreeOverMinor: &free}
	byWeight := &ent.ShippingMethod{RateType: shippingmethod.RateTypeWEIGHT_BANDS, Bands: bands}
	bySubtotal := &ent.ShippingMethod{RateType: shippingmethod.RateTypeSUBTOTAL_BANDS, Bands: bands}
	tests := []struct {
		name            string
		m               *ent.ShippingMethod
		subtotal, grams int64
		want            int64
	}{
		{"flat", flat, 499999, 0, 25000},
		{"free at the threshold", flat, 500000, 0, 0},
		{"first weight band", byWeight, 0, 1999, 45000},
		{"weight band starts inclusive", byWeight, 0, 2000, 70000},
		{"last weight band is open", byWeight, 0, 99999, 120000},
		{"subtotal band", bySubtotal, 9999, 50000, 70000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, shipping.Price(tt.m, tt.subtotal, tt.grams))
		})
	}
}
