package shipping

import (
	"time"
	// The store's timezone must load on hosts without a zoneinfo
	// database (distroless images).
	_ "time/tzdata"

	"github.com/savannah-commerce/savannah/ent"
)

// DefaultTimezone is the store's timezone when none is configured
// (config STORE_TIMEZONE).
const DefaultTimezone = "Africa/Nairobi"

// Estimate is when an order placed at now with method m is expected: the
// earliest and latest delivery (or pickup) dates, as midnight of those
// days in now's location, which callers set to the store's timezone
// (Service.EstimateAt does). The days count from the day the order
// leaves: today, or tomorrow when the method has a same-day cutoff hour
// and now is at or past it (a cutoff of 14 means orders until 13:59:59
// leave today). A method without a cutoff counts from today. Earliest is
// that day plus MinDays, latest that day plus MaxDays (calendar days).
func Estimate(m *ent.ShippingMethod, now time.Time) (earliest, latest time.Time) {
	y, mo, d := now.Date()
	if m.SameDayCutoffHour != nil && now.Hour() >= *m.SameDayCutoffHour {
		d++
	}
	loc := now.Location()
	earliest = time.Date(y, mo, d+m.MinDays, 0, 0, 0, 0, loc)
	latest = time.Date(y, mo, d+m.MaxDays, 0, 0, 0, 0, loc)
	return earliest, latest
}

// EstimateAt is Estimate for an order placed at now, in the store's
// timezone.
func (s *Service) EstimateAt(m *ent.ShippingMethod, now time.Time) (earliest, latest time.Time) {
	return Estimate(m, now.In(s.location))
}

// Location is the store's timezone.
func (s *Service) Location() *time.Location { return s.location }
