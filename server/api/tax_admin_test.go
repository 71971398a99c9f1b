package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/taxclass"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestTaxAdmin: staff rename a tax class, delete rates and classes; a
// class still in use (by variants or rates) or the store's default class
// is refused, each paired with the path that works; a placed order keeps
// every figure and name it was placed with.
func TestTaxAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		alice, _ := s.asCustomer(t, "alice")
		class := func(code, name string) map[string]any {
			c, codes := staff.taxOp(t, "CreateTaxClass", "createTaxClass", "taxClass", map[string]any{"input": map[string]any{"code": code, "name": name}})
			require.Empty(t, codes)
			return c
		}
		rate := func(classID any, name string, bp int) map[string]any {
			r, codes := staff.taxOp(t, "CreateTaxRate", "createTaxRate", "taxRate", map[string]any{"taxClassId": classID, "input": map[string]any{"name": name, "basisPoints": bp}})
			require.Empty(t, codes)
			return r
		}
		standard := class("standard", "Standard")
		vat := rate(standard["id"], "VAT", 1600)
		luxury := class("luxury", "Luxury")
		levy := rate(luxury["id"], "Levy", 1000)
		unused := class("unused", "Unused")

		vs := stockedVariants(t, s, 1, 10)
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, vs[0].Update().SetPriceMinor(11000).Exec(ctx))
		_, codes := staff.taxOp(t, "SetVariantTaxClass", "setVariantTaxClass", "variant", map[string]any{"variantId": scalar.EncodeID(vs[0].ID), "taxClassId": luxury["id"]})
		require.Empty(t, codes)

		// An order placed at the Luxury class's 10 % levy.
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "tax-admin")))
		require.Empty(t, out.PlaceOrder.UserErrors)
		var before map[string]json.RawMessage
		alice.op("OrderTaxes", map[string]any{"id": out.PlaceOrder.Order.ID}, &before)
		var placedFigures taxFigures
		require.NoError(t, json.Unmarshal(before["order"], &placedFigures))
		require.Equal(t, "Luxury", placedFigures.Lines[0].TaxClass)
		require.Equal(t, taxed{"100.00", "10.00", "110.00"}, placedFigures.TaxedTotal)

		// Only staff.
		require.Equal(t, []string{"FORBIDDEN"}, alice.post(s.ops["RenameTaxClass"], "RenameTaxClass", map[string]any{"id": luxury["id"], "input": map[string]any{"name": "Mine"}}).codes())
		require.Equal(t, []string{"FORBIDDEN"}, alice.post(s.ops["DeleteTaxClass"], "DeleteTaxClass", map[string]any{"id": unused["id"]}).codes())
		require.Equal(t, []string{"FORBIDDEN"}, alice.post(s.ops["DeleteTaxRate"], "DeleteTaxRate", map[string]any{"id": levy["id"]}).codes())

		// Rename: a name is required, the class must exist; then it works
		// and keeps its code.
		_, codes = staff.taxOp(t, "RenameTaxClass", "renameTaxClass", "taxClass", map[string]any{"id": luxury["id"], "input": map[string]any{"name": "  "}})
		require.Equal(t, []string{"REQUIRED"}, codes)
		_, codes = staff.taxOp(t, "RenameTaxClass", "renameTaxClass", "taxClass", map[string]any{"id": scalar.EncodeID(999999), "input": map[string]any{"name": "Nobody"}})
		require.Equal(t, []string{"NOT_FOUND"}, codes)
		renamed, codes := staff.taxOp(t, "RenameTaxClass", "renameTaxClass", "taxClass", map[string]any{"id": luxury["id"], "input": map[string]any{"name": "Luxury goods"}})
		require.Empty(t, codes)
		require.Equal(t, map[string]any{"id": luxury["id"], "code": "luxury", "name": "Luxury goods"}, renamed)

		// Update a rate (name and rate).
		_, codes = staff.taxOp(t, "UpdateTaxRate", "updateTaxRate", "taxRate", map[string]any{"id": levy["id"], "input": map[string]any{"name": "Excise", "basisPoints": 2000}})
		require.Empty(t, codes)

		// Delete the class: refused while a variant and a rate use it.
		_, codes = staff.taxOp(t, "DeleteTaxClass", "deleteTaxClass", "", map[string]any{"id": luxury["id"]})
		require.Equal(t, []string{"INVALID", "INVALID"}, codes)
		_, codes = staff.taxOp(t, "SetVariantTaxClass", "setVariantTaxClass", "variant", map[string]any{"variantId": scalar.EncodeID(vs[0].ID), "taxClassId": nil})
		require.Empty(t, codes)
		_, codes = staff.taxOp(t, "DeleteTaxClass", "deleteTaxClass", "", map[string]any{"id": luxury["id"]})
		require.Equal(t, []string{"INVALID"}, codes, "the class still has a rate")
		_, codes = staff.taxOp(t, "DeleteTaxRate", "deleteTaxRate", "", map[string]any{"id": scalar.EncodeID(999999)})
		require.Equal(t, []string{"NOT_FOUND"}, codes)
		resp := staff.post(s.ops["DeleteTaxRate"], "DeleteTaxRate", map[string]any{"id": levy["id"]})
		require.Empty(t, resp.Errors)
		require.JSONEq(t, fmt.Sprintf(`{"deleteTaxRate":{"deletedID":%q,"userErrors":[]}}`, levy["id"]), string(resp.Data))
		resp = staff.post(s.ops["DeleteTaxClass"], "DeleteTaxClass", map[string]any{"id": luxury["id"]})
		require.Empty(t, resp.Errors)
		require.JSONEq(t, fmt.Sprintf(`{"deleteTaxClass":{"deletedID":%q,"userErrors":[]}}`, luxury["id"]), string(resp.Data))
		_, codes = staff.taxOp(t, "DeleteTaxClass", "deleteTaxClass", "", map[string]any{"id": luxury["id"]})
		require.Equal(t, []string{"NOT_FOUND"}, codes, "deleted once")

		// The store's default class (TAX_DEFAULT_CLASS, here standard) is
		// kept, even with no rates and no variants; a class nobody uses
		// goes.
		_, codes = staff.taxOp(t, "DeleteTaxRate", "deleteTaxRate", "", map[string]any{"id": vat["id"]})
		require.Empty(t, codes)
		_, codes = staff.taxOp(t, "DeleteTaxClass", "deleteTaxClass", "", map[string]any{"id": standard["id"]})
		require.Equal(t, []string{"INVALID"}, codes)
		_, codes = staff.taxOp(t, "DeleteTaxClass", "deleteTaxClass", "", map[string]any{"id": unused["id"]})
		require.Empty(t, codes)
		var classes struct {
			TaxClasses []struct{ Code string } `json:"taxClasses"`
		}
		staff.op("TaxClasses", nil, &classes)
		require.Len(t, classes.TaxClasses, 1)
		require.Equal(t, "standard", classes.TaxClasses[0].Code)

		// Carts follow at once: no rate is left, so no tax.
		p = alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 1)}})
		var cart map[string]taxFigures
		alice.op("CartTaxes", map[string]any{"id": p.Cart.ID}, &cart)
		require.Equal(t, taxed{"110.00", "0.00", "110.00"}, cart["cart"].TaxedTotal)
		require.Empty(t, cart["cart"].TaxLines)

		// The placed order is as it was: its class name, rates and figures.
		var after map[string]json.RawMessage
		alice.op("OrderTaxes", map[string]any{"id": out.PlaceOrder.Order.ID}, &after)
		require.JSONEq(t, string(before["order"]), string(after["order"]), "a placed order keeps its tax")
	})
}

