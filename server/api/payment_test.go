package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderevent"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa/mpesatest"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// shop is a store whose checkout takes M-Pesa through a local Daraja, with
// a clock the test moves forward.
type shop struct {
	*store
	daraja   *mpesatest.Server
	checkout *checkout.Service
	skew     *atomic.Int64 // nanoseconds added to the wall clock
	variant  *ent.ProductVariant
}

func (sh *shop) now() time.Time { return time.Now().Add(time.Duration(sh.skew.Load())) }

func newShop(t *testing.T, db *database.DB) *shop {
	t.Helper()
	sh := &shop{daraja: mpesatest.New(t), skew: &atomic.Int64{}}
	var h atomic.Pointer[api.Server]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	mc := sh.daraja.Config(srv.URL + "/webhooks/mpesa")
	client, err := mpesa.New(mc)
	require.NoError(t, err)
	s := newStoreWith(t, db, demoCatalog(t), storeSetup{
		introspection: true,
		app:           func(c *app.Config) { c.Checkout.Mpesa, c.Checkout.Now = client, sh.now },
		deps:          func(c *api.Config) { c.MpesaSecretMatches = mc.CallbackSecretMatches },
	})
	h.Store(s.api)
	s.srv = srv
	sh.store, sh.checkout = s, s.services.Checkout
	return sh
}

type payPayload struct {
	PayOrder struct {
		Payment *struct {
			ID        string `json:"id"`
			Method    string `json:"method"`
			Status    string `json:"status"`
			Reference string `json:"reference"`
		} `json:"payment"`
		UserErrors []userError `json:"userErrors"`
	} `json:"payOrder"`
}

// mpesaOrder places an order to pay by M-Pesa for 2 units at KES 1,500.
func (sh *shop) mpesaOrder(t *testing.T, as *store, key string) *orderData {
	t.Helper()
	if sh.variant == nil {
		sh.variant = stocked(t, sh.store, 100)
		require.NoError(t, sh.client.ProductVariant.UpdateOneID(sh.variant.ID).SetPriceMinor(150000).Exec(viewer.System(context.Background(), "test: set up")))
	}
	v := sh.variant
	p := as.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 2)}})
	vars := placeOrderVars(p.Cart.ID, key)
	vars["input"].(map[string]any)["paymentMethod"] = "MPESA"
	out := decodePlace(t, as.post(sh.ops["PlaceOrder"], "PlaceOrder", vars))
	require.Empty(t, out.PlaceOrder.UserErrors)
	require.Equal(t, "3000.00", out.PlaceOrder.Order.Total.Amount)
	return out.PlaceOrder.Order
}

func (sh *shop) pay(t *testing.T, as *store, orderID string) payPayload {
	t.Helper()
	var out payPayload
	as.op("PayOrder", map[string]any{"orderId": orderID, "method": "MPESA", "phone": "0712345678"}, &out)
	return out
}

