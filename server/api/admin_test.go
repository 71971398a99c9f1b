package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/stockmovement"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// idRef is an object of which a query asks only the ID.
type idRef struct {
	ID string `json:"id"`
}

type adminCategory struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Slug      string  `json:"slug"`
	Depth     int     `json:"depth"`
	Parent    *idRef  `json:"parent"`
	Ancestors []idRef `json:"ancestors"`
}

type categoryPayload struct {
	Category   *adminCategory `json:"category"`
	UserErrors []userError    `json:"userErrors"`
}

type adminVariant struct {
	ID                string `json:"id"`
	SKU               string `json:"sku"`
	Name              string `json:"name"`
	Price             money  `json:"price"`
	StockOnHand       int    `json:"stockOnHand"`
	QuantityAvailable int    `json:"quantityAvailable"`
	Options           []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"options"`
}

type productPayload struct {
	Product *struct {
		ID          string         `json:"id"`
		Name        string         `json:"name"`
		Slug        string         `json:"slug"`
		Status      string         `json:"status"`
		Description string         `json:"description"`
		Category    idRef          `json:"category"`
		Variants    []adminVariant `json:"variants"`
	} `json:"product"`
	UserErrors []userError `json:"userErrors"`
}

type variantPayload struct {
	Variant    *adminVariant `json:"variant"`
	UserErrors []userError   `json:"userErrors"`
}

func requireUserError(t *testing.T, errs []userError, code string, field ...string) {
	t.Helper()
	require.NotEmpty(t, errs)
	for _, e := range errs {
		if e.Code == code && equalPath(e.Field, field) {
			require.NotEmpty(t, e.Message)
			return
		}
	}
	require.Failf(t, "missing userError", "want %s at %v, got %+v", code, field, errs)
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAdminCatalog drives every admin catalogue operation of the contract
// through the real HTTP handler, on both databases: what works, what is
// refused with which userError, and that a refusal wrote nothing.
func TestAdminCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil).asStaff()
		ctx := viewer.System(context.Background(), "test: set up") // inspection sees every row

		createCategory := func(input map[string]any) categoryPayload {
			var out struct {
				P categoryPayload `json:"createCategory"`
			}
			s.op("CreateCategory", map[string]any{"input": input}, &out)
			return out.P
		}
		updateCategory := func(id string, input map[string]any) categoryPayload {
			var out struct {
				P categoryPayload `json:"updateCategory"`
			}
			s.op("UpdateCategory", map[string]any{"id": id, "input": input}, &out)
			return out.P
		}

		// The tree.
		food := createCategory(map[string]any{"name": "Vyakula na Vinywaji"})
		require.Empty(t, food.UserErrors)
		require.Equal(t, "vyakula-na-vinywaji", food.Category.Slug)
		require.Nil(t, food.Category.Parent)
		coffee := createCategory(map[string]any{"name": "Kahawa", "slug": "kahawa", "parentID": food.Category.ID})
		require.Empty(t, coffee.UserErrors)
		require.Equal(t, 1, coffee.Category.Depth)
		require.Equal(t, food.Category.ID, coffee.Category.Parent.ID)
		beans := createCategory(map[string]any{"name": "Maharagwe", "parentID": coffee.Category.ID})
		require.Equal(t, 2, beans.Category.Depth)

		refused := []struct {
			name  string
			input map[string]any
			code  string
			field []string
		}{
			{"taken slug", map[string]any{"name": "x", "slug": "kahawa"}, "TAKEN", []string{"input", "slug"}},
			{"bad slug", map[string]any{"name": "x", "slug": "Kahawa Bora"}, "INVALID", []string{"input", "slug"}},
			{"blank name", map[string]any{"name": " "}, "REQUIRED", []string{"input", "name"}},
			{"unknown parent", map[string]any{"name": "x", "parentID": "AAAAAAAAAAA"}, "NOT_FOUND", []string{"input", "parentID"}},
			{"parent of another type", map[string]any{"name": "x", "parentID": "AAAAAQAAAAE"}, "NOT_FOUND", []string{"input", "parentID"}},
		}
		for _, tt := range refused {
			p := createCategory(tt.input)
			require.Nil(t, p.Category, tt.name)
			requireUserError(t, p.UserErrors, tt.code, tt.field...)
		}
		n, err := s.client.Category.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n, "refused creations wrote nothing")

		// Moves: to the root, and back under a deeper category.
		moved := updateCategory(coffee.Category.ID, map[string]any{"clearParent": true})
		require.Empty(t, moved.UserErrors)
		require.Equal(t, 0, moved.Category.Depth)
		require.Empty(t, moved.Category.Ancestors)
		moved = updateCategory(food.Category.ID, map[string]any{"parentID": beans.Category.ID, "name": "Vyakula"})
		require.Empty(t, moved.UserErrors)
		require.Equal(t, "Vyakula", moved.Category.Name)
		require.Equal(t, 2, moved.Category.Depth)
		require.Equal(t, []idRef{{coffee.Category.ID}, {beans.Category.ID}}, moved.Category.Ancestors)

		// A move into the category's own subtree changes nothing, renaming
		// included.
		cycle := updateCategory(coffee.Category.ID, map[string]any{"parentID": food.Category.ID, "name": "Chai"})
		require.Nil(t, cycle.Category)
		requireUserError(t, cycle.UserErrors, "INVALID", "input", "parentID")
		c, err := s.client.Category.Query().Where().All(ctx)
		require.NoError(t, err)
		for _, cat := range c {
			require.NotEqual(t, "Chai", cat.Name)
		}
		both := updateCategory(coffee.Category.ID, map[string]any{"parentID": food.Category.ID, "clearParent": true})
		requireUserError(t, both.UserErrors, "INVALID", "input", "parentID")
		missing := updateCategory("AAAAAAAAAAA", map[string]any{"name": "x"})
		requireUserError(t, missing.UserErrors, "NOT_FOUND", "id")

		// Products with variants.
		createProduct := func(input map[string]any) productPayload {
			var out struct {
				P productPayload `json:"createProduct"`
			}
			s.op("CreateProduct", map[string]any{"input": input}, &out)
			return out.P
		}
		p := createProduct(map[string]any{
			"name":       "Kahawa ya Kenya AA",
			"status":     "ACTIVE",
			"categoryID": beans.Category.ID,
			"variants": []map[string]any{
				{"sku": "KAH-AA-250", "name": "250 g", "price": "650", "stockOnHand": 12,
					"options": []map[string]any{{"name": "Weight", "value": "250 g"}}},
				{"sku": "KAH-AA-1KG", "name": "1 kg", "price": "2199.50"},
			},
		})
		require.Empty(t, p.UserErrors)
		require.Equal(t, "kahawa-ya-kenya-aa", p.Product.Slug)
		require.Equal(t, "ACTIVE", p.Product.Status)
		require.Equal(t, beans.Category.ID, p.Product.Category.ID)
		require.Len(t, p.Product.Variants, 2)
		require.Equal(t, money{"650.00", "KES"}, p.Product.Variants[0].Price)
		require.Equal(t, 12, p.Product.Variants[0].QuantityAvailable)

		bad := createProduct(map[string]any{
			"name": "Other", "categoryID": beans.Category.ID,
			"variants": []map[string]any{
				{"sku": "NEW", "name": "a", "price": "10", "stockOnHand": 5},
				{"sku": "KAH-AA-250", "name": "b", "price": "1.234",
					"options": []map[string]any{{"name": "Size", "value": "M"}, {"name": "size", "value": "L"}}},
			},
		})
		require.Nil(t, bad.Product)
		requireUserError(t, bad.UserErrors, "INVALID", "input", "variants", "1", "price")
		requireUserError(t, bad.UserErrors, "INVALID", "input", "variants", "1", "options", "1", "name")
		taken := createProduct(map[string]any{
			"name": "Other", "categoryID": beans.Category.ID,
			"variants": []map[string]any{{"sku": "NEW", "name": "a", "price": "10", "stockOnHand": 5}, {"sku": "KAH-AA-250", "name": "b", "price": "1"}},
		})
		requireUserError(t, taken.UserErrors, "TAKEN", "input", "variants", "1", "sku")
		n, err = s.client.ProductVariant.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n, "refused products wrote no variants")
		n, err = s.client.StockMovement.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "refused products wrote no stock movements")
		resp := s.post(s.ops["CreateProduct"], "CreateProduct", map[string]any{"input": map[string]any{
			"name": "x", "categoryID": beans.Category.ID, "variants": []map[string]any{{"sku": "Y", "name": "y", "price": 12.5}},
		}})
		require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes(), "a price as a JSON number")

		// Variants keep the price range current.
		var cv struct {
			P variantPayload `json:"createProductVariant"`
		}
		s.op("CreateVariant", map[string]any{"productId": p.Product.ID, "input": map[string]any{
			"sku": "KAH-AA-100", "name": "100 g", "price": "299.99", "options": []map[string]any{{"name": "Weight", "value": "100 g"}},
		}}, &cv)
		require.Empty(t, cv.P.UserErrors)
		require.Equal(t, "Weight", cv.P.Variant.Options[0].Name)
		requirePriceRange(t, s, p.Product.Slug, "299.99", "2199.50")
		var uv struct {
			P variantPayload `json:"updateProductVariant"`
		}
		s.op("UpdateVariant", map[string]any{"id": cv.P.Variant.ID, "input": map[string]any{"price": "2500"}}, &uv)
		require.Empty(t, uv.P.UserErrors)
		require.Equal(t, "2500.00", uv.P.Variant.Price.Amount)
		requirePriceRange(t, s, p.Product.Slug, "650.00", "2500.00")
		s.op("UpdateVariant", map[string]any{"id": cv.P.Variant.ID, "input": map[string]any{"sku": "KAH-AA-1KG", "price": "1"}}, &uv)
		requireUserError(t, uv.P.UserErrors, "TAKEN", "input", "sku")
		requirePriceRange(t, s, p.Product.Slug, "650.00", "2500.00")

		// Stock.
		adjust := func(delta int, reason string) variantPayload {
			var out struct {
				P variantPayload `json:"adjustStock"`
			}
			s.op("AdjustStock", map[string]any{"variantId": p.Product.Variants[0].ID, "delta": delta, "reason": reason}, &out)
			return out.P
		}
		a := adjust(-2, "damaged in transit")
		require.Empty(t, a.UserErrors)
		require.Equal(t, 10, a.Variant.StockOnHand)
		a = adjust(-11, "stock count")
		require.Nil(t, a.Variant)
		requireUserError(t, a.UserErrors, "INSUFFICIENT_STOCK", "delta")
		a = adjust(3, "")
		requireUserError(t, a.UserErrors, "REQUIRED", "reason")
		// Up to the bound of creation, never beyond it.
		a = adjust(catalog.MaxStock-10, "container")
		require.Empty(t, a.UserErrors)
		require.Equal(t, catalog.MaxStock, a.Variant.StockOnHand)
		a = adjust(1, "one more")
		requireUserError(t, a.UserErrors, "INVALID", "delta")
		a = adjust(10-catalog.MaxStock, "recount")
		require.Empty(t, a.UserErrors)
		v, err := s.client.ProductVariant.Query().Where(productvariant.Sku("KAH-AA-250")).Only(ctx)
		require.NoError(t, err)
		require.Equal(t, 10, v.StockOnHand)
		deltas, err := s.client.StockMovement.Query().Where(stockmovement.VariantID(v.ID)).Select(stockmovement.FieldDelta).Ints(ctx)
		require.NoError(t, err)
		require.Equal(t, []int{12, -2, catalog.MaxStock - 10, 10 - catalog.MaxStock}, deltas, "the ledger explains the level")

		// Product updates, archiving and the storefront.
		var up struct {
			P productPayload `json:"updateProduct"`
		}
		s.op("UpdateProduct", map[string]any{"id": p.Product.ID, "input": map[string]any{
			"name": "Kahawa AA", "description": "Ya mlima Kenya", "categoryID": coffee.Category.ID,
		}}, &up)
		require.Empty(t, up.P.UserErrors)
		require.Equal(t, "Kahawa AA", up.P.Product.Name)
		require.Equal(t, "kahawa-ya-kenya-aa", up.P.Product.Slug)
		require.Equal(t, coffee.Category.ID, up.P.Product.Category.ID)
		s.op("UpdateProduct", map[string]any{"id": p.Product.ID, "input": map[string]any{"slug": "-bad-"}}, &up)
		requireUserError(t, up.P.UserErrors, "INVALID", "input", "slug")
		var ar struct {
			P productPayload `json:"archiveProduct"`
		}
		s.op("ArchiveProduct", map[string]any{"id": p.Product.ID}, &ar)
		require.Empty(t, ar.P.UserErrors)
		require.Equal(t, "ARCHIVED", ar.P.Product.Status)
		var detail struct {
			Product *struct{} `json:"product"`
		}
		s.as("").op("ProductDetail", map[string]any{"slug": p.Product.Slug}, &detail)
		require.Nil(t, detail.Product, "the storefront no longer sees an archived product")

		// Deleting categories.
		deleteCategory := func(id string) (string, []userError) {
			var out struct {
				P struct {
					DeletedID  *string     `json:"deletedID"`
					UserErrors []userError `json:"userErrors"`
				} `json:"deleteCategory"`
			}
			s.op("DeleteCategory", map[string]any{"id": id}, &out)
			if out.P.DeletedID == nil {
				return "", out.P.UserErrors
			}
			return *out.P.DeletedID, out.P.UserErrors
		}
		_, errs := deleteCategory(coffee.Category.ID)
		requireUserError(t, errs, "INVALID", "id")
		require.Len(t, errs, 2, "both the subcategories and the products are named")
		id, errs := deleteCategory(food.Category.ID)
		require.Empty(t, errs)
		require.Equal(t, food.Category.ID, id)
		_, errs = deleteCategory(food.Category.ID)
		requireUserError(t, errs, "NOT_FOUND", "id")
	})
}

func requirePriceRange(t *testing.T, s *store, slug, lo, hi string) {
	t.Helper()
	var out struct {
		Product struct {
			PriceRange struct {
				Min money `json:"minVariantPrice"`
				Max money `json:"maxVariantPrice"`
			} `json:"priceRange"`
		} `json:"product"`
	}
	s.op("ProductDetail", map[string]any{"slug": slug}, &out)
	require.Equal(t, [2]string{lo, hi}, [2]string{out.Product.PriceRange.Min.Amount, out.Product.PriceRange.Max.Amount})
}

// TestConcurrentCreates sends the same createProduct (same explicit slug,
// same SKU) many times at once. Exactly one wins; every other answers
// TAKEN as a userError, never an internal error. On PostgreSQL the losers
// pass the checks together and fail on the unique index, so this also
// proves that a failed statement is rolled back to the operation's
// savepoint and the mutation's transaction still commits cleanly.
func TestConcurrentCreates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil).asStaff()
		var cat struct {
			P categoryPayload `json:"createCategory"`
		}
		s.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Vinywaji"}}, &cat)

		const n = 8
		results := make(chan gqlResponse, n)
		for range n {
			go func() {
				results <- s.postAsync(s.ops["CreateProduct"], "CreateProduct", map[string]any{"input": map[string]any{
					"name": "Soda", "slug": "soda", "status": "ACTIVE", "categoryID": cat.P.Category.ID,
					"variants": []map[string]any{{"sku": "SODA-500", "name": "500 ml", "price": "60", "stockOnHand": 24}},
				}})
			}()
		}
		won := 0
		for range n {
			resp := <-results
			require.Empty(t, resp.Errors)
			var out struct {
				P productPayload `json:"createProduct"`
			}
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			if out.P.Product != nil {
				won++
				continue
			}
			require.Len(t, out.P.UserErrors, 1, "%+v", out.P.UserErrors)
			require.Equal(t, "TAKEN", out.P.UserErrors[0].Code)
		}
		require.Equal(t, 1, won)
		ctx := viewer.System(context.Background(), "test: set up") // inspection sees every row
		np, err := s.client.Product.Query().Count(ctx)
		require.NoError(t, err)
		nm, err := s.client.StockMovement.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, [2]int{1, 1}, [2]int{np, nm}, "one product, one opening stock movement")
	})
}
