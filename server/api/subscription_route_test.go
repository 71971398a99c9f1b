package api_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

// rootTable is the table a SELECT reads from (its first FROM, before any
// subquery: a privacy filter's subquery on orders is not a load of one).
var rootTable = regexp.MustCompile("^SELECT [^(]*? FROM [\"`]?([a-z_]+)")

// ownerFilter is the Order privacy rule's filter for a customer: their own
// orders.
var ownerFilter = regexp.MustCompile("[\"`]orders[\"`]\\.[\"`]customer_id[\"`] = ")

// loadsByTable counts the SELECT statements of stmts by the table they
// read.
func loadsByTable(stmts []string) map[string]int {
	out := map[string]int{}
	for _, q := range stmts {
		if m := rootTable.FindStringSubmatch(q); m != nil {
			out[m[1]]++
		}
	}
	return out
}

// orderOf decodes an order's GraphQL ID.
func orderOf(t *testing.T, id string) int {
	t.Helper()
	oid, err := scalar.DecodeID(id)
	require.NoError(t, err)
	return oid
}

// updated returns the order a subscription's next message carries,
// failing on anything but a "next" without errors.
func (sub *subscription) updated() map[string]any {
	sub.t.Helper()
	m := sub.next()
	require.Equal(sub.t, "next", m.Type, "%+v", m)
	require.Empty(sub.t, errorCodes(m), "%+v", m)
	data, _ := m.Payload["data"].(map[string]any)
	o, _ := data["orderUpdated"].(map[string]any)
	require.NotNil(sub.t, o, "%+v", m)
	return o
}

// TestSubscriptionRoutesByOrder: the bus indexes subscriptions by the
// order they watch; a change of order A reaches A's watcher and the staff
// feed, never B's watcher, whose first message is B's own change.
func TestSubscriptionRoutesByOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withBus(bus))
		alice, _ := s.asCustomer(t, "alice")
		bob, _ := s.asCustomer(t, "bob")
		staff := s.asStaff()
		a := placeAs(t, s, alice, "route-a")
		b := placeAs(t, s, bob, "route-b")

		watchA := alice.subscribe(t, "OrderUpdates", map[string]any{"id": a})
		watchB := bob.subscribe(t, "OrderUpdates", map[string]any{"id": b})
		feed := staff.subscribe(t, "OrderFeed", nil)
		live(t, bus, 3)
		require.Equal(t, 2, bus.Watched(), "two orders watched, each under its own key")

		setStatus(t, staff, a, "CONFIRMED")
		got := watchA.updated()
		require.Equal(t, []any{a, "CONFIRMED"}, []any{got["id"], got["status"]})
		feed.until(func(d map[string]any) bool {
			return field(d, "orderEvents", "order", "id") == a && field(d, "orderEvents", "order", "status") == "CONFIRMED"
		})

		setStatus(t, staff, b, "CANCELLED")
		got = watchB.updated()
		require.Equal(t, []any{b, "CANCELLED"}, []any{got["id"], got["status"]}, "B's watcher never got A's change")
		feed.until(func(d map[string]any) bool {
			return field(d, "orderEvents", "order", "id") == b && field(d, "orderEvents", "order", "status") == "CANCELLED"
		})
	})
}

// TestSubscriptionSharedLoadPrivacy: watchers share a load only within one
// visibility scope, and the load runs as one of them. Another customer
// watching the order is NOT_FOUND; the owner's three sockets and three
// staff sockets (two staff members) get every change, at one load of the
// order (and of its events, which the operation selects) per scope: two.
func TestSubscriptionSharedLoadPrivacy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withBus(bus))
		alice, _ := s.asCustomer(t, "alice")
		bob, _ := s.asCustomer(t, "bob")
		staff1, staff2 := s.asStaff(), s.asStaff()
		a := placeAs(t, s, alice, "shared-a")
		placeAs(t, s, bob, "shared-b") // bob has an order of his own

		other := bob.subscribe(t, "OrderUpdates", map[string]any{"id": a})
		m := other.next()
		require.Contains(t, []string{"next", "error"}, m.Type)
		require.Equal(t, []string{"NOT_FOUND"}, errorCodes(m), "%+v", m)

		var watchers []*subscription
		for _, who := range []*store{alice, alice, alice, staff1, staff1, staff2} {
			watchers = append(watchers, who.subscribe(t, "OrderUpdates", map[string]any{"id": a}))
		}
		live(t, bus, len(watchers)) // the refused one holds no subscription
		settle(t, bus, orderOf(t, a), watchers)

		s.count.Reset()
		require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: orderOf(t, a), Type: events.Updated}))
		for _, w := range watchers {
			require.Equal(t, a, w.updated()["id"])
		}
		stmts := s.count.Statements()
		loads := loadsByTable(stmts)
		require.Equal(t, 2, loads["orders"], "one load of the order per scope (the owner's, staff's): %v", loads)
		require.Equal(t, 2, loads["order_events"], "its events preloaded with it: %v", loads)
		owned := 0
		for _, q := range stmts {
			if rootTable.FindStringSubmatch(q)[1] == "orders" && ownerFilter.MatchString(q) {
				owned++
			}
		}
		require.Equal(t, 1, owned, "the owner's scope loads as the owner (privacy filters by customer), staff's as staff: %v", stmts)

		setStatus(t, staff1, a, "CONFIRMED")
		for _, w := range watchers {
			got := w.updated()
			require.Equal(t, []any{a, "CONFIRMED"}, []any{got["id"], got["status"]})
			evs, _ := got["events"].([]any)
			require.NotEmpty(t, evs)
		}
	})
}

