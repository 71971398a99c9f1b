package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// TestStaffSeeEveryStatus: staff list products of every status and filter
// by it (AdminProducts); shoppers and the signed out see ACTIVE ones only,
// through every path.
func TestStaffSeeEveryStatus(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		anon := newStore(t, db, demoCatalog(t))
		staff := anon.asStaff()
		var cat struct {
			P struct {
				Category struct{ ID string } `json:"category"`
			} `json:"createCategory"`
		}
		staff.op("CreateCategory", map[string]any{"input": map[string]any{"name": "Unreleased"}}, &cat)
		var created struct {
			P struct {
				Product struct{ ID, Slug string } `json:"product"`
			} `json:"createProduct"`
		}
		staff.op("CreateProduct", map[string]any{"input": map[string]any{
			"name": "Prototype Jiko", "status": "DRAFT", "categoryID": cat.P.Category.ID,
			"variants": []map[string]any{{"sku": "PROTO-1", "name": "One", "price": "100.00"}},
		}}, &created)

		type list struct {
			Products struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						ID     string `json:"id"`
						Status string `json:"status"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"products"`
		}
		var drafts list
		staff.op("AdminProducts", map[string]any{"where": map[string]any{"status": "DRAFT"}}, &drafts)
		require.Equal(t, 1, drafts.Products.TotalCount)
		require.Equal(t, created.P.Product.ID, drafts.Products.Edges[0].Node.ID)

		var all list
		staff.op("AdminProducts", map[string]any{"first": 100}, &all)
		var shop list
		anon.op("ProductList", map[string]any{"first": 100}, &shop)
		require.Equal(t, all.Products.TotalCount-1, shop.Products.TotalCount, "the draft is staff's alone")

		var detail struct {
			Product *struct{ ID string } `json:"product"`
		}
		anon.op("ProductDetail", map[string]any{"slug": created.P.Product.Slug}, &detail)
		require.Nil(t, detail.Product)
		staff.op("ProductDetail", map[string]any{"slug": created.P.Product.Slug}, &detail)
		require.NotNil(t, detail.Product)
	})
}
