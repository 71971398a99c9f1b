package cache_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/cache"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// countingCatalog counts the version bumps of a Memory cache.
type countingCatalog struct {
	*cache.Memory
	bumps atomic.Int64
}

func (c *countingCatalog) Bump(ctx context.Context) error {
	c.bumps.Add(1)
	return c.Memory.Bump(ctx)
}

// TestInvalidateOnWriteOncePerTransaction: a transaction that writes many
// catalogue rows bumps the version once, after it commits; a rolled-back
// one bumps nothing; a write outside a transaction bumps at once.
func TestInvalidateOnWriteOncePerTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		client := ent.NewClient(ent.Driver(db.Driver()))
		c := &countingCatalog{Memory: cache.NewMemory(1<<20, time.Minute, time.Now)}
		cache.InvalidateOnWrite(client, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
		create := func(client *ent.Client, name string) {
			client.Category.Create().SetName(name).SetSlug(name).SaveX(ctx)
		}

		tx, err := client.Tx(ctx)
		require.NoError(t, err)
		for i := range 5 {
			create(tx.Client(), fmt.Sprintf("committed-%d", i))
		}
		require.Zero(t, c.bumps.Load(), "nothing is visible before the commit")
		require.NoError(t, tx.Commit())
		require.EqualValues(t, 1, c.bumps.Load(), "one bump for five rows")

		tx, err = client.Tx(ctx)
		require.NoError(t, err)
		create(tx.Client(), "rolled-back-1")
		create(tx.Client(), "rolled-back-2")
		require.NoError(t, tx.Rollback())
		require.EqualValues(t, 1, c.bumps.Load(), "a rollback bumps nothing")

		create(client, "alone")
		require.EqualValues(t, 2, c.bumps.Load(), "a write outside a transaction bumps at once")
	})
}

// TestTaxWritesInvalidate: a variant shows its tax class, so a class
// renamed or a rate changed bumps the catalogue version; a write to an
// entity the catalogue does not show (an account) does not.
func TestTaxWritesInvalidate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		client := ent.NewClient(ent.Driver(db.Driver()))
		c := &countingCatalog{Memory: cache.NewMemory(1<<20, time.Minute, time.Now)}
		cache.InvalidateOnWrite(client, c, slog.New(slog.NewTextHandler(io.Discard, nil)))

		client.Customer.Create().SetName("Amina").SetEmail("amina@example.com").SetPasswordHash("x").SaveX(ctx)
		require.Zero(t, c.bumps.Load(), "an account is not in the catalogue")

		tc := client.TaxClass.Create().SetCode("standard").SetName("Standard").SaveX(ctx)
		require.EqualValues(t, 1, c.bumps.Load())
		tc.Update().SetName("Standard rate").SaveX(ctx)
		require.EqualValues(t, 2, c.bumps.Load(), "a renamed class")
		r := client.TaxRate.Create().SetTaxClassID(tc.ID).SetName("VAT").SetBasisPoints(1600).SaveX(ctx)
		require.EqualValues(t, 3, c.bumps.Load())
		r.Update().SetBasisPoints(800).SaveX(ctx)
		require.EqualValues(t, 4, c.bumps.Load(), "a changed rate")
	})
}
