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
// table goes missing (as after a migration that rebuilds it), or holds an
// older version, the next migration run recreates it and indexes every
// existing product a shopper sees.
func TestSearchIndexSetup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up") // test set-up writes as the system
		client := db.Client()
		catalog.IndexOnWrite(client, db.Dialect)
		kes, err := money.StoreCurrency("KES")
		require.NoError(t, err)
		svc := catalog.NewService(client, db.Dialect, kes)
		name := "Thermos"
		cat, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: &name})
		require.NoError(t, err)
		p, err := client.Product.Create().SetName("Thermos flask").SetSlug("thermos-flask").
			SetStatus("ACTIVE").SetCategoryID(cat.ID).Save(ctx)
		require.NoError(t, err)
		_, err = client.Product.Create().SetName("Thermos draft").SetSlug("thermos-draft").
			SetCategoryID(cat.ID).Save(ctx)
		require.NoError(t, err)
		found := func() []int {
			t.Helper()
			page, err := svc.Search(ctx, "thermos", 0, 10)
			require.NoError(t, err)
			require.Len(t, page.IDs, page.Total)
			return page.IDs
		}
		require.Equal(t, []int{p.ID}, found())

		// Running again changes nothing and keeps the index.
		require.NoError(t, db.Migrate(ctx))
		require.NoError(t, db.EnsureSearchIndex(ctx))
		require.Equal(t, []int{p.ID}, found())

		// Lose the index the way a table rebuild would, then an older
		// version of it.
		for _, lose := range []string{`DROP TABLE product_search_terms`, `UPDATE search_index_version SET version = 1`} {
			_, err = db.SQL.ExecContext(ctx, lose)
			require.NoError(t, err)
			if lose[0] == 'U' {
				_, err = db.SQL.ExecContext(ctx, `DELETE FROM product_search_terms`)
				require.NoError(t, err)
				require.Empty(t, found())
			}
			require.NoError(t, db.Migrate(ctx))
			require.Equal(t, []int{p.ID}, found(), "rebuilt with the existing products, drafts left out (%s)", lose)
		}
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
