package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/shipping"
)

// TestDeliveryEstimate: a storefront sees each option's delivery dates,
// counted in the store's timezone (STORE_TIMEZONE; Africa/Nairobi by
// default) from now, a day later past the method's same-day cutoff.
func TestDeliveryEstimate(t *testing.T) {
	t.Parallel()
	kiritimati, err := time.LoadLocation("Pacific/Kiritimati") // UTC+14: a different date from UTC most of the day
	require.NoError(t, err)
	nairobi, err := time.LoadLocation("Africa/Nairobi")
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		loc  *time.Location // nil: the default
		want *time.Location
	}{{"default timezone", nil, nairobi}, {"STORE_TIMEZONE", kiritimati, kiritimati}} {
		dbtest.Each(t, func(t *testing.T, db *database.DB) {
			shop := newStoreWith(t, db, nil, storeSetup{app: func(cfg *app.Config) { cfg.StoreLocation = c.loc }})
			require.NoError(t, seed.DemoShipping(context.Background(), shop.services.Shipping))
			var out struct {
				ShippingOptions []struct {
					Method struct {
						Name              string
						MinDays           int
						MaxDays           int
						SameDayCutoffHour *int
						EstimatedDelivery struct{ Earliest, Latest string }
					}
				}
			}
			before := time.Now()
			shop.op("DeliveryEstimates", map[string]any{"address": map[string]any{"countryCode": "KE", "town": "Nairobi"}, "subtotal": "1000"}, &out)
			after := time.Now()
			require.Len(t, out.ShippingOptions, 2)
			for _, o := range out.ShippingOptions {
				m := &ent.ShippingMethod{MinDays: o.Method.MinDays, MaxDays: o.Method.MaxDays, SameDayCutoffHour: o.Method.SameDayCutoffHour}
				got := [2]string{o.Method.EstimatedDelivery.Earliest, o.Method.EstimatedDelivery.Latest}
				// The request ran between before and after: a cutoff or
				// midnight may have passed meanwhile.
				var want []([2]string)
				for _, now := range []time.Time{before, after} {
					e, l := shipping.Estimate(m, now.In(c.want))
					want = append(want, [2]string{e.Format(time.DateOnly), l.Format(time.DateOnly)})
				}
				require.Contains(t, want, got, "%s: %s", c.name, o.Method.Name)
			}
		})
	}
}
