package events_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/schema/access"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/events"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestLocalRoutesByOrder: an order's event reaches the subscriptions that
// watch that order and the every-order ones, never another order's; a
// full queue drops for its subscriber only, and counts.
func TestLocalRoutesByOrder(t *testing.T) {
	bus := events.NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := bus.SubscribeOrder(ctx, 1)
	b := bus.SubscribeOrder(ctx, 2)
	all := bus.Subscribe(ctx)
	require.Equal(t, 3, bus.Subscribers())
	require.Equal(t, 2, bus.Watched())

	require.NoError(t, bus.Publish(ctx, events.Event{OrderID: 1, Type: events.Updated}))
	e := <-a
	require.Equal(t, 1, e.OrderID)
	require.False(t, e.At.IsZero(), "stamped on publish")
	require.NotZero(t, e.Seq)
	require.Equal(t, 1, (<-all).OrderID)
	require.Empty(t, b, "order 2's watcher gets nothing of order 1")

	require.NoError(t, bus.Publish(ctx, events.Event{OrderID: 2, Type: events.Updated}))
	require.Equal(t, 2, (<-b).OrderID)
	require.Equal(t, 2, (<-all).OrderID)
	require.Empty(t, a)

	// Order 1's watcher reads nothing: it keeps its small queue and loses
	// the rest; the others go on receiving.
	for i := 0; i < events.OrderBuffer+3; i++ {
		require.NoError(t, bus.Publish(ctx, events.Event{OrderID: 1, Type: events.Updated}))
		require.Equal(t, 1, (<-all).OrderID)
	}
	require.Len(t, a, events.OrderBuffer)
	require.Equal(t, uint64(3), bus.Dropped())
}

// TestLocalUnsubscribes: ending a subscription's context removes it from
// the index and closes its channel, and a subscription holds no goroutine.
func TestLocalUnsubscribes(t *testing.T) {
	bus := events.NewLocal()
	// Counted from inside Eventually's check, as at the end: it runs on a
	// goroutine of its own.
	goroutines := func() (n int) {
		require.Eventually(t, func() bool { n = runtime.NumGoroutine(); return true }, 10*time.Second, time.Millisecond)
		return n
	}
	before := goroutines()
	const n = 500
	ctx, cancel := context.WithCancel(context.Background())
	chans := make([]<-chan events.Event, 0, 2*n)
	for i := 0; i < n; i++ {
		chans = append(chans, bus.SubscribeOrder(ctx, i%50+1), bus.Subscribe(ctx))
	}
	require.Equal(t, 2*n, bus.Subscribers())
	require.Equal(t, 50, bus.Watched())
	require.Less(t, goroutines()-before, 10, "no goroutine per subscription")

	// One ends alone: only it leaves.
	one, stop := context.WithCancel(context.Background())
	lone := bus.SubscribeOrder(one, 99)
	require.Equal(t, 51, bus.Watched())
	stop()
	_, open := <-lone
	require.False(t, open, "closed")
	require.Equal(t, 50, bus.Watched(), "an order nobody watches leaves the index")

	cancel()
	for _, ch := range chans {
		for range ch { // drains, then ends: closed
		}
	}
	require.Zero(t, bus.Subscribers())
	require.Zero(t, bus.Watched())
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before }, 10*time.Second, time.Millisecond, "no goroutine left behind")
	require.NoError(t, bus.Publish(context.Background(), events.Event{OrderID: 1, Type: events.Updated}), "publishing to nobody")
}

