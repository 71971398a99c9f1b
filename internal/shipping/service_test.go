package shipping_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/internal/app/apptest"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/shipping"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// The API checkout and the pricing engine use: Options, Quote, ZoneFor
// and Weight, over the demo store's shipping.
func TestServiceForCheckout(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cfg := apptest.Config(t, db)
		cfg.ShippingDefaultWeightGrams = 500
		svc := apptest.New(t, cfg).Shipping
		ctx := context.Background()
		require.NoError(t, seed.DemoShipping(ctx, svc))

		nairobi := shipping.Address{CountryCode: "KE", Region: "Nairobi", Town: "Nairobi"}
		opts, err := svc.Options(ctx, nairobi, 100000, 0)
		require.NoError(t, err)
		require.Len(t, opts, 2)
		require.Equal(t, shippingmethod.KindPICKUP, opts[0].Method.Kind)
		require.Len(t, opts[0].Method.Edges.PickupPoints, 2)
		require.Equal(t, int64(25000), opts[1].PriceMinor, "KES 250.00")

		q, err := svc.Quote(ctx, opts[1].Method.ID, nairobi, 500000, 0)
		require.NoError(t, err)
		require.Equal(t, int64(0), q.PriceMinor, "free over KES 5,000")
		require.Equal(t, "Nairobi", q.Zone.Name)

		// A Nairobi method does not ship to Kisumu; nor does an inactive one.
		kisumu := shipping.Address{CountryCode: "KE", Region: "Kisumu", Town: "Kisumu"}
		_, err = svc.Quote(ctx, opts[1].Method.ID, kisumu, 100000, 0)
		require.ErrorIs(t, err, shipping.ErrUnavailable)
		z, err := svc.ZoneFor(ctx, kisumu)
		require.NoError(t, err)
		require.Equal(t, "Kisumu", z.Name)
		in := shipping.MethodInput{Name: "Nairobi same-day delivery", Kind: shippingmethod.KindDELIVERY, RateType: shippingmethod.RateTypeFLAT, Rate: ptr("250"), MaxDays: 1, Active: false}
		_, err = svc.UpdateMethod(viewer.System(ctx, "test: deactivate"), opts[1].Method.ID, in)
		require.NoError(t, err)
		_, err = svc.Quote(ctx, opts[1].Method.ID, nairobi, 100000, 0)
		require.ErrorIs(t, err, shipping.ErrUnavailable)

		// Weight: the variant's, or the store default.
		w := 1200
		require.Equal(t, int64(2*1200+3*500), svc.Weight([]shipping.Item{{WeightGrams: &w, Quantity: 2}, {Quantity: 3}}))

		// A refused write is an input error and changes nothing.
		_, err = svc.CreateZone(viewer.System(ctx, "test: overlap"), shipping.ZoneInput{Name: "Kenya", CountryCode: "KE"})
		var ie *input.Error
		require.True(t, errors.As(err, &ie))
		z, err = svc.ZoneFor(ctx, shipping.Address{CountryCode: "KE", Town: "Nakuru"})
		require.NoError(t, err)
		require.Equal(t, "Rest of Kenya", z.Name)
	})
}

func ptr[T any](v T) *T { return &v }
