package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/address"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// refusedText asserts a response is one BAD_USER_INPUT error that names
// the argument path, and nothing else.
func refusedText(t *testing.T, resp gqlResponse, path string) {
	t.Helper()
	require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes(), "%s: %s", path, resp.Data)
	require.Contains(t, resp.Errors[0].Message, path)
	require.NotContains(t, resp.Errors[0].Message, "\x00")
}

// TestTextHygiene sends NUL bytes, control characters, overlong text and
// decomposed Unicode through every kind of text argument: lookups, IDs,
// search, sign-in, sign-up and address books. Each refusal is
// BAD_USER_INPUT naming the field, identical on both databases, with
// nothing stored; each is paired with the clean value working.
func TestTextHygiene(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		sys := viewer.System(context.Background(), "test: set up")

		// A slug lookup.
		resp := s.post(s.ops["ProductDetail"], "ProductDetail", map[string]any{"slug": "x\x00"})
		refusedText(t, resp, "product.slug")
		var prod struct {
			Product *struct{ Slug string } `json:"product"`
		}
		p, err := s.client.Product.Query().First(sys)
		require.NoError(t, err)
		s.op("ProductDetail", map[string]any{"slug": p.Slug}, &prod)
		require.NotNil(t, prod.Product)

		// A literal in the document, not a variable, is the same rule.
		resp = s.post(`query { product(slug: "x\u0000") { id } }`, "", nil)
		refusedText(t, resp, "product.slug")

		// Nested inputs and lists: a where filter, at any depth.
		resp = s.post(s.ops["ProductList"], "ProductList", map[string]any{"first": 2, "where": map[string]any{
			"or": []any{map[string]any{"nameContainsFold": "kikoi"}, map[string]any{"nameIn": []any{"a", "b\x00"}}},
		}})
		refusedText(t, resp, "products.where.or[1].nameIn[1]")
		resp = s.post(s.ops["ProductList"], "ProductList", map[string]any{"first": 2, "where": map[string]any{
			"or": []any{map[string]any{"nameContainsFold": "kikoi"}, map[string]any{"nameIn": []any{"a", "b"}}},
		}})
		require.Empty(t, resp.Errors)

		// A cart ID.
		v := stocked(t, s, 5)
		c := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		require.Empty(t, c.UserErrors)
		resp = s.post(s.ops["Cart"], "Cart", map[string]any{"id": c.Cart.ID + "\x00"})
		refusedText(t, resp, "cart.id")
		resp = s.post(s.ops["CartLinesAdd"], "CartLinesAdd", map[string]any{"cartId": "\x00", "lines": []any{line(v, 1)}})
		refusedText(t, resp, "cartLinesAdd.cartId")
		var cart map[string]*cartData
		s.op("Cart", map[string]any{"id": c.Cart.ID}, &cart)
		require.Equal(t, 1, cart["cart"].TotalQuantity, "the refused add wrote nothing")

		// Search.
		resp = s.post(s.ops["Search"], "Search", map[string]any{"query": "phone\x00"})
		refusedText(t, resp, "searchProducts.query")
		resp = s.post(s.ops["Search"], "Search", map[string]any{"query": "phone"})
		require.Empty(t, resp.Errors)

		// Sign-up: nothing stored when refused.
		countCustomers := func() int {
			n, err := s.client.Customer.Query().Count(sys)
			require.NoError(t, err)
			return n
		}
		before := countCustomers()
		reg := func(name, email string) gqlResponse {
			return s.post(s.ops["Register"], "Register", map[string]any{"input": map[string]any{
				"email": email, "password": "correct horse battery staple", "name": name,
			}})
		}
		refusedText(t, reg("Amina\x00", "amina@example.com"), "register.input.name")
		refusedText(t, reg("Amina\nOdhiambo", "amina@example.com"), "register.input.name")
		refusedText(t, reg("Amina\u0085", "amina@example.com"), "register.input.name")
		refusedText(t, reg("Amina", "amina\x00@example.com"), "register.input.email")
		refusedText(t, reg(strings.Repeat("a", 10_001), "amina@example.com"), "register.input.name")
		require.Equal(t, before, countCustomers(), "refused sign-ups stored nothing")

		// Decomposed text is stored composed (NFC).
		resp = reg("Jose\u0301 Odhiambo", "jose@example.com")
		require.Empty(t, resp.Errors)
		var regd struct {
			Register struct {
				UserErrors []userError `json:"userErrors"`
				Token      struct {
					AccessToken string `json:"accessToken"`
				} `json:"token"`
			} `json:"register"`
		}
		require.NoError(t, json.Unmarshal(resp.Data, &regd))
		require.Empty(t, regd.Register.UserErrors)
		jose, err := s.client.Customer.Query().Where(customer.Email("jose@example.com")).Only(sys)
		require.NoError(t, err)
		require.Equal(t, "Jos\u00e9 Odhiambo", jose.Name)
		require.Equal(t, before+1, countCustomers())

		// Sign-in.
		login := func(email string) gqlResponse {
			return s.post(s.ops["Login"], "Login", map[string]any{"email": email, "password": "correct horse battery staple"})
		}
		refusedText(t, login("jose@example.com\x00"), "login.email")
		resp = login("jose@example.com")
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), "accessToken")

		// The address book: nothing stored when refused.
		me := s.as(regd.Register.Token.AccessToken)
		addr := func(line1, city string) gqlResponse {
			return me.post(me.ops["AddAddress"], "AddAddress", map[string]any{"input": map[string]any{
				"line1": line1, "city": city, "countryCode": "KE",
			}})
		}
		refusedText(t, addr("Moi Avenue\x00", "Nairobi"), "addAddress.input.line1")
		refusedText(t, addr("Moi Avenue", "Nai\trobi"), "addAddress.input.city")
		n, err := s.client.Address.Query().Where(address.HasCustomerWith(customer.ID(jose.ID))).Count(sys)
		require.NoError(t, err)
		require.Zero(t, n)
		resp = addr("Moi Avenue 1", "Nairobi")
		require.Empty(t, resp.Errors)
		n, err = s.client.Address.Query().Where(address.HasCustomerWith(customer.ID(jose.ID))).Count(sys)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

