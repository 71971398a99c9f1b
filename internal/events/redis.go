package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Channel is the Redis pub/sub channel order events travel on.
const Channel = "savannah:orders"

// Redis is a Bus shared by every replica through Redis pub/sub: Publish
// sends to Redis, and one Redis subscription per process fans what
// arrives out to the local subscribers (the publisher's own included):
// each event crosses Redis once per process, then a keyed Local routes it
// to the subscriptions that watch its order.
type Redis struct {
	rdb   *redis.Client
	local *Local
	log   *slog.Logger
}

// NewRedis subscribes to Channel and returns the bus; the subscription
// lasts until ctx is done. It returns once Redis has confirmed the
// subscription, so no event published afterwards is missed.
func NewRedis(ctx context.Context, rdb *redis.Client, log *slog.Logger) (*Redis, error) {
	ps := rdb.Subscribe(ctx, Channel)
	if _, err := ps.Receive(ctx); err != nil {
		// Redis is down: the subscription's channel reconnects and
		// subscribes again by itself; meanwhile changes made on other
		// replicas do not reach this one's subscribers.
		log.Warn("events: redis does not answer; subscribing when it does", slog.String("error", err.Error()))
	}
	b := &Redis{rdb: rdb, local: NewLocal(), log: log}
	go func() {
		defer ps.Close()
		ch := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				e, ok := decode(m.Payload)
				if !ok {
					b.log.Warn("events: malformed message ignored", "channel", m.Channel)
					continue
				}
				_ = b.local.Publish(ctx, e)
			}
		}
	}()
	return b, nil
}

// Publish implements Bus: e travels with its publish time, At.
func (b *Redis) Publish(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	s, err := encode(e)
	if err != nil {
		return err
	}
	if err := b.rdb.Publish(ctx, Channel, s).Err(); err != nil {
		return fmt.Errorf("events: publish: %w", err)
	}
	return nil
}

// Subscribe implements Bus.
func (b *Redis) Subscribe(ctx context.Context) <-chan Event { return b.local.Subscribe(ctx) }

// SubscribeOrder implements Bus.
func (b *Redis) SubscribeOrder(ctx context.Context, id int) <-chan Event {
	return b.local.SubscribeOrder(ctx, id)
}

// WatchOrder implements Bus.
func (b *Redis) WatchOrder(ctx context.Context, id int, deliver func(Event) bool) {
	b.local.WatchOrder(ctx, id, deliver)
}

// Subscribers counts this process's current subscribers.
func (b *Redis) Subscribers() int { return b.local.Subscribers() }

// Dropped counts the events this process lost to full subscriber queues.
func (b *Redis) Dropped() uint64 { return b.local.Dropped() }
