package database_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestSearchIndexSetup checks that the search index, which lives outside
// the generated migrations, is idempotent and repairs itself: when its
// objects go missing (as after a migration that rebuilds the products
// table), the next migration run recreates them and reindexes every
// existing product.
func TestSearchIndexSetup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up") // test set-up writes as the system
		client := db.Client()
		kes, err := money.StoreCurrency("KES")
		require.NoError(t, err)
		svc := catalog.NewService(client, db.Dialect, kes)
		name := "Thermos"
		cat, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: &name})
		require.NoError(t, err)
		p, err := client.Product.Create().SetName("Thermos flask").SetSlug("thermos-flask").
			SetStatus("ACTIVE").SetCategoryID(cat.ID).Save(ctx)
		require.NoError(t, err)
		found := func() []int {
			t.Helper()
			page, err := svc.Search(ctx, "thermos", 0, 10)
			require.NoError(t, err)
			return page.IDs
		}
		require.Equal(t, []int{p.ID}, found())

		// Running again changes nothing and keeps the index.
		require.NoError(t, db.Migrate(ctx))
		require.NoError(t, db.EnsureSearchIndex(ctx))
		require.Equal(t, []int{p.ID}, found())

		// Lose the index the way a table rebuild would.
		if db.Dialect == dialect.SQLite {
			_, err = db.SQL.ExecContext(ctx, `DROP TRIGGER product_search_insert`)
			require.NoError(t, err)
			_, err = db.SQL.ExecContext(ctx, `DROP TABLE product_search`)
		} else {
			_, err = db.SQL.ExecContext(ctx, `ALTER TABLE products DROP COLUMN search_vector`)
		}
		require.NoError(t, err)
		require.NoError(t, db.Migrate(ctx))
		require.Equal(t, []int{p.ID}, found(), "rebuilt with the existing products")
		p2, err := client.Product.Create().SetName("Thermos cup").SetSlug("thermos-cup").
			SetStatus("ACTIVE").SetCategoryID(cat.ID).Save(ctx)
		require.NoError(t, err)
		require.ElementsMatch(t, []int{p.ID, p2.ID}, found(), "kept current again")

		if db.Dialect == dialect.Postgres {
			// The index must not pin the columns it reads: a later
			// migration may change their type.
			_, err = db.SQL.ExecContext(ctx, `ALTER TABLE products ALTER COLUMN name TYPE varchar(400)`)
			require.NoError(t, err)
			require.NoError(t, client.Product.UpdateOneID(p2.ID).SetName("Steel bottle").Exec(ctx))
			require.Equal(t, []int{p.ID}, found(), "still kept current")
		}

		var version int
		require.NoError(t, db.SQL.QueryRowContext(ctx, `SELECT version FROM search_index_version`).Scan(&version))
		require.Equal(t, database.SearchIndexVersion, version)
	})
}