// TestMultilineText shows the one exception: fields marked @multiline
// (descriptions, notes) keep line breaks and tabs, with CR LF stored as
// LF, and still refuse NUL.
func TestMultilineText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		staff := s.asStaff()
		sys := viewer.System(context.Background(), "test: set up")
		cat, err := s.client.Category.Query().First(sys)
		require.NoError(t, err)
		create := func(name, description string) gqlResponse {
			return staff.post(staff.ops["CreateCategory"], "CreateCategory", map[string]any{"input": map[string]any{
				"name": name, "description": description, "parentID": scalar.EncodeID(cat.ID),
			}})
		}
		refusedText(t, create("Kikoi", "Woven\x00cotton"), "createCategory.input.description")
		refusedText(t, create("Ki\nkoi", "Woven cotton"), "createCategory.input.name")
		resp := create("Kikoi", "Woven cotton.\r\n\tFrom the coast.")
		require.Empty(t, resp.Errors)
		got, err := s.client.Category.Query().Where(category.Name("Kikoi")).Only(sys)
		require.NoError(t, err)
		require.Equal(t, "Woven cotton.\n\tFrom the coast.", got.Description)
	})
}

// TestCursorHygiene: a cursor is client input too. One the server issued
// pages on; a forged one carrying a NUL (or a value no ordering column
// has) is BAD_USER_INPUT naming the argument, on both databases, instead
// of reaching SQL.
func TestCursorHygiene(t *testing.T) {
	forge := func(value any) string {
		var b bytes.Buffer
		entgql.Cursor[int]{ID: 1, Value: value}.MarshalGQL(&b)
		out, err := strconv.Unquote(b.String())
		require.NoError(t, err)
		return out
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		byName := map[string]any{"field": "NAME", "direction": "ASC"}
		var page struct {
			Products struct {
				PageInfo struct {
					EndCursor string `json:"endCursor"`
				} `json:"pageInfo"`
				Edges []struct{ Cursor string } `json:"edges"`
			} `json:"products"`
		}
		s.op("ProductList", map[string]any{"first": 2, "orderBy": byName}, &page)
		require.Len(t, page.Products.Edges, 2)
		s.op("ProductList", map[string]any{"first": 2, "orderBy": byName, "after": page.Products.PageInfo.EndCursor}, &page)
		require.NotEmpty(t, page.Products.Edges, "an issued cursor pages on")

		for name, cursor := range map[string]string{
			"NUL in the value": forge("Kikoi\x00"),
			"a list value":     forge([]any{"a", "b"}),
			"not a cursor":     "not-base64!",
			// msgpack panics decoding this one (found by FuzzCursor).
			"a decoder panic": "gqF27aF2000000000000000",
		} {
			t.Run(name, func(t *testing.T) {
				resp := s.post(s.ops["ProductList"], "ProductList", map[string]any{"first": 2, "orderBy": byName, "after": cursor})
				refusedText(t, resp, "products.after")
			})
		}
	})
}
