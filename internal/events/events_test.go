package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/events"
)

// TestLocal: every subscriber gets every event; a full subscriber loses
// events without blocking the publisher or the others; ending the context
// unsubscribes and closes the channel.
func TestLocal(t *testing.T) {
	bus := events.NewLocal()
	ctx := context.Background()
	slowCtx, stopSlow := context.WithCancel(ctx)
	fastCtx, stopFast := context.WithCancel(ctx)
	defer stopFast()
	slow := bus.Subscribe(slowCtx)
	fast := bus.Subscribe(fastCtx)
	require.Equal(t, 2, bus.Subscribers())

	// fast reads each event as it comes; slow reads none.
	n := events.Buffer + 10
	for i := 1; i <= n; i++ {
		require.NoError(t, bus.Publish(ctx, events.Event{OrderID: i, Type: events.Updated}))
		select {
		case e := <-fast:
			require.Equal(t, i, e.OrderID)
		case <-time.After(10 * time.Second):
			t.Fatal("the fast subscriber lost an event")
		}
	}
	require.Len(t, slow, events.Buffer, "the slow subscriber keeps its buffer, no more")
	require.Equal(t, 1, (<-slow).OrderID, "in order")

	stopSlow()
	require.Eventually(t, func() bool { return bus.Subscribers() == 1 }, 10*time.Second, time.Millisecond)
	for range slow { // drains, then ends: closed
	}
}
