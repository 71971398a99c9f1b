package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa/mpesatest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestGuestBuysWithNairobiDelivery is issue 14's storefront path end to
// end, as a guest: a guest cart ships to a Nairobi address, lists the
// Nairobi options, chooses same-day delivery, places the order with a
// phone number and no account (the address comes from the cart), gets
// the order's link by SMS with the total and its VAT, and pays the
// order, shipping included, by M-Pesa against the local Daraja. Placing
// before choosing is refused beside the path that works.
func TestGuestBuysWithNairobiDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newGuestShop(t, db, nil)
		ctx := context.Background()
		require.NoError(t, seed.DemoShipping(viewer.System(ctx, "test: set up"), sh.services.Shipping))
		cartID := sh.guestCart(t) // 2 × KES 1,500, VAT 16 % included

		set, codes := sh.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": cartID, "address": nairobiAddress})
		require.Empty(t, codes)
		require.Equal(t, []string{"Pick up in Nairobi 0.00", "Nairobi same-day delivery 250.00"}, set.optionNames())

		vars := func(key string) map[string]any {
			return map[string]any{"input": map[string]any{
				"cartId": cartID, "paymentMethod": "MPESA", "idempotencyKey": key,
				"contact": map[string]any{"phone": "+254711222333"},
			}}
		}
		refused := sh.post(sh.ops["GuestPlaceOrder"], "GuestPlaceOrder", vars("g-none"))
		require.Empty(t, refused.Errors)
		require.Contains(t, string(refused.Data), "SHIPPING_REQUIRED", "methods exist: a shippable order needs a choice")

		chosen, codes := sh.shipOp(t, "CartSelectShippingOption", map[string]any{
			"cartId": cartID, "optionId": set.option(t, "Nairobi same-day delivery").Method.ID,
		})
		require.Empty(t, codes)
		require.Equal(t, "Nairobi same-day delivery", chosen.SelectedShippingOption.Method.Name)
		require.Equal(t, taxed{Net: "2801.72", Tax: "448.28", Gross: "3250.00"}, chosen.TaxedTotal,
			"VAT once on 3,250.00 (16/116 of it, rounded to the cent)")
		require.Equal(t, "250.00", chosen.TaxedShipping.Gross)
		lineTax := int64(0)
		for _, l := range chosen.Lines {
			lineTax += cents(t, l.TaxedTotal.Tax)
		}
		require.Equal(t, cents(t, chosen.TaxedTotal.Tax), lineTax+cents(t, chosen.TaxedShipping.Tax), "lines and shipping add up to the total's VAT")

		resp := sh.post(sh.ops["GuestPlaceOrder"], "GuestPlaceOrder", vars("g-1"))
		require.Empty(t, resp.Errors)
		var out guestPlaced
		require.NoError(t, json.Unmarshal(resp.Data, &out))
		require.Empty(t, out.PlaceOrder.UserErrors)
		o := out.PlaceOrder.Order
		require.Equal(t, "3250.00", o.Total.Amount)

		// The link comes by SMS to the contact, with the total and VAT.
		sms := sh.linkSMS(t, "+254711222333")
		require.Contains(t, sms.Body, o.Number)
		require.Contains(t, sms.Body, "3,250.00")
		require.Contains(t, sms.Body, "448.28")
		token := tokenOf(t, sms.Body)

		// The guest reads the order with its delivery and pays it all.
		_, r, _ := sh.withToken(t, token, "Order", map[string]any{"id": o.ID})
		require.Contains(t, string(r.Data), o.Number)
		_, r, _ = sh.withToken(t, token, "GuestPayOrder", map[string]any{"method": "MPESA", "phone": "0711222333"})
		require.Empty(t, r.Errors)
		require.NotContains(t, string(r.Data), `"code"`)
		pushes := sh.daraja.PushesFor(o.Number)
		require.Len(t, pushes, 1)
		require.EqualValues(t, 3250, pushes[0].Amount, "goods and delivery")
		require.Equal(t, "254711222333", pushes[0].PhoneNumber)
		require.NoError(t, sh.daraja.Resolve(ctx, pushes[0].CheckoutRequestID, mpesatest.Success("RCPTNBO1"), 1))
		require.Equal(t, "CONFIRMED", sh.guestOrder(t, token).GuestOrder.Status)

		// The order keeps the delivery it was placed with.
		_, r, _ = sh.withToken(t, token, "OrderShipping", map[string]any{"id": o.ID})
		require.Empty(t, r.Errors)
		var got struct{ Order orderShipping }
		require.NoError(t, json.Unmarshal(r.Data, &got))
		shipped := got.Order
		require.Equal(t, "Nairobi same-day delivery", shipped.ShippingMethod.Name)
		require.Equal(t, "DELIVERY", shipped.ShippingMethod.Kind)
		require.Nil(t, shipped.ShippingMethod.PickupPoint)
		require.Equal(t, "Kenyatta Avenue 5", shipped.ShippingAddress.Line1)
		require.Equal(t, taxed{Net: "2801.72", Tax: "448.28", Gross: "3250.00"}, shipped.TaxedTotal)
		require.Equal(t, "250.00", shipped.TaxedShipping.Gross)
	})
}

// cents is a decimal amount such as "448.28" in minor units.
func cents(t *testing.T, amount string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.Replace(amount, ".", "", 1), 10, 64)
	require.NoError(t, err, amount)
	return n
}
