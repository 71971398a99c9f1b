package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/events"
)

// withBus runs the store's API with order events on bus.
func withBus(bus events.Bus) storeSetup {
	return storeSetup{introspection: true, app: func(d *app.Config) { d.Events = bus }}
}

// counted is a bus that says how many subscribe to it.
type counted interface {
	events.Bus
	Subscribers() int
}

// live waits until bus has n subscribers, so a change made next is seen.
func live(t *testing.T, bus counted, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return bus.Subscribers() == n }, 10*time.Second, 2*time.Millisecond)
}

// subscription is one graphql-transport-ws subscription.
type subscription struct {
	t    *testing.T
	conn *websocket.Conn
}

// subscribe opens a connection with s's token and starts the contract
// operation op.
func (s *store) subscribe(t *testing.T, op string, vars map[string]any) *subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + s.bearer}}))
	var m wsMessage
	require.NoError(t, wsjson.Read(ctx, conn, &m))
	require.Equal(t, "connection_ack", m.Type)
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "subscribe", Payload: map[string]any{
		"query": s.ops[op], "operationName": op, "variables": vars,
	}}))
	return &subscription{t: t, conn: conn}
}

// next returns the next message other than a ping, waiting at most 10s.
func (sub *subscription) next() wsMessage {
	sub.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var m wsMessage
		require.NoError(sub.t, wsjson.Read(ctx, sub.conn, &m))
		if m.Type != "ping" && m.Type != "pong" {
			return m
		}
	}
}

// until reads "next" messages until ok accepts one's data (other events,
// such as a payment's or another test's on a shared Redis, may come
// first), failing after 10s.
func (sub *subscription) until(ok func(data map[string]any) bool) map[string]any {
	sub.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m := sub.next()
		require.Equal(sub.t, "next", m.Type, "%+v", m)
		require.Empty(sub.t, errorCodes(m), "%+v", m)
		data, _ := m.Payload["data"].(map[string]any)
		if ok(data) {
			return data
		}
	}
	sub.t.Fatal("no matching event before the deadline")
	return nil
}

// firstAbout returns the first feed event about order id (events about
// other orders, from other tests on a shared Redis, are skipped).
func (sub *subscription) firstAbout(id string) map[string]any {
	sub.t.Helper()
	return sub.until(func(d map[string]any) bool { return field(d, "orderEvents", "order", "id") == id })
}

func field(data map[string]any, path ...string) any {
	var v any = data
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// placeAs places an order of one unit as cust and returns its ID.
func placeAs(t *testing.T, s, cust *store, key string) string {
	t.Helper()
	v := stocked(t, s, 100)
	p := cust.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(v, 1)}})
	out := decodePlace(t, cust.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, key)))
	require.NotNil(t, out.PlaceOrder.Order, "%+v", out.PlaceOrder.UserErrors)
	return out.PlaceOrder.Order.ID
}

