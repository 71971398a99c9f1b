package inventory_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/inventory"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

func newVariant(t *testing.T, c *ent.Client, sku string, onHand int) *ent.ProductVariant {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	cat := c.Category.Create().SetName("Cat " + sku).SetSlug("cat-" + strings.ToLower(sku)).SaveX(ctx)
	p := c.Product.Create().SetName("P " + sku).SetSlug("p-" + strings.ToLower(sku)).SetStatus(product.StatusACTIVE).SetCategoryID(cat.ID).SaveX(ctx)
	return c.ProductVariant.Create().SetProductID(p.ID).SetSku(sku).SetName("Standard").SetPriceMinor(100).
		SetStockOnHand(onHand).SetOptions([]schematype.VariantOption{}).SaveX(ctx)
}

// TestMoves is each move's table: what it does to (on hand, reserved),
// and that a move past the invariant changes nothing.
func TestMoves(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		c := db.Client()
		inv := inventory.New(c)
		ctx := viewer.System(context.Background(), "test: set up")
		for i, tc := range []struct {
			name     string
			reserved int // before, with 5 on hand
			move     func(v *ent.ProductVariant) (bool, error)
			wantOK   bool
			wantErr  error
			want     [2]int
		}{
			{name: "reserve", move: func(v *ent.ProductVariant) (bool, error) { return inv.Reserve(ctx, v, 5) }, wantOK: true, want: [2]int{5, 5}},
			{name: "reserve past on hand", reserved: 1, move: func(v *ent.ProductVariant) (bool, error) { return inv.Reserve(ctx, v, 5) }, want: [2]int{5, 1}},
			{name: "release", reserved: 3, move: func(v *ent.ProductVariant) (bool, error) { return true, inv.Release(ctx, v.ID, 2) }, wantOK: true, want: [2]int{5, 1}},
			{name: "release more than reserved", reserved: 1, move: func(v *ent.ProductVariant) (bool, error) { return true, inv.Release(ctx, v.ID, 2) }, wantOK: true, want: [2]int{5, 1}},
			{name: "ship", reserved: 2, wantOK: true, want: [2]int{3, 0}}, // move set below: it needs an order
			{name: "adjust down to reserved", reserved: 2, move: func(v *ent.ProductVariant) (bool, error) {
				_, err := inv.Adjust(ctx, v.ID, -3, "count", nil)
				return err == nil, err
			}, wantOK: true, want: [2]int{2, 2}},
			{name: "adjust below reserved", reserved: 2, move: func(v *ent.ProductVariant) (bool, error) {
				_, err := inv.Adjust(ctx, v.ID, -4, "count", nil)
				return err == nil, err
			}, wantErr: input.ErrInsufficientStock, want: [2]int{5, 2}},
			{name: "adjust above MaxStock", move: func(v *ent.ProductVariant) (bool, error) {
				_, err := inv.Adjust(ctx, v.ID, inventory.MaxStock, "delivery", nil)
				return err == nil, err
			}, wantErr: input.ErrInvalid, want: [2]int{5, 0}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				v := newVariant(t, c, fmt.Sprint("MOVE-", i), 5)
				v = v.Update().SetReserved(tc.reserved).SaveX(ctx)
				if tc.name == "ship" {
					// A shipment is recorded against its order.
					cust := c.Customer.Create().SetEmail("ship@example.com").SetName("S").SaveX(ctx)
					o := c.Order.Create().SetNumber("SV-1").SetCurrency("KES").SetSubtotalMinor(0).SetShippingMinor(0).
						SetTotalMinor(0).SetEmail("ship@example.com").SetPhone("").SetShippingAddress(schematype.AddressSnapshot{}).
						SetIdempotencyKey("k").SetCustomerID(cust.ID).SaveX(ctx)
					tc.move = func(v *ent.ProductVariant) (bool, error) { return true, inv.Ship(ctx, v.ID, 2, o) }
				}
				ok, err := tc.move(v)
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr)
				} else {
					require.NoError(t, err)
					require.Equal(t, tc.wantOK, ok)
				}
				got := c.ProductVariant.GetX(ctx, v.ID)
				require.Equal(t, tc.want, [2]int{got.StockOnHand, got.Reserved})
			})
		}
	})
}

// TestConcurrentReservesNeverOversell: goroutines reserving one unit
// each, each in its own transaction, take exactly what is on hand.
func TestConcurrentReservesNeverOversell(t *testing.T) {
	const onHand, buyers = 7, 20
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		c := db.Client()
		inv := inventory.New(c)
		ctx := viewer.System(context.Background(), "test: set up")
		v := newVariant(t, c, "RACE", onHand)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			reserved int
			errs     []error
		)
		for range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ok bool
				err := database.InTx(ctx, c, func(ctx context.Context) error {
					var err error
					ok, err = inv.Reserve(ctx, v, 1)
					return err
				})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				} else if ok {
					reserved++
				}
			}()
		}
		wg.Wait()
		require.Empty(t, errs)
		require.Equal(t, onHand, reserved)
		got := c.ProductVariant.GetX(ctx, v.ID)
		require.Equal(t, [2]int{onHand, onHand}, [2]int{got.StockOnHand, got.Reserved})
	})
}