// TestSubscriptionOneLoadPerChange: fifty sockets watching one order as
// one viewer cost one load of it (and one of its events) per change, not
// fifty; each gets the change, and the fan-out is measured.
func TestSubscriptionOneLoadPerChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		reg := prometheus.NewRegistry()
		setup := withBus(bus)
		setup.deps = func(d *api.Config) { d.Registry = reg }
		s := newStoreWith(t, db, demoCatalog(t), setup)
		alice, _ := s.asCustomer(t, "alice")
		a := placeAs(t, s, alice, "fifty")

		const n = 50
		watchers := make([]*subscription, n)
		for i := range watchers {
			watchers[i] = alice.subscribe(t, "OrderUpdates", map[string]any{"id": a})
		}
		live(t, bus, n)
		settle(t, bus, orderOf(t, a), watchers)

		for round := 1; round <= 2; round++ {
			s.count.Reset()
			require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: orderOf(t, a), Type: events.Updated}))
			for _, w := range watchers {
				require.Equal(t, a, w.updated()["id"])
			}
			loads := loadsByTable(s.count.Statements())
			t.Logf("round %d: SELECTs by table: %v", round, loads)
			require.Equal(t, 1, loads["orders"], "round %d: %v", round, loads)
			require.Equal(t, 1, loads["order_events"], "round %d: %v", round, loads)
		}
		// A sample is taken once its frame is written, which the client
		// may read first.
		var count uint64
		var sum float64
		require.Eventually(t, func() bool {
			count, sum = histogram(t, reg, "savannah_subscription_fanout_seconds", nil)
			return count >= uint64(3*n)
		}, 5*time.Second, 5*time.Millisecond)
		require.Equal(t, uint64(3*n), count, "one fan-out sample per subscription and change (the settling one too)")
		t.Logf("mean fan-out to %d sockets: %.2f ms", n, 1000*sum/float64(count))
		require.NotNil(t, metric(t, reg, "savannah_subscription_events_dropped_total", nil))
		require.Zero(t, counter(t, reg, "savannah_subscription_events_dropped_total", nil))
	})
}

// feedWithEvents is a staff feed that selects each order's events too.
const feedWithEvents = "subscription FeedWithEvents { orderEvents { type order { id status events { type } } } }"

// TestSubscriptionFeedSharesLoads: the staff feed still gets every order's
// events, and its sockets (two staff members, one scope) share one load
// of each changed order, with the events they select, per change.
func TestSubscriptionFeedSharesLoads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		s := newStoreWith(t, db, demoCatalog(t), withBus(bus))
		alice, _ := s.asCustomer(t, "alice")
		bob, _ := s.asCustomer(t, "bob")
		a := placeAs(t, s, alice, "feed-a")
		b := placeAs(t, s, bob, "feed-b")
		var feeds []*subscription
		for _, who := range []*store{s.asStaff(), s.asStaff(), s.asStaff()} {
			c := *who
			c.ops = map[string]string{"FeedWithEvents": feedWithEvents}
			feeds = append(feeds, c.subscribe(t, "FeedWithEvents", nil))
		}
		live(t, bus, len(feeds))

		for _, id := range []string{a, b} {
			s.count.Reset()
			require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: orderOf(t, id), Type: events.Updated}))
			for _, f := range feeds {
				got := f.firstAbout(id)
				evs, _ := field(got, "orderEvents", "order", "events").([]any)
				require.NotEmpty(t, evs)
			}
			loads := loadsByTable(s.count.Statements())
			require.Equal(t, 1, loads["orders"], "%v", loads)
			require.Equal(t, 1, loads["order_events"], "%v", loads)
		}
	})
}

