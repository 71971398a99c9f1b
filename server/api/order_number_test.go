package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/hook"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/sequence"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestOrderNumbersGapless races checkouts for fewer units than buyers,
// some of which fail after their order was numbered (a failing payment
// write, the last write of placeOrder): the orders that commit are
// numbered SV-100001 upwards without a gap or a duplicate, since a
// checkout that rolls back gives its number back, and nothing of a
// failed checkout is left behind.
func TestOrderNumbersGapless(t *testing.T) {
	const buyers, units, failing = 20, 12, 4
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, units)
		sys := viewer.System(context.Background(), "test: inspect")
		// The failing buyers buy another variant, with stock for all, so
		// that each of them gets as far as its number.
		plenty, err := s.client.ProductVariant.Query().
			Where(productvariant.IDNEQ(v.ID), productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
			Order(ent.Asc(productvariant.FieldID)).
			First(sys)
		require.NoError(t, err)
		plenty, err = plenty.Update().SetStockOnHand(100).SetReserved(0).SetTrackInventory(true).Save(sys)
		require.NoError(t, err)

		// The failing buyers give this phone; their payment's write fails,
		// after the order row (and so its number) was written.
		const failPhone = "+254700000999"
		var (
			mu           sync.Mutex
			failedNumber []string
		)
		s.client.Payment.Use(func(next ent.Mutator) ent.Mutator {
			return hook.PaymentFunc(func(ctx context.Context, m *ent.PaymentMutation) (ent.Value, error) {
				phone, _ := m.Phone()
				orderID, ok := m.OrderID()
				if !m.Op().Is(ent.OpCreate) || phone != failPhone || !ok {
					return next.Mutate(ctx, m)
				}
				o, err := m.Client().Order.Get(viewer.System(ctx, "test: the numbered order"), orderID)
				if err != nil {
					return nil, err
				}
				mu.Lock()
				failedNumber = append(failedNumber, o.Number)
				mu.Unlock()
				return nil, errors.New("test: the payment write fails")
			})
		})

		type buyer struct {
			s    *store
			cart string
			fail bool
		}
		bs := make([]buyer, buyers)
		for i := range bs {
			b, _ := s.asCustomer(t, fmt.Sprintf("buyer%d", i))
			fail, buys := i < failing, v
			if fail {
				buys = plenty
			}
			p := b.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(buys, 1)}})
			require.Empty(t, p.UserErrors)
			bs[i] = buyer{b, p.Cart.ID, fail}
		}
		var (
			wg                         sync.WaitGroup
			numbers, other             []string
			insufficient, internalErrs int
		)
		for i, b := range bs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				vars := placeOrderVars(b.cart, fmt.Sprintf("key-%d", i))
				if b.fail {
					addr := map[string]any{"line1": "Moi Avenue 1", "city": "Nairobi", "countryCode": "KE", "phone": failPhone}
					vars["input"].(map[string]any)["shippingAddress"] = addr
				}
				resp := b.s.postAsync(s.ops["PlaceOrder"], "PlaceOrder", vars)
				mu.Lock()
				defer mu.Unlock()
				var p placePayload
				switch {
				case b.fail && slices.Equal(resp.codes(), []string{"INTERNAL_SERVER_ERROR"}):
					internalErrs++
				case len(resp.Errors) > 0:
					other = append(other, fmt.Sprint(resp.Errors))
				case json.Unmarshal(resp.Data, &p) != nil:
					other = append(other, string(resp.Data))
				case p.PlaceOrder.Order != nil && !b.fail:
					numbers = append(numbers, p.PlaceOrder.Order.Number)
				case len(p.PlaceOrder.UserErrors) == 1 && p.PlaceOrder.UserErrors[0].Code == "INSUFFICIENT_STOCK":
					insufficient++
				default:
					other = append(other, string(resp.Data))
				}
			}()
		}
		wg.Wait()
		require.Empty(t, other)
		require.Equal(t, failing, internalErrs)
		require.Len(t, failedNumber, failing, "every failing checkout had numbered its order")
		require.Equal(t, buyers-failing-units, insufficient)

		// The committed orders are numbered 1..units, each once.
		want := make([]string, units)
		for i := range want {
			want[i] = fmt.Sprintf("SV-%d", 100001+i)
		}
		require.ElementsMatch(t, want, numbers)
		// A failed checkout's number was handed out again: to an order
		// that committed, or it is the next one.
		next := fmt.Sprintf("SV-%d", 100001+units)
		for _, n := range failedNumber {
			require.Contains(t, append(slices.Clone(want), next), n)
		}
		rows, err := s.client.Order.Query().All(sys)
		require.NoError(t, err)
		stored := make([]string, len(rows))
		for i, o := range rows {
			stored[i] = o.Number
		}
		require.ElementsMatch(t, want, stored, "nothing of a failed checkout is left")
		seq, err := s.client.Sequence.Query().Where(sequence.Name("order_number")).Only(sys)
		require.NoError(t, err)
		require.EqualValues(t, units, seq.Value)
		payments, err := s.client.Payment.Query().Count(sys)
		require.NoError(t, err)
		require.Equal(t, units, payments)
		got, err := s.client.ProductVariant.Get(sys, v.ID)
		require.NoError(t, err)
		require.Equal(t, units, got.Reserved)
		require.Equal(t, reservedByOpenOrders(t, s, v.ID), got.Reserved)
		got, err = s.client.ProductVariant.Get(sys, plenty.ID)
		require.NoError(t, err)
		require.Zero(t, got.Reserved, "the failed checkouts reserved nothing")
	})
}