// TestTaxClassDeleteRace: a class deleted while staff give it to a
// variant either refuses the delete (the variant has it) or refuses the
// assignment (NOT_FOUND); a variant never ends up moved to the default
// class by a delete it raced with.
func TestTaxClassDeleteRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		vs := stockedVariants(t, s, 1, 10)
		ctx := viewer.System(context.Background(), "test: check")
		for i := range 8 {
			c, codes := staff.taxOp(t, "CreateTaxClass", "createTaxClass", "taxClass", map[string]any{"input": map[string]any{"code": fmt.Sprintf("race-%d", i), "name": "Race"}})
			require.Empty(t, codes)
			resps := concurrently(2, func(j int) gqlResponse {
				if j == 0 {
					return staff.post(s.ops["DeleteTaxClass"], "DeleteTaxClass", map[string]any{"id": c["id"]})
				}
				return staff.post(s.ops["SetVariantTaxClass"], "SetVariantTaxClass", map[string]any{"variantId": scalar.EncodeID(vs[0].ID), "taxClassId": c["id"]})
			})
			var del, set struct {
				DeleteTaxClass     struct{ UserErrors []userError } `json:"deleteTaxClass"`
				SetVariantTaxClass struct{ UserErrors []userError } `json:"setVariantTaxClass"`
			}
			for j, r := range resps {
				require.Empty(t, r.Errors, "no internal error in a race")
				require.NoError(t, json.Unmarshal(r.Data, []any{&del, &set}[j]))
			}
			deleted := len(del.DeleteTaxClass.UserErrors) == 0
			assigned := len(set.SetVariantTaxClass.UserErrors) == 0
			require.True(t, deleted != assigned, "exactly one wins (round %d)", i)
			classID, err := scalar.DecodeID(c["id"].(string))
			require.NoError(t, err)
			exists, err := s.client.TaxClass.Query().Where(taxclass.ID(classID)).Exist(ctx)
			require.NoError(t, err)
			require.Equal(t, !deleted, exists)
			has, err := s.client.ProductVariant.Query().Where(productvariant.ID(vs[0].ID), productvariant.TaxClassID(classID)).Exist(ctx)
			require.NoError(t, err)
			require.Equal(t, assigned, has)
		}
	})
}
