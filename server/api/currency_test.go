package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// TestStoreCurrency runs a store in KES (two decimals) and one in UGX (no
// decimals) through the real HTTP handler: a price is read in the store's
// currency and every amount is shown with its decimals, so UGX 1,500 is
// "1500", never "15.00", and KES 1,500 stays "1500.00". A price with more
// decimals than the currency has is refused as a userError, next to the
// same product created with a price that fits.
func TestStoreCurrency(t *testing.T) {
	for _, tt := range []struct {
		currency            string
		price, shown, total string
		tooFine, why        string
	}{
		{"KES", "1500", "1500.00", "3000.00", "1500.005", "a price has at most two decimals"},
		{"UGX", "1500", "1500", "3000", "1500.5", "a price has no decimals"},
	} {
		t.Run(tt.currency, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				s := newStoreWith(t, db, nil, storeSetup{introspection: true, app: func(c *app.Config) { c.Currency = tt.currency }})
				staff := s.asStaff()
				var cat struct {
					P categoryPayload `json:"createCategory"`
				}
				staff.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Vitenge"}}, &cat)
				require.Empty(t, cat.P.UserErrors)
				create := func(sku, price string) productPayload {
					var out struct {
						P productPayload `json:"createProduct"`
					}
					staff.op("CreateProduct", map[string]any{"input": map[string]any{
						"name": "Kitenge " + sku, "status": "ACTIVE", "categoryID": cat.P.Category.ID,
						"variants": []map[string]any{{"sku": sku, "name": "6 yards", "price": price, "stockOnHand": 10}},
					}}, &out)
					return out.P
				}

				// Too many decimals for the currency: refused, nothing written.
				bad := create("KIT-BAD", tt.tooFine)
				require.Nil(t, bad.Product)
				requireUserError(t, bad.UserErrors, "INVALID", "input", "variants", "0", "price")
				require.Equal(t, tt.why, bad.UserErrors[0].Message)

				// A price that fits is shown in the store's currency.
				p := create("KIT-1", tt.price)
				require.Empty(t, p.UserErrors)
				require.Equal(t, money{Amount: tt.shown, CurrencyCode: tt.currency}, p.Product.Variants[0].Price)
				requirePriceRange(t, s, p.Product.Slug, tt.shown, tt.shown)

				// A cart and the order placed from it.
				shopper, _ := s.asCustomer(t, "nakato")
				variant := map[string]any{"variantId": p.Product.Variants[0].ID, "quantity": 2}
				c := shopper.cartOp(t, "CartCreate", map[string]any{"lines": []any{variant}})
				require.Empty(t, c.UserErrors)
				require.Equal(t, money{Amount: tt.total, CurrencyCode: tt.currency}, c.Cart.Subtotal)
				require.Equal(t, money{Amount: tt.total, CurrencyCode: tt.currency}, c.Cart.Lines[0].LineTotal)
				placed := decodePlace(t, shopper.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(c.Cart.ID, "currency-"+tt.currency)))
				require.Empty(t, placed.PlaceOrder.UserErrors)
				require.Equal(t, money{Amount: tt.total, CurrencyCode: tt.currency}, placed.PlaceOrder.Order.Total)
			})
		})
	}
}