// TestShare: the subscribers of one delivery that ask with the same key
// share one load, run as the first of them; another key, or another
// delivery, loads again; a waiter that leaves does not stop the load.
func TestShare(t *testing.T) {
	bus := events.NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 20
	subs := make([]<-chan events.Event, n)
	for i := range subs {
		subs[i] = bus.SubscribeOrder(ctx, 7)
	}
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(who string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			loads.Add(1)
			<-release
			v, _ := viewer.From(ctx)
			return who + ":" + v.Client, nil
		}
	}
	for round := 1; round <= 2; round++ {
		require.NoError(t, bus.Publish(ctx, events.Event{OrderID: 7, Type: events.Updated}))
		got := make([]string, n)
		var wg sync.WaitGroup
		// The first caller leaves before the load ends: the others still
		// get its result.
		first := <-subs[0]
		leaving, leave := context.WithCancel(viewer.With(ctx, viewer.Viewer{Client: "first"}))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := events.Share(leaving, first, "k", load("first"))
			assert.ErrorIs(t, err, context.Canceled)
		}()
		require.Eventually(t, func() bool { return loads.Load() == int32(2*round-1) }, 10*time.Second, time.Millisecond)
		leave()
		for i := 1; i < n; i++ {
			e := <-subs[i]
			wg.Add(1)
			go func() {
				defer wg.Done()
				who := viewer.With(ctx, viewer.Viewer{Client: "other"})
				v, err := events.Share(who, e, "k", load("other"))
				assert.NoError(t, err)
				got[i] = v
			}()
		}
		// Another key on the same delivery loads on its own.
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := events.Share(ctx, first, "other-key", load("third"))
			assert.NoError(t, err)
			assert.Equal(t, "third:", v)
		}()
		require.Eventually(t, func() bool { return loads.Load() == int32(2*round) }, 10*time.Second, time.Millisecond)
		close(release)
		wg.Wait()
		release = make(chan struct{})
		for i := 1; i < n; i++ {
			require.Equal(t, "first:first", got[i], "the first caller's load, as its viewer")
		}
	}
	require.Equal(t, int32(4), loads.Load(), "one load per delivery and key")

	// An event no bus delivered shares nothing.
	close(release)
	for range 2 {
		_, err := events.Share(ctx, events.Event{OrderID: 7}, "k", load("alone"))
		require.NoError(t, err)
	}
	require.Equal(t, int32(6), loads.Load())
}

// TestOrderScope: viewers share a scope only when the Order rule lets them
// read the same orders; the children's rules follow the order's.
func TestOrderScope(t *testing.T) {
	ctx := context.Background()
	as := func(v viewer.Viewer) string { return events.OrderScope(viewer.With(ctx, v)) }
	staff := as(viewer.Viewer{CustomerID: 1, Role: viewer.Staff})
	require.Equal(t, "perm:orders:read", staff)
	require.Equal(t, staff, as(viewer.Viewer{CustomerID: 2, Role: viewer.Admin}))
	require.Equal(t, staff, as(viewer.Viewer{Client: "erp", Permissions: []viewer.Permission{viewer.OrdersWrite}}), "a write implies the read")
	require.Equal(t, "customer:3", as(viewer.Viewer{CustomerID: 3, Role: viewer.Staff, Permissions: []viewer.Permission{viewer.CatalogWrite}}), "a narrowed staff member reads their own orders only")
	require.Equal(t, "customer:4", as(viewer.Viewer{CustomerID: 4, Role: viewer.Customer}))
	require.NotEqual(t, as(viewer.Viewer{CustomerID: 4, Role: viewer.Customer}), as(viewer.Viewer{CustomerID: 5, Role: viewer.Customer}))
	require.Equal(t, "anonymous", events.OrderScope(ctx))
	require.Equal(t, "anonymous+grant:9", events.OrderScope(viewer.WithOrderGrant(ctx, 9)))

	order, ok := access.Of("Order")
	require.True(t, ok)
	for _, child := range []string{"OrderLine", "OrderEvent", "Payment"} {
		r, ok := access.Of(child)
		require.True(t, ok)
		require.Equal(t, order.All, r.All, "%s is read by whoever reads every order", child)
		require.NotNil(t, r.Grant, "%s follows an order-access grant", child)
	}
}

