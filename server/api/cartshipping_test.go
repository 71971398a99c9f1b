package api_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/ent/shippingzone"
	"github.com/savannah-commerce/savannah/ent/taxclass"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type shipOption struct {
	Method struct {
		ID           string `json:"id"`
		Name         string `json:"name"`
		Kind         string `json:"kind"`
		PickupPoints []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"pickupPoints"`
	} `json:"method"`
	Price money `json:"price"`
}

// shipCart is a cart as CartShippingFields shows it.
type shipCart struct {
	ID              string `json:"id"`
	ShippingAddress *struct {
		Line1, City, CountryCode string
	} `json:"shippingAddress"`
	ShippingOptions        []shipOption `json:"shippingOptions"`
	SelectedShippingOption *shipOption  `json:"selectedShippingOption"`
	SelectedPickupPoint    *struct {
		ID, Name string
	} `json:"selectedPickupPoint"`
	Lines []struct {
		TaxedTotal taxed `json:"taxedTotal"`
	} `json:"lines"`
	TaxedSubtotal taxed     `json:"taxedSubtotal"`
	TaxedShipping taxed     `json:"taxedShipping"`
	TaxedTotal    taxed     `json:"taxedTotal"`
	TaxLines      []taxLine `json:"taxLines"`
}

// optionNames are "name price" of each option, in order.
func (c shipCart) optionNames() []string {
	out := make([]string, len(c.ShippingOptions))
	for i, o := range c.ShippingOptions {
		out[i] = o.Method.Name + " " + o.Price.Amount
	}
	return out
}

// option is the cart's option of the method named name.
func (c shipCart) option(t *testing.T, name string) shipOption {
	t.Helper()
	for _, o := range c.ShippingOptions {
		if o.Method.Name == name {
			return o
		}
	}
	t.Fatalf("no option %q in %v", name, c.optionNames())
	return shipOption{}
}

// shipCart reads the cart with CartShipping.
func (s *store) shipCart(t *testing.T, id string) shipCart {
	t.Helper()
	var out struct{ Cart shipCart }
	s.op("CartShipping", map[string]any{"id": id}, &out)
	return out.Cart
}

// shipOp runs CartSetShippingAddress or CartSelectShippingOption.
func (s *store) shipOp(t *testing.T, name string, vars map[string]any) (*shipCart, []string) {
	t.Helper()
	resp := s.post(s.ops[name], name, vars)
	require.Empty(t, resp.Errors, "%s answered errors", name)
	var out map[string]struct {
		Cart       *shipCart   `json:"cart"`
		UserErrors []userError `json:"userErrors"`
	}
	require.NoError(t, json.Unmarshal(resp.Data, &out))
	for _, p := range out {
		return p.Cart, codesOf(p.UserErrors)
	}
	t.Fatalf("%s: no payload", name)
	return nil, nil
}

// placeFromCart places the cart's order with the cart's address: the
// input names none.
func (s *store) placeFromCart(t *testing.T, cartID, key string, address map[string]any) placePayload {
	t.Helper()
	in := map[string]any{"cartId": cartID, "paymentMethod": "CASH_ON_DELIVERY", "idempotencyKey": key}
	if address != nil {
		in["shippingAddress"] = address
	}
	return decodePlace(t, s.post(s.ops["PlaceOrder"], "PlaceOrder", map[string]any{"input": in}))
}

// orderShipping is an order as OrderShipping shows it.
type orderShipping struct {
	Total           money `json:"total"`
	ShippingTotal   money `json:"shippingTotal"`
	ShippingAddress struct {
		Name, Line1, City string
	} `json:"shippingAddress"`
	ShippingMethod *struct {
		Name        string `json:"name"`
		Kind        string `json:"kind"`
		PickupPoint *struct {
			Name    string `json:"name"`
			Address struct {
				Line1, City, CountryCode string
			} `json:"address"`
			OpeningHours string `json:"openingHours"`
			Phone        string `json:"phone"`
		} `json:"pickupPoint"`
	} `json:"shippingMethod"`
	TaxedShipping taxed     `json:"taxedShipping"`
	TaxedTotal    taxed     `json:"taxedTotal"`
	TaxLines      []taxLine `json:"taxLines"`
}

func (s *store) orderShipping(t *testing.T, id string) (orderShipping, json.RawMessage) {
	t.Helper()
	var raw map[string]json.RawMessage
	s.op("OrderShipping", map[string]any{"id": id}, &raw)
	var o orderShipping
	require.NoError(t, json.Unmarshal(raw["order"], &o))
	return o, raw["order"]
}

var (
	nairobiAddress = map[string]any{"line1": "Kenyatta Avenue 5", "city": "Nairobi", "countryCode": "KE", "phone": "+254712345678"}
	mombasaAddress = map[string]any{"line1": "Nyali Road 2", "city": "Nyali", "region": "Mombasa", "countryCode": "KE"}
)

// shippingStore is the demo catalogue with the demo store's VAT and
// shipping, and two variants at KES 99.99 in the standard class (three
// of them do not divide by 1.16).
func shippingStore(t *testing.T, db *database.DB, withShipping bool, configure ...func(*app.Config)) (*store, []*ent.ProductVariant) {
	t.Helper()
	s := newStoreWith(t, db, demoCatalog(t), storeSetup{introspection: true, app: func(cfg *app.Config) {
		for _, f := range configure {
			f(cfg)
		}
	}})
	ctx := viewer.System(context.Background(), "test: set up")
	require.NoError(t, seed.LoadTax(ctx, s.client, seed.DemoTax()))
	if withShipping {
		require.NoError(t, seed.DemoShipping(ctx, s.services.Shipping))
	}
	vs := stockedVariants(t, s, 2, 50)
	for i, v := range vs {
		vs[i] = v.Update().SetPriceMinor(9999).ClearTaxClassID().SaveX(ctx)
	}
	return s, vs
}

func methodID(t *testing.T, s *store, name string) string {
	t.Helper()
	m, err := s.client.ShippingMethod.Query().Where(shippingmethod.Name(name)).Only(viewer.System(context.Background(), "test: find a method"))
	require.NoError(t, err)
	return scalar.EncodeID(m.ID)
}

// TestCartShippingDelivery: a customer ships to Nairobi. The cart lists
// the Nairobi options priced for it; every refusal (no address, a
// delivery with a pickup point, a pickup without one, another zone's
// method, placing with nothing chosen) sits beside the call that works;
// the cart and the order show shipping and VAT exact to the cent, and
// the order keeps them when rates change.
func TestCartShippingDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		alice, _ := s.asCustomer(t, "alice")
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 3)}})
		id := p.Cart.ID

		c := alice.shipCart(t, id)
		require.Nil(t, c.ShippingAddress)
		require.Empty(t, c.ShippingOptions, "no address, no options")
		require.Nil(t, c.SelectedShippingOption)
		_, codes := alice.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": methodID(t, s, "Nairobi same-day delivery")})
		require.Equal(t, []string{"REQUIRED"}, codes, "an address comes first")
		out := alice.placeFromCart(t, id, "no-address", nil)
		require.Equal(t, []string{"REQUIRED"}, codesOf(out.PlaceOrder.UserErrors))

		_, codes = alice.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id})
		require.Equal(t, []string{"REQUIRED"}, codes)
		_, codes = alice.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress, "addressId": scalar.EncodeID(1)})
		require.Equal(t, []string{"INVALID"}, codes)
		_, codes = alice.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": map[string]any{"line1": " ", "city": "Nairobi", "countryCode": "Kenya"}})
		require.ElementsMatch(t, []string{"REQUIRED", "INVALID"}, codes)
		set, codes := alice.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
		require.Empty(t, codes)
		require.Equal(t, "Nairobi", set.ShippingAddress.City)
		require.Equal(t, []string{"Pick up in Nairobi 0.00", "Nairobi same-day delivery 250.00"}, set.optionNames())
		require.Len(t, set.option(t, "Pick up in Nairobi").Method.PickupPoints, 2)

		// Methods exist: placing needs a choice, and a refusal writes nothing.
		out = alice.placeFromCart(t, id, "no-choice", nil)
		require.Equal(t, []string{"SHIPPING_REQUIRED"}, codesOf(out.PlaceOrder.UserErrors))
		require.Nil(t, out.PlaceOrder.Order)
		require.Len(t, alice.shipCart(t, id).Lines, 1, "the cart is as it was")

		delivery := set.option(t, "Nairobi same-day delivery")
		pickup := set.option(t, "Pick up in Nairobi")
		for _, tc := range []struct {
			vars map[string]any
			code string
		}{
			{map[string]any{"optionId": delivery.Method.ID, "pickupPointId": pickup.Method.PickupPoints[0].ID}, "INVALID"},
			{map[string]any{"optionId": pickup.Method.ID}, "REQUIRED"},
			{map[string]any{"optionId": pickup.Method.ID, "pickupPointId": scalar.EncodeID(999999)}, "NOT_FOUND"},
			{map[string]any{"optionId": methodID(t, s, "Mombasa delivery")}, "SHIPPING_UNAVAILABLE"},
			{map[string]any{"optionId": "not-an-id"}, "NOT_FOUND"},
		} {
			tc.vars["cartId"] = id
			_, codes := alice.shipOp(t, "CartSelectShippingOption", tc.vars)
			require.Equal(t, []string{tc.code}, codes, "%v", tc.vars)
		}
		// A pickup first, then delivery after all.
		chosen, codes := alice.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": pickup.Method.ID, "pickupPointId": pickup.Method.PickupPoints[0].ID})
		require.Empty(t, codes)
		require.Equal(t, pickup.Method.PickupPoints[0].Name, chosen.SelectedPickupPoint.Name)
		chosen, codes = alice.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": delivery.Method.ID})
		require.Empty(t, codes)
		require.Equal(t, "Nairobi same-day delivery", chosen.SelectedShippingOption.Method.Name)
		require.Nil(t, chosen.SelectedPickupPoint)

		// 3 × 99.99 and 250.00 shipping, both 16 % VAT included: the VAT
		// of 549.97 is 75.86 (net 474.11), spread 41.38 and 34.48.
		c = alice.shipCart(t, id)
		require.Equal(t, taxed{"258.59", "41.38", "299.97"}, c.Lines[0].TaxedTotal)
		require.Equal(t, taxed{"258.59", "41.38", "299.97"}, c.TaxedSubtotal)
		require.Equal(t, taxed{"215.52", "34.48", "250.00"}, c.TaxedShipping)
		require.Equal(t, taxed{"474.11", "75.86", "549.97"}, c.TaxedTotal)
		vat := []taxLine{{Name: "VAT 16%", ClassName: "Standard", BasisPoints: 1600, Taxable: money{"474.11", "KES"}, Amount: money{"75.86", "KES"}}}
		require.Equal(t, vat, c.TaxLines)

		// The input names no address: the cart's is the order's.
		out = alice.placeFromCart(t, id, "delivery", nil)
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "549.97", out.PlaceOrder.Order.Total.Amount)
		o, before := alice.orderShipping(t, out.PlaceOrder.Order.ID)
		require.Equal(t, "250.00", o.ShippingTotal.Amount)
		require.Equal(t, "Kenyatta Avenue 5", o.ShippingAddress.Line1)
		require.Equal(t, "alice", o.ShippingAddress.Name)
		require.Equal(t, "Nairobi same-day delivery", o.ShippingMethod.Name)
		require.Equal(t, "DELIVERY", o.ShippingMethod.Kind)
		require.Nil(t, o.ShippingMethod.PickupPoint)
		require.Equal(t, taxed{"215.52", "34.48", "250.00"}, o.TaxedShipping)
		require.Equal(t, taxed{"474.11", "75.86", "549.97"}, o.TaxedTotal)
		require.Equal(t, vat, o.TaxLines)

		// Shipping and VAT rates change: the placed order does not.
		ctx := viewer.System(context.Background(), "test: change rates")
		require.NoError(t, s.client.ShippingMethod.Update().Where(shippingmethod.Name("Nairobi same-day delivery")).SetRateMinor(99900).SetName("Renamed").Exec(ctx))
		require.NoError(t, s.client.TaxRate.Update().SetBasisPoints(800).Exec(ctx))
		_, after := alice.orderShipping(t, out.PlaceOrder.Order.ID)
		require.JSONEq(t, string(before), string(after))
	})
}

// TestCartShippingPickup: a customer picks up at a pickup point, with an
// address from their book, end to end; the order keeps the point's name
// and address.
func TestCartShippingPickup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		bob, _ := s.asCustomer(t, "bob")
		var added struct {
			AddAddress struct {
				Address struct{ ID string } `json:"address"`
			} `json:"addAddress"`
		}
		bob.op("AddAddress", map[string]any{"input": nairobiAddress}, &added)
		p := bob.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[1], 2)}})
		id := p.Cart.ID

		// A guest has no address book; a new address works for anyone.
		guest := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[1], 1)}})
		_, codes := s.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": guest.Cart.ID, "addressId": added.AddAddress.Address.ID})
		require.Equal(t, []string{"NOT_FOUND"}, codes)
		_, codes = s.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": guest.Cart.ID, "address": nairobiAddress})
		require.Empty(t, codes)
		// Nor may anyone else use bob's cart.
		_, codes = s.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
		require.Equal(t, []string{"NOT_FOUND"}, codes)

		c, codes := bob.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "addressId": added.AddAddress.Address.ID})
		require.Empty(t, codes)
		require.Equal(t, "Kenyatta Avenue 5", c.ShippingAddress.Line1)
		pickup := c.option(t, "Pick up in Nairobi")
		require.Equal(t, "PICKUP", pickup.Method.Kind)
		point := pickup.Method.PickupPoints[1]
		c, codes = bob.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": pickup.Method.ID, "pickupPointId": point.ID})
		require.Empty(t, codes)
		require.Equal(t, "Pick up in Nairobi", c.SelectedShippingOption.Method.Name)
		require.Equal(t, point.Name, c.SelectedPickupPoint.Name)
		require.Equal(t, taxed{"0.00", "0.00", "0.00"}, c.TaxedShipping)
		require.Equal(t, taxed{"172.40", "27.58", "199.98"}, c.TaxedTotal)

		out := bob.placeFromCart(t, id, "pickup", nil)
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "199.98", out.PlaceOrder.Order.Total.Amount)
		o, _ := bob.orderShipping(t, out.PlaceOrder.Order.ID)
		require.Equal(t, "PICKUP", o.ShippingMethod.Kind)
		require.Equal(t, "Pick up in Nairobi", o.ShippingMethod.Name)
		pp := o.ShippingMethod.PickupPoint
		require.NotNil(t, pp)
		require.Equal(t, "CBD agent (Moi Avenue)", pp.Name)
		require.Equal(t, "Moi Avenue, Ground floor", pp.Address.Line1)
		require.Equal(t, "Nairobi", pp.Address.City)
		require.Equal(t, "+254711000002", pp.Phone)
		require.NotEmpty(t, pp.OpeningHours)
		require.Equal(t, "0.00", o.ShippingTotal.Amount)
	})
}

// TestCartShippingUnavailable: a choice that no longer applies (another
// address, a method switched off) is dropped from the cart and refused by
// placeOrder with SHIPPING_UNAVAILABLE, writing nothing; choosing again
// places the order.
func TestCartShippingUnavailable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		carol, _ := s.asCustomer(t, "carol")
		p := carol.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		id := p.Cart.ID
		c, _ := carol.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
		delivery, pickup := c.option(t, "Nairobi same-day delivery"), c.option(t, "Pick up in Nairobi")
		_, codes := carol.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": delivery.Method.ID})
		require.Empty(t, codes)

		// Another address: the Nairobi choice goes.
		c, codes = carol.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": mombasaAddress})
		require.Empty(t, codes)
		require.Nil(t, c.SelectedShippingOption)
		require.Equal(t, []string{"Mombasa delivery 400.00"}, c.optionNames())
		c, _ = carol.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
		require.Nil(t, c.SelectedShippingOption, "a dropped choice does not come back")
		_, codes = carol.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": delivery.Method.ID})
		require.Empty(t, codes)

		// The order's own address is outside the choice's zone.
		out := carol.placeFromCart(t, id, "elsewhere", mombasaAddress)
		require.Equal(t, []string{"SHIPPING_UNAVAILABLE"}, codesOf(out.PlaceOrder.UserErrors))

		// Staff switch the method off.
		ctx := viewer.System(context.Background(), "test: switch a method off")
		require.NoError(t, s.client.ShippingMethod.Update().Where(shippingmethod.Name("Nairobi same-day delivery")).SetActive(false).Exec(ctx))
		cc := carol.shipCart(t, id)
		require.Nil(t, cc.SelectedShippingOption)
		require.Equal(t, []string{"Pick up in Nairobi 0.00"}, cc.optionNames())
		out = carol.placeFromCart(t, id, "switched-off", nil)
		require.Equal(t, []string{"SHIPPING_UNAVAILABLE"}, codesOf(out.PlaceOrder.UserErrors))
		n, err := s.client.Order.Query().Where(order.IdempotencyKeyIn("elsewhere", "switched-off")).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "nothing written")
		v, err := s.client.ProductVariant.Get(ctx, vs[0].ID)
		require.NoError(t, err)
		require.Zero(t, v.Reserved, "no stock held")

		// A pickup point closes: choosing it is refused, another works.
		require.NoError(t, s.client.PickupPoint.UpdateOneID(mustDecode(t, pickup.Method.PickupPoints[0].ID)).SetActive(false).Exec(ctx))
		_, codes = carol.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": pickup.Method.ID, "pickupPointId": pickup.Method.PickupPoints[0].ID})
		require.Equal(t, []string{"NOT_FOUND"}, codes)
		_, codes = carol.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": pickup.Method.ID, "pickupPointId": pickup.Method.PickupPoints[1].ID})
		require.Empty(t, codes)
		out = carol.placeFromCart(t, id, "pickup", nil)
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "99.99", out.PlaceOrder.Order.Total.Amount)
	})
}

func mustDecode(t *testing.T, id string) int {
	t.Helper()
	n, err := scalar.DecodeID(id)
	require.NoError(t, err)
	return n
}

// TestNoShippingMethodsStore: a store without shipping methods places
// orders as before (free shipping, no choice), with the input's address
// or the cart's; once it has methods, an order needs a choice.
func TestNoShippingMethodsStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, false)
		dan, _ := s.asCustomer(t, "dan")
		p := dan.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		out := decodePlace(t, dan.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "as-before")))
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "99.99", out.PlaceOrder.Order.Total.Amount)
		o, _ := dan.orderShipping(t, out.PlaceOrder.Order.ID)
		require.Nil(t, o.ShippingMethod)
		require.Equal(t, "0.00", o.ShippingTotal.Amount)

		p = dan.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		c, codes := dan.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": p.Cart.ID, "address": nairobiAddress})
		require.Empty(t, codes)
		require.Empty(t, c.ShippingOptions)
		out = dan.placeFromCart(t, p.Cart.ID, "cart-address", nil)
		require.Empty(t, out.PlaceOrder.UserErrors)
		o, _ = dan.orderShipping(t, out.PlaceOrder.Order.ID)
		require.Equal(t, "Kenyatta Avenue 5", o.ShippingAddress.Line1)

		require.NoError(t, seed.DemoShipping(context.Background(), s.services.Shipping))
		p = dan.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		out = decodePlace(t, dan.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "now-it-ships")))
		require.Equal(t, []string{"SHIPPING_REQUIRED"}, codesOf(out.PlaceOrder.UserErrors))
	})
}

// TestZoneTaxRate: staff give a class a rate for a shipping zone; it
// replaces the class's zone-less rate for addresses in that zone, and
// only there.
func TestZoneTaxRate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		ctx := viewer.System(context.Background(), "test: a zone's rate")
		nairobi := s.client.ShippingZone.Query().Where(shippingzone.Name("Nairobi")).OnlyX(ctx)
		standard := s.client.TaxClass.Query().Where(taxclass.Code("standard")).OnlyX(ctx)
		staff := s.asStaff()
		in := map[string]any{"name": "VAT Nairobi", "basisPoints": 800, "zoneId": scalar.EncodeID(999999)}
		_, codes := staff.taxOp(t, "CreateTaxRate", "createTaxRate", "taxRate", map[string]any{"taxClassId": scalar.EncodeID(standard.ID), "input": in})
		require.Equal(t, []string{"NOT_FOUND"}, codes, "no such zone")
		in["zoneId"] = scalar.EncodeID(nairobi.ID)
		_, codes = staff.taxOp(t, "CreateTaxRate", "createTaxRate", "taxRate", map[string]any{"taxClassId": scalar.EncodeID(standard.ID), "input": in})
		require.Empty(t, codes)

		eve, _ := s.asCustomer(t, "eve")
		p := eve.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 3)}})
		c, _ := eve.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": p.Cart.ID, "address": nairobiAddress})
		require.Equal(t, taxed{"277.75", "22.22", "299.97"}, c.TaxedTotal)
		require.Equal(t, "VAT Nairobi", c.TaxLines[0].Name)
		c, _ = eve.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": p.Cart.ID, "address": mombasaAddress})
		require.Equal(t, taxed{"258.59", "41.38", "299.97"}, c.TaxedTotal)
		require.Equal(t, "VAT 16%", c.TaxLines[0].Name)
	})
}

// TestCartMergeKeepsShipping: the address and option a guest chose carry
// over when they sign in and merge the cart.
func TestCartMergeKeepsShipping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		guest := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		c, codes := s.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": guest.Cart.ID, "address": nairobiAddress})
		require.Empty(t, codes)
		_, codes = s.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": guest.Cart.ID, "optionId": c.option(t, "Nairobi same-day delivery").Method.ID})
		require.Empty(t, codes)

		frank, _ := s.asCustomer(t, "frank")
		merged := frank.cartOp(t, "CartMerge", map[string]any{"guestCartId": guest.Cart.ID})
		require.Empty(t, merged.UserErrors)
		own := frank.shipCart(t, merged.Cart.ID)
		require.Equal(t, "Kenyatta Avenue 5", own.ShippingAddress.Line1)
		require.Equal(t, "Nairobi same-day delivery", own.SelectedShippingOption.Method.Name)
		out := frank.placeFromCart(t, merged.Cart.ID, "merged", nil)
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "349.99", out.PlaceOrder.Order.Total.Amount)
	})
}

// TestCartShippingRaces: concurrent address changes and choices on one
// cart never leave it with a choice its address is not offered: each
// write sees the one before it (the cart's lock, then a fresh read).
func TestCartShippingRaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true)
		p := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		id := p.Cart.ID
		c, _ := s.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
		delivery := c.option(t, "Nairobi same-day delivery").Method.ID
		for round := range 3 {
			var wg sync.WaitGroup
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var resp gqlResponse
					switch i % 3 {
					case 0:
						resp = s.post(s.ops["CartSetShippingAddress"], "CartSetShippingAddress", map[string]any{"cartId": id, "address": mombasaAddress})
					case 1:
						resp = s.post(s.ops["CartSetShippingAddress"], "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
					default:
						resp = s.post(s.ops["CartSelectShippingOption"], "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": delivery})
					}
					assert.Empty(t, resp.Errors)
				}()
			}
			wg.Wait()
			crt, err := s.client.Cart.Query().Where(cart.Token(id)).Only(viewer.System(context.Background(), "test: read the cart"))
			require.NoError(t, err)
			if crt.ShippingMethodID != nil {
				require.Equal(t, "Nairobi", crt.ShippingAddress.City, "round %d: a Nairobi choice on a %s address", round, crt.ShippingAddress.City)
			}
		}
	})
}

// TestShippingTaxClass: with TAX_SHIPPING_CLASS, shipping is taxed in its
// own class (here zero-rated) while the lines keep theirs; by default it
// is the standard class (TestCartShippingDelivery).
func TestShippingTaxClass(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, vs := shippingStore(t, db, true, func(cfg *app.Config) { cfg.Checkout.ShippingTaxClass = "zero-rated" })
		grace, _ := s.asCustomer(t, "grace")
		p := grace.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 3)}})
		c, _ := grace.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": p.Cart.ID, "address": nairobiAddress})
		c, codes := grace.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": p.Cart.ID, "optionId": c.option(t, "Nairobi same-day delivery").Method.ID})
		require.Empty(t, codes)
		require.Equal(t, taxed{"250.00", "0.00", "250.00"}, c.TaxedShipping)
		require.Equal(t, taxed{"508.59", "41.38", "549.97"}, c.TaxedTotal)
		require.Equal(t, []taxLine{
			{Name: "VAT 16%", ClassName: "Standard", BasisPoints: 1600, Taxable: money{"258.59", "KES"}, Amount: money{"41.38", "KES"}},
			{Name: "VAT 0%", ClassName: "Zero-rated", BasisPoints: 0, Taxable: money{"250.00", "KES"}, Amount: money{"0.00", "KES"}},
		}, c.TaxLines)
		out := grace.placeFromCart(t, p.Cart.ID, "zero-rated-shipping", nil)
		require.Empty(t, out.PlaceOrder.UserErrors)
		o, _ := grace.orderShipping(t, out.PlaceOrder.Order.ID)
		require.Equal(t, c.TaxedShipping, o.TaxedShipping)
		require.Equal(t, c.TaxLines, o.TaxLines)
	})
}
