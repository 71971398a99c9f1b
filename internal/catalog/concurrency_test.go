package catalog_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// treeMoves is how many random moves TestConcurrentMoves makes per
// backend: modest by default for every CI run; SAVANNAH_TREE_MOVES raises
// it for a benchmark-style run, such as
//
//	SAVANNAH_TREE_MOVES=2000 go test -run TestConcurrentMoves -count=20 ./internal/catalog/
func treeMoves(t *testing.T) int {
	t.Helper()
	n := 240
	if s := os.Getenv("SAVANNAH_TREE_MOVES"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "SAVANNAH_TREE_MOVES")
		n = v
	}
	return n
}

// TestConcurrentMoves runs many random moves (and some creations and
// deletions) of one tree from many goroutines at once, through the
// service, then checks every invariant of the whole tree. Moves that would
// make a cycle must be refused with INVALID, and operations on deleted
// categories with NOT_FOUND; nothing else may fail.
func TestConcurrentMoves(t *testing.T) {
	total := treeMoves(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc, client := newService(t, db)
		var ids []int
		for i := range 40 {
			in := catalog.CategoryInput{Name: ptr("Category " + strconv.Itoa(i))}
			if i > 0 && i%3 != 0 {
				in.ParentID = &ids[rand.IntN(len(ids))]
			}
			c, err := svc.CreateCategory(ctx, in)
			require.NoError(t, err)
			ids = append(ids, c.ID)
		}
		checkTree(t, client)

		const workers = 8
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			refused int
			deleted int
			errs    []error
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 42))
				for i := range total / workers {
					id := ids[rng.IntN(len(ids))]
					var in catalog.CategoryInput
					switch {
					case i%23 == 0:
						// A delete, refused while the category has
						// children; later moves of it answer NOT_FOUND.
						err := svc.DeleteCategory(ctx, id)
						mu.Lock()
						switch {
						case err == nil:
							deleted++
						case errors.Is(err, catalog.ErrInvalid), errors.Is(err, catalog.ErrNotFound):
						default:
							errs = append(errs, err)
						}
						mu.Unlock()
						continue
					case i%17 == 0:
						// A new leaf somewhere, racing the moves above it.
						_, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: ptr("Leaf"), ParentID: &id})
						if err != nil && !errors.Is(err, catalog.ErrNotFound) {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
						}
						continue
					case rng.IntN(8) == 0:
						in.ClearParent = true
					default:
						in.ParentID = &ids[rng.IntN(len(ids))]
					}
					_, err := svc.UpdateCategory(ctx, id, in)
					mu.Lock()
					switch {
					case errors.Is(err, catalog.ErrInvalid):
						refused++
					case errors.Is(err, catalog.ErrNotFound):
						// The category or its target was deleted.
					case err != nil:
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		require.Empty(t, errs)
		t.Logf("%d operations, %d moves refused as cycles, %d categories deleted", total, refused, deleted)
		checkTree(t, client)
	})
}

// TestConcurrentStock takes stock from one variant from many goroutines at
// once: exactly the units above what is reserved can go, every other
// attempt is refused with INSUFFICIENT_STOCK, and the ledger still
// explains the level.
func TestConcurrentStock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.System(context.Background(), "test: set up")
		svc, client := newService(t, db)
		cat, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: ptr("Unga")})
		require.NoError(t, err)
		price := "199"
		_, err = svc.CreateProduct(ctx, catalog.ProductInput{Name: ptr("Unga wa ngano"), CategoryID: &cat.ID,
			Variants: []catalog.VariantInput{{SKU: ptr("UNGA-2KG"), Name: ptr("2 kg"), Price: &price, StockOnHand: ptr(20)}}}, nil)
		require.NoError(t, err)
		v, err := client.ProductVariant.Query().Only(ctx)
		require.NoError(t, err)
		require.NoError(t, client.ProductVariant.UpdateOneID(v.ID).SetReserved(5).Exec(ctx))

		const attempts = 32
		var (
			wg             sync.WaitGroup
			mu             sync.Mutex
			taken, refused int
			errs           []error
		)
		for range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.AdjustStock(ctx, v.ID, -1, "sold at the counter", nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					taken++
				case errors.Is(err, catalog.ErrInsufficientStock):
					refused++
				default:
					errs = append(errs, err)
				}
			}()
		}
		wg.Wait()
		require.Empty(t, errs)
		require.Equal(t, 15, taken)
		require.Equal(t, attempts-15, refused)
		v, err = client.ProductVariant.Get(ctx, v.ID)
		require.NoError(t, err)
		require.Equal(t, 5, v.StockOnHand)
		checkLedger(t, client)
	})
}