func setStatus(t *testing.T, staff *store, id, status string) {
	t.Helper()
	var out struct {
		UpdateOrderStatus struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"updateOrderStatus"`
	}
	staff.op("UpdateOrderStatus", map[string]any{"id": id, "status": status, "note": "sub"}, &out)
	require.Empty(t, out.UpdateOrderStatus.UserErrors)
}

// TestOrderSubscriptions: the owner follows their order, another customer
// is refused as if it did not exist, staff see new orders on the feed.
func TestOrderSubscriptions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withBus(bus))
		alice, _ := s.asCustomer(t, "alice")
		bob, _ := s.asCustomer(t, "bob")
		staff := s.asStaff()
		id := placeAs(t, s, alice, "k1")

		feed := staff.subscribe(t, "OrderFeed", nil)
		own := alice.subscribe(t, "OrderUpdates", map[string]any{"id": id})

		// Another customer: NOT_FOUND, nothing streamed.
		other := bob.subscribe(t, "OrderUpdates", map[string]any{"id": id})
		m := other.next()
		live(t, bus, 2) // the refused one holds no subscription
		require.Contains(t, []string{"next", "error"}, m.Type)
		require.Equal(t, []string{"NOT_FOUND"}, errorCodes(m), "%+v", m)

		setStatus(t, staff, id, "CONFIRMED")
		got := own.until(func(d map[string]any) bool { return field(d, "orderUpdated", "status") == "CONFIRMED" })
		require.Equal(t, id, field(got, "orderUpdated", "id"))
		evs, _ := field(got, "orderUpdated", "events").([]any)
		require.NotEmpty(t, evs)

		// The feed announces a new order as CREATED.
		id2 := placeAs(t, s, alice, "k2")
		feed.until(func(d map[string]any) bool {
			return field(d, "orderEvents", "type") == "CREATED" && field(d, "orderEvents", "order", "id") == id2
		})
	})
}

// TestOrderSubscriptionsAcrossInstances: a change made through instance A
// reaches a subscriber on instance B through Redis.
func TestOrderSubscriptionsAcrossInstances(t *testing.T) {
	base := dbtest.Redis(t)
	opt := *base.Options()
	opt.DB = 6
	rdb := redis.NewClient(&opt)
	t.Cleanup(func() { _ = rdb.Close() })
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		busA, err := events.NewRedis(ctx, rdb, log)
		require.NoError(t, err)
		busB, err := events.NewRedis(ctx, rdb, log)
		require.NoError(t, err)
		a := newStoreWith(t, db, demoCatalog(t), withBus(busA))
		b := newStoreWith(t, db, nil, withBus(busB))

		alice, _ := a.asCustomer(t, "alice")
		feed := b.asStaff().subscribe(t, "OrderFeed", nil)
		live(t, busB, 1)
		id := placeAs(t, a, alice, fmt.Sprint("x", time.Now().UnixNano()))
		require.Equal(t, "CREATED", field(feed.firstAbout(id), "orderEvents", "type"), "a new order is first announced as CREATED")
		setStatus(t, a.asStaff(), id, "CONFIRMED")
		feed.until(func(d map[string]any) bool {
			return field(d, "orderEvents", "type") == "UPDATED" && field(d, "orderEvents", "order", "status") == "CONFIRMED"
		})
	})
}

// TestOneEventPerChange: a transaction publishes one event per order it
// changed, however many rows it wrote, after the commit: placing an order
// is one CREATED (the staff feed's first word on it), a status change or
// a cancellation one UPDATED.
func TestOneEventPerChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withBus(bus))
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		seen := bus.Subscribe(ctx)
		// published returns what was published since the last call: a
		// mutation's events are published before its answer, so a marker
		// published now comes after them.
		published := func() []events.Event {
			t.Helper()
			require.NoError(t, bus.Publish(ctx, events.Event{OrderID: -1, Type: events.Updated}))
			var out []events.Event
			for e := range seen {
				if e.OrderID == -1 {
					return out
				}
				require.False(t, e.At.IsZero(), "stamped with its publish time")
				out = append(out, events.Event{OrderID: e.OrderID, Type: e.Type}) // what was published, not how it was delivered
			}
			t.Fatal("the bus closed")
			return nil
		}
		alice, _ := s.asCustomer(t, "alice")
		staff := s.asStaff()
		feed := staff.subscribe(t, "OrderFeed", nil)
		live(t, bus, 2)
		require.Empty(t, published())

		id := placeAs(t, s, alice, "k1")
		oid, err := scalar.DecodeID(id)
		require.NoError(t, err)
		require.Equal(t, []events.Event{{OrderID: oid, Type: events.Created}}, published())
		require.Equal(t, "CREATED", field(feed.firstAbout(id), "orderEvents", "type"), "a new order is first announced as CREATED")

		setStatus(t, staff, id, "CONFIRMED")
		require.Equal(t, []events.Event{{OrderID: oid, Type: events.Updated}}, published())

		var out struct {
			CancelOrder struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"cancelOrder"`
		}
		alice.op("CancelOrder", map[string]any{"id": id, "reason": "changed my mind"}, &out)
		require.Empty(t, out.CancelOrder.UserErrors)
		require.Equal(t, []events.Event{{OrderID: oid, Type: events.Updated}}, published())
	})
}
