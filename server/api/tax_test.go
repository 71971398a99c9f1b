package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// taxed is a TaxedMoney as the API shows it: amounts only (the currency
// is the store's, checked by the Money tests).
type taxed struct{ Net, Tax, Gross string }

func (t *taxed) UnmarshalJSON(b []byte) error {
	var m struct{ Net, Tax, Gross money }
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = taxed{m.Net.Amount, m.Tax.Amount, m.Gross.Amount}
	return nil
}

type taxLine struct {
	Name        string `json:"name"`
	ClassName   string `json:"className"`
	BasisPoints int    `json:"basisPoints"`
	Taxable     money  `json:"taxable"`
	Amount      money  `json:"amount"`
}

// taxFigures are the figures CartTaxes and OrderTaxes share.
type taxFigures struct {
	PricesIncludeTax bool `json:"pricesIncludeTax"`
	Lines            []struct {
		Quantity   int    `json:"quantity"`
		TaxClass   string `json:"taxClass"`
		LineTotal  money  `json:"lineTotal"`
		TaxedTotal taxed  `json:"taxedTotal"`
	} `json:"lines"`
	TaxedSubtotal taxed     `json:"taxedSubtotal"`
	TaxedShipping taxed     `json:"taxedShipping"`
	TaxedTotal    taxed     `json:"taxedTotal"`
	TaxLines      []taxLine `json:"taxLines"`
	Total         *money    `json:"total"`
}

// taxOp runs a tax admin mutation and returns its payload's object (at
// key) and userErrors.
func (s *store) taxOp(t *testing.T, name, field, key string, vars map[string]any) (map[string]any, []string) {
	t.Helper()
	resp := s.post(s.ops[name], name, vars)
	require.Empty(t, resp.Errors, "%s answered errors", name)
	var raw map[string]map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(resp.Data, &raw))
	p := raw[field]
	var obj map[string]any
	if len(p[key]) > 0 {
		require.NoError(t, json.Unmarshal(p[key], &obj))
	}
	var ues []userError
	require.NoError(t, json.Unmarshal(p["userErrors"], &ues))
	return obj, codesOf(ues)
}