// TestViewerScope: two viewers share a scope (and so one execution of a
// subscription) only when nothing about them differs that a rule may
// read: viewers whom OrderScope puts together stay apart here.
func TestViewerScope(t *testing.T) {
	ctx := context.Background()
	as := func(v viewer.Viewer) string { return events.ViewerScope(viewer.With(ctx, v)) }
	staff := viewer.Viewer{CustomerID: 1, Role: viewer.Staff}
	require.Equal(t, as(staff), as(viewer.Viewer{CustomerID: 1, Role: viewer.Staff}), "the same viewer on two sockets")
	distinct := []viewer.Viewer{
		staff,
		{CustomerID: 2, Role: viewer.Staff}, // another member, same permissions
		{CustomerID: 1, Role: viewer.Admin},
		{CustomerID: 1, Role: viewer.Staff, Permissions: []viewer.Permission{viewer.OrdersRead}},
		{CustomerID: 1, Role: viewer.Staff, Permissions: []viewer.Permission{viewer.OrdersRead, viewer.CustomersRead}},
		{CustomerID: 1, Role: viewer.Staff, Permissions: []viewer.Permission{}},
		{Client: "erp", Permissions: []viewer.Permission{viewer.OrdersRead}},
		{Client: "crm", Permissions: []viewer.Permission{viewer.OrdersRead}},
		{CustomerID: 3, Role: viewer.Customer},
		{CustomerID: 4, Role: viewer.Customer},
	}
	seen := map[string]int{}
	for i, v := range distinct {
		s := as(v)
		j, dup := seen[s]
		require.False(t, dup, "viewers %d and %d share %q", j, i, s)
		seen[s] = i
	}
	require.Equal(t, events.OrderScope(viewer.With(ctx, distinct[0])), events.OrderScope(viewer.With(ctx, distinct[1])), "OrderScope lets them share a load")
	cust := viewer.With(ctx, viewer.Viewer{CustomerID: 3, Role: viewer.Customer})
	require.NotEqual(t, events.ViewerScope(cust), events.ViewerScope(viewer.WithOrderGrant(cust, 9)), "an order grant")
	require.NotEqual(t, events.ViewerScope(ctx), events.ViewerScope(viewer.WithOrderGrant(ctx, 9)))
	require.NotEqual(t, events.ViewerScope(cust), events.ViewerScope(viewer.System(cust, "test: bypass")), "a system bypass")
}

// TestLocalSubscriptionMemory: a watcher costs the bus well under a
// kilobyte (its queue, its place in the index, its unsubscribe hook), so
// sixteen thousand sockets cost it a few megabytes.
func TestLocalSubscriptionMemory(t *testing.T) {
	bus := events.NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 16000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	chans := make([]<-chan events.Event, 0, n)
	before := heap()
	for i := 0; i < n; i++ {
		chans = append(chans, bus.SubscribeOrder(ctx, i%4000+1))
	}
	per := float64(heap()-before) / n
	t.Logf("%.0f bytes per order subscription in the bus", per)
	require.Less(t, per, 1024.0)
	require.Len(t, chans, n)
}

// TestRedisRoutesByOrder: an event published on one process's bus
// reaches another's watchers of its order through Redis, with its
// publish time.
func TestRedisRoutesByOrder(t *testing.T) {
	rdb := dbtest.Redis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := events.NewRedis(ctx, rdb, log)
	require.NoError(t, err)
	b, err := events.NewRedis(ctx, rdb, log)
	require.NoError(t, err)
	// Order IDs of their own: other tests may publish on the same server.
	id := int(time.Now().UnixNano()%1_000_000_000) + 1_000_000_000
	watch := b.SubscribeOrder(ctx, id)
	other := b.SubscribeOrder(ctx, id+1)
	at := time.Now().Add(-time.Second).Round(time.Microsecond)
	require.NoError(t, a.Publish(ctx, events.Event{OrderID: id + 1, Type: events.Updated, At: at}))
	require.NoError(t, a.Publish(ctx, events.Event{OrderID: id, Type: events.Updated, At: at}))
	select {
	case e := <-watch:
		require.Equal(t, id, e.OrderID)
		require.True(t, at.Equal(e.At), "carried: %v, sent %v", e.At, at)
	case <-time.After(10 * time.Second):
		t.Fatal("nothing through Redis")
	}
	require.Equal(t, id+1, (<-other).OrderID)
	require.Empty(t, watch, "the other order's event went to its own watcher only")
}
