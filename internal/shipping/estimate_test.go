package shipping_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/shipping"
)

// TestEstimate: the delivery dates on the boundaries of the same-day
// cutoff, of days, months and years, and with no cutoff.
func TestEstimate(t *testing.T) {
	t.Parallel()
	nairobi, err := time.LoadLocation("Africa/Nairobi")
	require.NoError(t, err)
	at := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, nairobi)
	}
	day := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 0, 0, 0, 0, nairobi) }
	cutoff := func(h int) *int { return &h }
	cases := []struct {
		name             string
		method           ent.ShippingMethod
		now              time.Time
		earliest, latest time.Time
	}{
		{"a second before the cutoff: leaves today", ent.ShippingMethod{MinDays: 1, MaxDays: 3, SameDayCutoffHour: cutoff(14)}, at(2026, 12, 7, 13, 59, 59), day(2026, 12, 8), day(2026, 12, 10)},
		{"at the cutoff: leaves tomorrow", ent.ShippingMethod{MinDays: 1, MaxDays: 3, SameDayCutoffHour: cutoff(14)}, at(2026, 12, 7, 14, 0, 0), day(2026, 12, 9), day(2026, 12, 11)},
		{"last second of the day", ent.ShippingMethod{MinDays: 1, MaxDays: 3, SameDayCutoffHour: cutoff(14)}, at(2026, 12, 7, 23, 59, 59), day(2026, 12, 9), day(2026, 12, 11)},
		{"first second of the day", ent.ShippingMethod{MinDays: 1, MaxDays: 3, SameDayCutoffHour: cutoff(14)}, at(2026, 12, 8, 0, 0, 0), day(2026, 12, 9), day(2026, 12, 11)},
		{"same day delivery before the cutoff", ent.ShippingMethod{SameDayCutoffHour: cutoff(12)}, at(2026, 12, 7, 11, 59, 59), day(2026, 12, 7), day(2026, 12, 7)},
		{"same day delivery after the cutoff", ent.ShippingMethod{SameDayCutoffHour: cutoff(12)}, at(2026, 12, 7, 12, 0, 0), day(2026, 12, 8), day(2026, 12, 8)},
		{"cutoff 0: never the same day", ent.ShippingMethod{MaxDays: 1, SameDayCutoffHour: cutoff(0)}, at(2026, 12, 7, 0, 0, 0), day(2026, 12, 8), day(2026, 12, 9)},
		{"no cutoff: counts from today", ent.ShippingMethod{MinDays: 2, MaxDays: 5}, at(2026, 12, 7, 23, 30, 0), day(2026, 12, 9), day(2026, 12, 12)},
		{"over the month's end", ent.ShippingMethod{MinDays: 1, MaxDays: 2, SameDayCutoffHour: cutoff(14)}, at(2026, 11, 29, 15, 0, 0), day(2026, 12, 1), day(2026, 12, 2)},
		{"over the year's end", ent.ShippingMethod{MinDays: 1, MaxDays: 3, SameDayCutoffHour: cutoff(14)}, at(2026, 12, 31, 14, 0, 0), day(2027, 1, 2), day(2027, 1, 4)},
		{"over a leap day", ent.ShippingMethod{MinDays: 1, MaxDays: 1}, at(2028, 2, 28, 10, 0, 0), day(2028, 2, 29), day(2028, 2, 29)},
	}
	for _, c := range cases {
		earliest, latest := shipping.Estimate(&c.method, c.now)
		require.Equal(t, c.earliest, earliest, c.name)
		require.Equal(t, c.latest, latest, c.name)
		require.Equal(t, nairobi, earliest.Location(), c.name)
	}

	// The service counts in the store's timezone whatever the clock's:
	// 10:59 UTC is 13:59 in Nairobi (before a 14:00 cutoff), 11:00 UTC is
	// 14:00; 21:30 UTC on the 6th is already the 7th in Nairobi.
	kes, err := money.StoreCurrency("KES")
	require.NoError(t, err)
	svc, err := shipping.NewService(shipping.Config{Client: &ent.Client{}, Dialect: "sqlite3", Currency: kes})
	require.NoError(t, err)
	require.Equal(t, "Africa/Nairobi", svc.Location().String(), "the default timezone")
	m := &ent.ShippingMethod{MinDays: 0, MaxDays: 1, SameDayCutoffHour: cutoff(14)}
	e, l := svc.EstimateAt(m, time.Date(2026, 12, 7, 10, 59, 0, 0, time.UTC))
	require.Equal(t, []time.Time{day(2026, 12, 7), day(2026, 12, 8)}, []time.Time{e, l})
	e, l = svc.EstimateAt(m, time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC))
	require.Equal(t, []time.Time{day(2026, 12, 8), day(2026, 12, 9)}, []time.Time{e, l})
	e, _ = svc.EstimateAt(m, time.Date(2026, 12, 6, 21, 30, 0, 0, time.UTC))
	require.Equal(t, day(2026, 12, 7), e)

	utcStore, err := shipping.NewService(shipping.Config{Client: &ent.Client{}, Dialect: "sqlite3", Currency: kes, Location: time.UTC})
	require.NoError(t, err)
	e, _ = utcStore.EstimateAt(m, time.Date(2026, 12, 6, 21, 30, 0, 0, time.UTC))
	require.Equal(t, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), e, "after a 14:00 cutoff in a UTC store")
}