// TestVAT sets up Kenyan VAT through the staff mutations, then prices a
// cart and places an order with prices that do not divide evenly: the VAT
// is exact to the cent on the cart and the order, the order keeps its
// figures after the rate changes, and the cart follows the new rate.
func TestVAT(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		alice, _ := s.asCustomer(t, "alice")

		// Refusals first, each with the path that works.
		require.Equal(t, []string{"FORBIDDEN"}, alice.post(s.ops["CreateTaxClass"], "CreateTaxClass", map[string]any{"input": map[string]any{"code": "standard", "name": "Standard"}}).codes())
		_, codes := staff.taxOp(t, "CreateTaxClass", "createTaxClass", "taxClass", map[string]any{"input": map[string]any{"code": "Not A Code", "name": ""}})
		require.ElementsMatch(t, []string{"INVALID", "REQUIRED"}, codes)
		standard, codes := staff.taxOp(t, "CreateTaxClass", "createTaxClass", "taxClass", map[string]any{"input": map[string]any{"code": "standard", "name": "Standard"}})
		require.Empty(t, codes)
		_, codes = staff.taxOp(t, "CreateTaxClass", "createTaxClass", "taxClass", map[string]any{"input": map[string]any{"code": "standard", "name": "Again"}})
		require.Equal(t, []string{"TAKEN"}, codes)
		zero, codes := staff.taxOp(t, "CreateTaxClass", "createTaxClass", "taxClass", map[string]any{"input": map[string]any{"code": "zero-rated", "name": "Zero-rated"}})
		require.Empty(t, codes)

		_, codes = staff.taxOp(t, "CreateTaxRate", "createTaxRate", "taxRate", map[string]any{"taxClassId": standard["id"], "input": map[string]any{"name": "VAT", "basisPoints": 10001}})
		require.Equal(t, []string{"INVALID"}, codes)
		vat, codes := staff.taxOp(t, "CreateTaxRate", "createTaxRate", "taxRate", map[string]any{"taxClassId": standard["id"], "input": map[string]any{"name": "VAT", "basisPoints": 1600}})
		require.Empty(t, codes)
		_, codes = staff.taxOp(t, "CreateTaxRate", "createTaxRate", "taxRate", map[string]any{"taxClassId": zero["id"], "input": map[string]any{"name": "VAT 0%", "basisPoints": 0}})
		require.Empty(t, codes)

		vs := stockedVariants(t, s, 2, 10)
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, vs[0].Update().SetPriceMinor(9999).Exec(ctx)) // 99.99: 3 of them do not divide by 1.16
		require.NoError(t, vs[1].Update().SetPriceMinor(5000).Exec(ctx))
		_, codes = staff.taxOp(t, "SetVariantTaxClass", "setVariantTaxClass", "variant", map[string]any{"variantId": scalar.EncodeID(vs[1].ID), "taxClassId": scalar.EncodeID(999999)})
		require.Equal(t, []string{"NOT_FOUND"}, codes)
		_, codes = staff.taxOp(t, "SetVariantTaxClass", "setVariantTaxClass", "variant", map[string]any{"variantId": scalar.EncodeID(vs[1].ID), "taxClassId": zero["id"]})
		require.Empty(t, codes)

		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 3), line(vs[1], 1)}})
		require.Empty(t, p.UserErrors)
		var cart map[string]taxFigures
		alice.op("CartTaxes", map[string]any{"id": p.Cart.ID}, &cart)
		// 299.97 at 16 % included: net 258.59, VAT 41.38; 50.00 zero-rated.
		c := cart["cart"]
		require.True(t, c.PricesIncludeTax)
		require.Equal(t, taxed{"258.59", "41.38", "299.97"}, c.Lines[0].TaxedTotal)
		require.Equal(t, taxed{"50.00", "0.00", "50.00"}, c.Lines[1].TaxedTotal)
		require.Equal(t, taxed{"308.59", "41.38", "349.97"}, c.TaxedSubtotal)
		require.Equal(t, taxed{"0.00", "0.00", "0.00"}, c.TaxedShipping)
		require.Equal(t, taxed{"308.59", "41.38", "349.97"}, c.TaxedTotal)
		require.Equal(t, []taxLine{
			{Name: "VAT", ClassName: "Standard", BasisPoints: 1600, Taxable: money{"258.59", "KES"}, Amount: money{"41.38", "KES"}},
			{Name: "VAT 0%", ClassName: "Zero-rated", BasisPoints: 0, Taxable: money{"50.00", "KES"}, Amount: money{"0.00", "KES"}},
		}, c.TaxLines)

		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "vat")))
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "349.97", out.PlaceOrder.Order.Total.Amount, "the total is the catalogue's, VAT included")
		var order map[string]json.RawMessage
		alice.op("OrderTaxes", map[string]any{"id": out.PlaceOrder.Order.ID}, &order)
		var placedFigures taxFigures
		require.NoError(t, json.Unmarshal(order["order"], &placedFigures))
		require.Equal(t, c.TaxedTotal, placedFigures.TaxedTotal)
		require.Equal(t, c.TaxLines, placedFigures.TaxLines)
		require.Equal(t, "Standard", placedFigures.Lines[0].TaxClass)
		require.Equal(t, taxed{"258.59", "41.38", "299.97"}, placedFigures.Lines[0].TaxedTotal)

		// The rate changes: carts follow at once, the placed order does not.
		_, codes = staff.taxOp(t, "UpdateTaxRate", "updateTaxRate", "taxRate", map[string]any{"id": vat["id"], "input": map[string]any{"basisPoints": -1}})
		require.Equal(t, []string{"INVALID"}, codes)
		_, codes = staff.taxOp(t, "UpdateTaxRate", "updateTaxRate", "taxRate", map[string]any{"id": vat["id"], "input": map[string]any{"basisPoints": 800}})
		require.Empty(t, codes)
		p = alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 3)}})
		alice.op("CartTaxes", map[string]any{"id": p.Cart.ID}, &cart)
		// 299.97 / 1.08 = 277.75 net, 22.22 VAT.
		require.Equal(t, taxed{"277.75", "22.22", "299.97"}, cart["cart"].TaxedTotal)
		var again map[string]json.RawMessage
		alice.op("OrderTaxes", map[string]any{"id": out.PlaceOrder.Order.ID}, &again)
		require.JSONEq(t, string(order["order"]), string(again["order"]), "a placed order keeps its tax")

		// The cart's taxes cost a fixed number of statements: the cart's
		// four, the tax setup's two and the running promotions' one,
		// however many lines.
		var sink map[string]any
		s.count.Reset()
		alice.op("CartTaxes", map[string]any{"id": p.Cart.ID}, &sink)
		n1 := s.count.Count()
		p = alice.cartOp(t, "CartLinesAdd", map[string]any{"cartId": p.Cart.ID, "lines": []any{line(vs[1], 2)}})
		s.count.Reset()
		alice.op("CartTaxes", map[string]any{"id": p.Cart.ID}, &sink)
		n2 := s.count.Count()
		require.Equal(t, n1, n2, "CartTaxes must not grow with the lines")
		require.LessOrEqual(t, n2, int64(7))
	})
}