// events counts an order's events by type.
func (sh *shop) events(t *testing.T, orderID string) map[orderevent.Type]int {
	t.Helper()
	id, err := scalar.DecodeID(orderID)
	require.NoError(t, err)
	evs, err := sh.client.OrderEvent.Query().Where(orderevent.OrderID(id)).All(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	out := map[orderevent.Type]int{}
	for _, e := range evs {
		out[e.Type]++
	}
	return out
}

func (sh *shop) order(t *testing.T, orderID string) *ent.Order {
	t.Helper()
	id, err := scalar.DecodeID(orderID)
	require.NoError(t, err)
	o, err := sh.client.Order.Query().Where(order.ID(id)).WithPayments().Only(viewer.System(context.Background(), "test: set up"))
	require.NoError(t, err)
	return o
}

func TestMpesaFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newShop(t, db)
		ctx := context.Background()
		alice, _ := sh.asCustomer(t, "alice")

		// Paid by callback, delivered twice: confirmed once.
		o := sh.mpesaOrder(t, alice, "k1")
		p := sh.pay(t, alice, o.ID)
		require.Empty(t, p.PayOrder.UserErrors)
		require.Equal(t, "PENDING", p.PayOrder.Payment.Status)
		pushes := sh.daraja.PushesFor(o.Number)
		require.Len(t, pushes, 1)
		require.EqualValues(t, 3000, pushes[0].Amount)
		require.Equal(t, "254712345678", pushes[0].PhoneNumber)
		again := sh.pay(t, alice, o.ID)
		require.Equal(t, p.PayOrder.Payment.ID, again.PayOrder.Payment.ID, "a second click within a minute sends no second push")
		require.Len(t, sh.daraja.PushesFor(o.Number), 1)

		require.NoError(t, sh.daraja.Resolve(ctx, pushes[0].CheckoutRequestID, mpesatest.Success("RCPT000001"), 2))
		got := sh.order(t, o.ID)
		require.Equal(t, order.StatusCONFIRMED, got.Status)
		require.Equal(t, "RCPT000001", got.Edges.Payments[0].Reference)
		ev := sh.events(t, o.ID)
		require.Equal(t, 1, ev[orderevent.TypePAYMENT_SUCCEEDED])
		require.Equal(t, 1, ev[orderevent.TypeSTATUS_CHANGED])
		paid := sh.pay(t, alice, o.ID)
		require.Equal(t, []string{"INVALID_TRANSITION"}, codesOf(paid.PayOrder.UserErrors), "a confirmed order is not paid again")

		// A lost callback, recovered by the status job; the late callback
		// afterwards changes nothing.
		o2 := sh.mpesaOrder(t, alice, "k2")
		require.Empty(t, sh.pay(t, alice, o2.ID).PayOrder.UserErrors)
		push := sh.daraja.PushesFor(o2.Number)[0]
		require.NoError(t, sh.daraja.Resolve(ctx, push.CheckoutRequestID, mpesatest.Success("RCPT000002"), 0))
		n, err := sh.checkout.RecoverPayments(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a payment is given time for its callback")
		sh.skew.Store(int64(3 * time.Minute))
		n, err = sh.checkout.RecoverPayments(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, order.StatusCONFIRMED, sh.order(t, o2.ID).Status)
		status, err := sh.daraja.Deliver(ctx, push.CheckoutRequestID)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
		ev = sh.events(t, o2.ID)
		require.Equal(t, 1, ev[orderevent.TypePAYMENT_SUCCEEDED])
		require.Equal(t, 1, ev[orderevent.TypeSTATUS_CHANGED])
		n, err = sh.checkout.RecoverPayments(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		sh.skew.Store(0)

		// Cancelled on the phone: FAILED, the customer retries and pays.
		o3 := sh.mpesaOrder(t, alice, "k3")
		require.Empty(t, sh.pay(t, alice, o3.ID).PayOrder.UserErrors)
		push = sh.daraja.PushesFor(o3.Number)[0]
		require.NoError(t, sh.daraja.Resolve(ctx, push.CheckoutRequestID, mpesatest.Cancelled(), 1))
		got = sh.order(t, o3.ID)
		require.Equal(t, order.StatusPENDING, got.Status)
		require.Len(t, got.Edges.Payments, 1)
		require.Equal(t, "FAILED", string(got.Edges.Payments[0].Status))
		retry := sh.pay(t, alice, o3.ID)
		require.Empty(t, retry.PayOrder.UserErrors)
		require.NotEqual(t, got.Edges.Payments[0].ID, retry.PayOrder.Payment.ID)
		pushes = sh.daraja.PushesFor(o3.Number)
		require.Len(t, pushes, 2)

		// Forgeries: a wrong secret is 404; a wrong amount is not applied.
		status, err = sh.daraja.DeliverTo(ctx, push.CheckoutRequestID, sh.srv.URL+"/webhooks/mpesa/not-the-secret-at-all-000000")
		require.NoError(t, err)
		require.Equal(t, http.StatusNotFound, status)
		forged := mpesatest.Success("FORGED0001")
		forged.PaidShillings = 1
		require.NoError(t, sh.daraja.Resolve(ctx, pushes[1].CheckoutRequestID, forged, 1))
		require.Equal(t, order.StatusPENDING, sh.order(t, o3.ID).Status)

		// Switching an M-Pesa order to cash replaces its unstarted M-Pesa
		// payment.
		ow := sh.mpesaOrder(t, alice, "k-switch")
		var pp payPayload
		alice.op("PayOrder", map[string]any{"orderId": ow.ID, "method": "CASH_ON_DELIVERY"}, &pp)
		require.Empty(t, pp.PayOrder.UserErrors)
		statuses := map[string]string{}
		for _, p := range sh.order(t, ow.ID).Edges.Payments {
			statuses[string(p.Method)] = string(p.Status)
		}
		require.Equal(t, map[string]string{"MPESA": "FAILED", "CASH_ON_DELIVERY": "PENDING"}, statuses)

		// Another customer cannot pay (or see) the order.
		bob, _ := sh.asCustomer(t, "bob")
		var bp payPayload
		bob.op("PayOrder", map[string]any{"orderId": o3.ID, "method": "MPESA", "phone": "0712345678"}, &bp)
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(bp.PayOrder.UserErrors))

		// Daraja down: a clear userError, and the attempt is over.
		o4 := sh.mpesaOrder(t, alice, "k4")
		sh.daraja.FailNext(mpesatest.EndpointPush, mpesatest.Unavailable())
		down := sh.pay(t, alice, o4.ID)
		require.Nil(t, down.PayOrder.Payment)
		require.Equal(t, []string{"INVALID"}, codesOf(down.PayOrder.UserErrors))
		require.Equal(t, []string{"method"}, down.PayOrder.UserErrors[0].Field)
		require.Equal(t, "FAILED", string(sh.order(t, o4.ID).Edges.Payments[0].Status))

		// Unpaid M-Pesa orders are cancelled after the timeout, releasing
		// their stock; paid ones are kept.
		n, err = sh.checkout.CancelStaleOrders(ctx, time.Now())
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = sh.checkout.CancelStaleOrders(ctx, time.Now().Add(31*time.Minute))
		require.NoError(t, err)
		require.Equal(t, 2, n, "o3 and o4")
		require.Equal(t, order.StatusCANCELLED, sh.order(t, o3.ID).Status)
		require.Equal(t, order.StatusCANCELLED, sh.order(t, o4.ID).Status)
		require.Equal(t, order.StatusCONFIRMED, sh.order(t, o.ID).Status)
		pv, err := sh.client.ProductVariant.Get(viewer.System(ctx, "test: set up"), sh.variant.ID)
		require.NoError(t, err)
		require.Equal(t, 6, pv.Reserved, "o, o2 and the cash order hold 2 units each; the cancelled orders released theirs")
		require.Equal(t, reservedByOpenOrders(t, sh.store, sh.variant.ID), pv.Reserved)

		// An order past its timeout whose push is still in flight waits
		// for the push's outcome before it is cancelled.
		sh.skew.Store(int64(-40 * time.Minute))
		o5 := sh.mpesaOrder(t, alice, "k5")
		sh.skew.Store(0)
		require.Empty(t, sh.pay(t, alice, o5.ID).PayOrder.UserErrors)
		n, err = sh.checkout.CancelStaleOrders(ctx, time.Now())
		require.NoError(t, err)
		require.Zero(t, n)
		push = sh.daraja.PushesFor(o5.Number)[0]
		require.NoError(t, sh.daraja.Resolve(ctx, push.CheckoutRequestID, mpesatest.TimedOut(), 1))
		n, err = sh.checkout.CancelStaleOrders(ctx, time.Now())
		require.NoError(t, err)
		require.Equal(t, 1, n)

		// A success arriving for a cancelled order is acknowledged but
		// confirms nothing (it is logged for a refund).
		o6 := sh.mpesaOrder(t, alice, "k6")
		require.Empty(t, sh.pay(t, alice, o6.ID).PayOrder.UserErrors)
		var co struct {
			CancelOrder struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"cancelOrder"`
		}
		alice.op("CancelOrder", map[string]any{"id": o6.ID}, &co)
		require.Empty(t, co.CancelOrder.UserErrors)
		push = sh.daraja.PushesFor(o6.Number)[0]
		require.NoError(t, sh.daraja.Resolve(ctx, push.CheckoutRequestID, mpesatest.Success("LATE000001"), 1))
		got = sh.order(t, o6.ID)
		require.Equal(t, order.StatusCANCELLED, got.Status)
		require.Equal(t, "FAILED", string(got.Edges.Payments[0].Status))
	})
}

func TestMpesaNotConfigured(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		alice, _ := s.asCustomer(t, "alice")
		p := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		out := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "k")))
		var pp payPayload
		alice.op("PayOrder", map[string]any{"orderId": out.PlaceOrder.Order.ID, "method": "MPESA"}, &pp)
		require.Equal(t, []string{"INVALID"}, codesOf(pp.PayOrder.UserErrors))
		require.Contains(t, pp.PayOrder.UserErrors[0].Message, "not configured")

		// Nor can an order be placed for M-Pesa.
		p2 := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		vars := placeOrderVars(p2.Cart.ID, "k-mpesa")
		vars["input"].(map[string]any)["paymentMethod"] = "MPESA"
		mp := decodePlace(t, alice.post(s.ops["PlaceOrder"], "PlaceOrder", vars))
		require.Nil(t, mp.PlaceOrder.Order)
		require.Equal(t, []string{"INVALID"}, codesOf(mp.PlaceOrder.UserErrors))
		require.Equal(t, []string{"input", "paymentMethod"}, mp.PlaceOrder.UserErrors[0].Field)

		// Cash on delivery: staff confirm, the order is CONFIRMED.
		alice.op("PayOrder", map[string]any{"orderId": out.PlaceOrder.Order.ID, "method": "CASH_ON_DELIVERY"}, &pp)
		require.Empty(t, pp.PayOrder.UserErrors)
		require.Equal(t, out.PlaceOrder.Order.Payments[0].ID, pp.PayOrder.Payment.ID, "the order's pending cash payment")
		var cp struct {
			ConfirmPayment struct {
				Payment *struct {
					Status    string `json:"status"`
					Reference string `json:"reference"`
				} `json:"payment"`
				UserErrors []userError `json:"userErrors"`
			} `json:"confirmPayment"`
		}
		resp := alice.post(s.ops["ConfirmPayment"], "ConfirmPayment", map[string]any{"paymentId": pp.PayOrder.Payment.ID})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
		staff := s.asStaff()
		staff.op("ConfirmPayment", map[string]any{"paymentId": pp.PayOrder.Payment.ID, "reference": "cash KES 1"}, &cp)
		require.Empty(t, cp.ConfirmPayment.UserErrors)
		require.Equal(t, "SUCCEEDED", cp.ConfirmPayment.Payment.Status)
		staff.op("ConfirmPayment", map[string]any{"paymentId": pp.PayOrder.Payment.ID}, &cp)
		require.Equal(t, []string{"INVALID_TRANSITION"}, codesOf(cp.ConfirmPayment.UserErrors))
		var read map[string]*orderData
		alice.op("Order", map[string]any{"id": out.PlaceOrder.Order.ID}, &read)
		require.Equal(t, "CONFIRMED", read["order"].Status)

		// The webhook does not exist without M-Pesa.
		r, err := http.Post(s.srv.URL+"/webhooks/mpesa/anything", "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		r.Body.Close()
		require.Equal(t, http.StatusNotFound, r.StatusCode)
	})
}

func TestPurgeCarts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		v := stocked(t, s, 10)
		svc := s.services.Checkout
		guest := s.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		alice, _ := s.asCustomer(t, "alice")
		own := alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
		ctx := context.Background()
		n, err := svc.PurgeCarts(ctx, time.Now().Add(29*24*time.Hour))
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = svc.PurgeCarts(ctx, time.Now().Add(31*24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		sys := viewer.System(ctx, "test: set up")
		left, err := s.client.Cart.Query().Where(cart.TokenIn(guest.Cart.ID, own.Cart.ID)).All(sys)
		require.NoError(t, err)
		require.Len(t, left, 1)
		require.Equal(t, own.Cart.ID, left[0].Token)
	})
}

// TestCallbackRacingCancel delivers success callbacks (twice) while the
// customer cancels: each order ends either paid and CONFIRMED or
// CANCELLED: with its payment FAILED when the cancel came first, or after
// the payment had confirmed it; never a payment applied to an order
// already cancelled.
func TestCallbackRacingCancel(t *testing.T) {
	const orders = 5
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newShop(t, db)
		ctx := context.Background()
		alice, _ := sh.asCustomer(t, "alice")
		type placed struct{ id, push string }
		var ps []placed
		for i := range orders {
			o := sh.mpesaOrder(t, alice, fmt.Sprint("k", i))
			require.Empty(t, sh.pay(t, alice, o.ID).PayOrder.UserErrors)
			push := sh.daraja.PushesFor(o.Number)[0].CheckoutRequestID
			require.NoError(t, sh.daraja.Decide(push, mpesatest.Success("")))
			ps = append(ps, placed{o.ID, push})
		}
		var wg sync.WaitGroup
		for _, p := range ps {
			wg.Add(3)
			for range 2 {
				go func() {
					defer wg.Done()
					_, _ = sh.daraja.Deliver(ctx, p.push)
				}()
			}
			go func() {
				defer wg.Done()
				alice.postAsync(sh.ops["CancelOrder"], "CancelOrder", map[string]any{"id": p.id})
			}()
		}
		wg.Wait()
		for _, p := range ps {
			o := sh.order(t, p.id)
			require.Len(t, o.Edges.Payments, 1)
			switch o.Status {
			case order.StatusCONFIRMED:
				require.Equal(t, "SUCCEEDED", string(o.Edges.Payments[0].Status))
				require.Equal(t, 1, sh.events(t, p.id)[orderevent.TypePAYMENT_SUCCEEDED])
			case order.StatusCANCELLED:
				// Either the cancel came first (the payment failed with
				// it), or the payment confirmed the order and the customer
				// then cancelled a CONFIRMED order, as they may: a refund
				// for staff.
				oid, err := scalar.DecodeID(p.id)
				require.NoError(t, err)
				cancel, err := sh.client.OrderEvent.Query().
					Where(orderevent.OrderID(oid), orderevent.ToStatus("CANCELLED")).
					Only(viewer.System(ctx, "test: set up"))
				require.NoError(t, err)
				if o.Edges.Payments[0].Status == "SUCCEEDED" {
					require.Equal(t, "CONFIRMED", cancel.FromStatus)
				} else {
					require.Equal(t, "FAILED", string(o.Edges.Payments[0].Status))
					require.Equal(t, "PENDING", cancel.FromStatus)
				}
			default:
				t.Fatalf("order %s ended %s", p.id, o.Status)
			}
		}
		pv, err := sh.client.ProductVariant.Get(viewer.System(ctx, "test: set up"), sh.variant.ID)
		require.NoError(t, err)
		require.Equal(t, reservedByOpenOrders(t, sh.store, sh.variant.ID), pv.Reserved)
	})
}
