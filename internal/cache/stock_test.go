package cache_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/inventory"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestStockOnlyWritesBumpTheStockVersion: the inventory's moves bump the
// stock version alone (once per transaction); any other variant write
// bumps the catalogue version.
func TestStockOnlyWritesBumpTheStockVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		client := ent.NewClient(ent.Driver(db.Driver()))
		m := cache.NewMemory(1<<20, time.Minute, time.Now)
		cache.InvalidateOnWrite(client, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
		versions := func() [2]string {
			v, err := m.Version(ctx)
			require.NoError(t, err)
			s, err := m.StockVersion(ctx)
			require.NoError(t, err)
			return [2]string{v, s}
		}
		cat := client.Category.Create().SetName("Kitchen").SetSlug("kitchen").SaveX(ctx)
		p := client.Product.Create().SetName("Kettle").SetSlug("kettle").SetStatus(product.StatusACTIVE).SetCategoryID(cat.ID).SaveX(ctx)
		v := client.ProductVariant.Create().SetProductID(p.ID).SetSku("K-1").SetName("Standard").SetPriceMinor(100).
			SetStockOnHand(10).SetOptions([]schematype.VariantOption{}).SaveX(ctx)
		start := versions()

		inv := inventory.New(client)
		require.NoError(t, database.InTx(ctx, client, func(ctx context.Context) error {
			for range 3 {
				if ok, err := inv.Reserve(ctx, v, 1); err != nil || !ok {
					return err
				}
			}
			return inv.Release(ctx, v.ID, 1)
		}))
		after := versions()
		require.Equal(t, start[0], after[0], "stock moves leave the catalogue version")
		require.NotEqual(t, start[1], after[1], "stock moves bump the stock version")

		_, err := inv.Adjust(ctx, v.ID, 5, "delivery", nil)
		require.NoError(t, err)
		require.Equal(t, start[0], versions()[0], "an adjustment is a stock move too")

		client.ProductVariant.UpdateOneID(v.ID).SetPriceMinor(200).ExecX(ctx)
		require.NotEqual(t, start[0], versions()[0], "a price change bumps the catalogue version")
		before := versions()
		client.ProductVariant.UpdateOneID(v.ID).SetName("Large").AddReserved(1).ExecX(ctx)
		require.NotEqual(t, before[0], versions()[0], "a write of stock and more is a catalogue write")
	})
}
