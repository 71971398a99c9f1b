package catalog_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestEnsureCounts: on a store whose counts were not kept (loaded by a
// client without the counting hook, as before the counts existed),
// EnsureCounts rebuilds them; on a consistent store it changes nothing;
// and the database refuses counts that contradict each other.
func TestEnsureCounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		client := db.Client() // no hooks: the counts stay at zero
		_, err := seed.Load(ctx, client, seed.Generate(200))
		require.NoError(t, err)
		client.Product.Update().
			Where(product.IDIn(client.Product.Query().Limit(7).IDsX(ctx)...)).
			SetStatus(product.StatusDRAFT).
			ExecX(ctx)
		require.Zero(t, sumCounts(t, client).all, "not kept without the hook")

		require.NoError(t, catalog.EnsureCounts(ctx, client))
		checkCounts(t, client)
		got := sumCounts(t, client)
		require.Equal(t, counts{all: 200, active: 193}, got)

		require.NoError(t, catalog.EnsureCounts(ctx, client))
		require.Equal(t, got, sumCounts(t, client), "a second run changes nothing")

		// The CHECK: more ACTIVE products than products is refused.
		_, err = client.ExecContext(ctx, `UPDATE categories SET active_product_count = product_count + 1`)
		require.Error(t, err)
		_, err = client.ExecContext(ctx, `UPDATE categories SET active_product_count = product_count`)
		require.NoError(t, err, "the same statement within bounds passes")
	})
}

type counts struct{ all, active int }

func sumCounts(t *testing.T, client *ent.Client) counts {
	t.Helper()
	var c counts
	for _, cat := range client.Category.Query().AllX(viewer.System(context.Background(), "test: inspect")) {
		c.all += cat.ProductCount
		c.active += cat.ActiveProductCount
	}
	return c
}

// checkCounts compares every category's counts with its products.
func checkCounts(t *testing.T, client *ent.Client) {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: inspect")
	for _, c := range client.Category.Query().AllX(ctx) {
		own := client.Product.Query().Where(product.CategoryID(c.ID))
		require.Equal(t, own.Clone().CountX(ctx), c.ProductCount, c.Slug)
		require.Equal(t, own.Where(product.StatusEQ(product.StatusACTIVE)).CountX(ctx), c.ActiveProductCount, c.Slug)
	}
}