// TestVATExclusive is a store whose prices exclude tax: VAT is added on
// top, computed once for the order and spread over the lines so that
// they add up (10 + 10 + 10 cents at 16 %: 5 cents, as 2 + 2 + 1).
func TestVATExclusive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{introspection: true, app: func(c *app.Config) {
			c.Checkout.PricesExcludeTax = true
		}})
		ctx := viewer.System(context.Background(), "test: set up")
		std := s.client.TaxClass.Create().SetCode("standard").SetName("Standard").SaveX(ctx)
		s.client.TaxRate.Create().SetTaxClass(std).SetName("VAT").SetBasisPoints(1600).ExecX(ctx)
		vs := stockedVariants(t, s, 3, 10)
		lines := []any{}
		for _, v := range vs {
			require.NoError(t, v.Update().SetPriceMinor(10).Exec(ctx))
			lines = append(lines, line(v, 1))
		}
		alice, _ := s.asCustomer(t, "alice")
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": lines})
		require.Equal(t, "0.30", p.Cart.Subtotal.Amount, "the subtotal is the catalogue's, net")
		var cart map[string]taxFigures
		alice.op("CartTaxes", map[string]any{"id": p.Cart.ID}, &cart)
		c := cart["cart"]
		require.False(t, c.PricesIncludeTax)
		require.Equal(t, []taxed{{"0.10", "0.02", "0.12"}, {"0.10", "0.02", "0.12"}, {"0.10", "0.01", "0.11"}},
			[]taxed{c.Lines[0].TaxedTotal, c.Lines[1].TaxedTotal, c.Lines[2].TaxedTotal})
		require.Equal(t, taxed{"0.30", "0.05", "0.35"}, c.TaxedTotal)

		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "net")))
		require.Empty(t, out.PlaceOrder.UserErrors)
		require.Equal(t, "0.35", out.PlaceOrder.Order.Total.Amount, "the customer pays the VAT on top")
		o, err := s.client.Order.Query().WithPayments().Where().First(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(35), o.Edges.Payments[0].AmountMinor)
		var order map[string]taxFigures
		alice.op("OrderTaxes", map[string]any{"id": out.PlaceOrder.Order.ID}, &order)
		require.Equal(t, c.TaxedTotal, order["order"].TaxedTotal)
		require.Equal(t, c.TaxLines, order["order"].TaxLines)
		require.Equal(t, c.Lines[2].TaxedTotal, order["order"].Lines[2].TaxedTotal)
	})
}

// TestVATOrderBeforeTax reads an order written before tax existed (no tax
// figures): it shows no tax lines, and its amounts are all gross.
func TestVATOrderBeforeTax(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		alice, aliceID := s.asCustomer(t, "alice")
		o := placed(t, s.client, func(c *ent.Client) *ent.OrderCreate {
			return c.Order.Create().SetCustomerID(aliceID).SetNumber("SV-1").SetCurrency("KES").
				SetSubtotalMinor(1234).SetTotalMinor(1234).SetIdempotencyKey("old").
				SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"})
		})
		var order map[string]*taxFigures
		alice.op("OrderTaxes", map[string]any{"id": scalar.EncodeID(o.ID)}, &order)
		require.NotNil(t, order["order"])
		require.Empty(t, order["order"].TaxLines)
		require.NotNil(t, order["order"].TaxLines, "[] rather than null")
		require.Equal(t, taxed{"12.34", "0.00", "12.34"}, order["order"].TaxedTotal)
	})
}