// settle publishes a change of order id and waits until every watcher has
// it. A watcher's first event reaches it only once its subscription's
// access check is done (events wait for it), and the bus counts a
// subscription from before that check: so after settle, no check's SELECT
// can fall into what a test counts next.
func settle(t *testing.T, bus events.Bus, id int, watchers []*subscription) {
	t.Helper()
	require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: id, Type: events.Updated}))
	for _, w := range watchers {
		w.updated()
	}
}

// watchWithCustomer follows an order and its customer, whose read rule is
// not the order's: staff holding orders:read but not customers:read read
// the order, and its customer as null.
const watchWithCustomer = "subscription WatchWithCustomer($id: ID!) { orderUpdated(id: $id) { id status customer { email } } }"

// TestSubscriptionExecutionGroups: sockets running the same operation as
// the same viewer share one execution (and one encoded payload) per event;
// sockets whose viewers differ never share, even when they see the order
// alike (two staff members, or staff holding different permissions, who
// share one load of the order). The owner and a full staff member read the
// customer's email; staff without customers:read never receive it, though
// they watch the same order with the same query as the full staff member.
func TestSubscriptionExecutionGroups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		bus := events.NewLocal()
		reg := prometheus.NewRegistry()
		setup := withBus(bus)
		setup.deps = func(d *api.Config) { d.Registry = reg }
		s := newStoreWith(t, db, demoCatalog(t), setup)
		alice, aliceID := s.asCustomer(t, "alice")
		a := placeAs(t, s, alice, "groups-a")
		sys := viewer.System(context.Background(), "test: set up")
		email := s.client.Customer.GetX(sys, aliceID).Email
		narrowed := func(email string, ps ...viewer.Permission) *store {
			c := s.client.Customer.Create().SetEmail(email).SetName("N").SetRole(customer.RoleSTAFF).SetPermissions(ps).SaveX(sys)
			tok, _, err := s.tokens.IssueWith(c.ID, c.Role, c.Permissions, c.TokenVersion)
			require.NoError(t, err)
			return s.as(tok)
		}
		full1, full2 := s.asStaff(), s.asStaff()
		reader := narrowed("reader@example.com", viewer.OrdersRead) // no customers:read

		type watcher struct {
			who   string
			sub   *subscription
			email bool // sees the customer's email
		}
		var watchers []watcher
		for _, w := range []struct {
			who   string
			as    *store
			email bool
		}{
			{"owner", alice, true}, {"owner", alice, true}, {"owner", alice, true},
			{"staff 1", full1, true}, {"staff 1", full1, true},
			{"staff 2", full2, true},
			{"orders:read only", reader, false}, {"orders:read only", reader, false},
		} {
			c := *w.as
			c.ops = map[string]string{"WatchWithCustomer": watchWithCustomer}
			watchers = append(watchers, watcher{w.who, c.subscribe(t, "WatchWithCustomer", map[string]any{"id": a}), w.email})
		}
		const groups = 4 // the owner, staff 1, staff 2, the orders:read-only member
		live(t, bus, len(watchers))

		check := func(status string) {
			t.Helper()
			for _, w := range watchers {
				m := w.sub.next()
				require.Equal(t, "next", m.Type, "%s: %+v", w.who, m)
				require.Empty(t, errorCodes(m), "%s: %+v", w.who, m)
				o, _ := field(m.Payload["data"].(map[string]any), "orderUpdated").(map[string]any)
				require.Equal(t, a, o["id"], w.who)
				if status != "" {
					require.Equal(t, status, o["status"], w.who)
				}
				if w.email {
					require.Equal(t, email, field(o, "customer", "email"), "%s reads the customer", w.who)
				} else {
					require.Nil(t, o["customer"], "%s never gets the payload of a viewer who reads the customer", w.who)
				}
			}
		}
		// Settle: every subscription's access check is done.
		require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: orderOf(t, a), Type: events.Updated}))
		check("")

		for _, status := range []string{"CONFIRMED", "CANCELLED"} {
			before := counter(t, reg, "savannah_subscription_executions_total", nil)
			setStatus(t, full1, a, status)
			check(status)
			require.Equal(t, float64(groups), counter(t, reg, "savannah_subscription_executions_total", nil)-before,
				"one execution per operation and viewer, for %d sockets", len(watchers))
		}
	})
}
