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

	n := events.Buffer + 10
	got := make(chan int)
	go func() {
		c := 0
		for range fast {
			c++
			if c == n {
				got <- c
			}
		}
	}()
	for i := 1; i <= n; i++ {
		require.NoError(t, bus.Publish(ctx, events.Event{OrderID: i, Type: events.Updated}))
	}
	select {
	case c := <-got:
		require.Equal(t, n, c)
	case <-time.After(10 * time.Second):
		t.Fatal("the fast subscriber did not get every event")
	}
	require.Len(t, slow, events.Buffer, "the slow subscriber keeps its buffer, no more")
	require.Equal(t, 1, (<-slow).OrderID, "in order")

	stopSlow()
	require.Eventually(t, func() bool { return bus.Subscribers() == 1 }, 10*time.Second, time.Millisecond)
	for range slow { // drains, then ends: closed
	}
}
