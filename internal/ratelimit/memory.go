package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store in the process, for a single replica or when no Redis
// is configured. Buckets that have refilled are dropped by a sweep every
// few thousand takes, so memory stays bounded by the active clients.
type Memory struct {
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
	takes   int
}

type bucket struct {
	tokens float64
	at     time.Time
	policy Policy
}

// NewMemory returns an empty in-process store; now is the clock (time.Now
// outside tests).
func NewMemory(now func() time.Time) *Memory {
	return &Memory{now: now, buckets: map[string]*bucket{}}
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, p Policy, key string, cost float64) (Result, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.takes++
	if m.takes%4096 == 0 {
		m.sweep(now)
	}
	k := p.Name + " " + key
	b, ok := m.buckets[k]
	if !ok {
		b = &bucket{tokens: p.Capacity, at: now, policy: p}
		m.buckets[k] = b
	}
	b.refill(now)
	res := Result{Available: b.tokens}
	if cost <= b.tokens {
		b.tokens = min(p.Capacity, b.tokens-cost)
		res.Allowed, res.Available = true, b.tokens
		return res, nil
	}
	res.RetryAfter = p.RetryAfter(b.tokens, cost)
	return res, nil
}

func (b *bucket) refill(now time.Time) {
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = min(b.policy.Capacity, b.tokens+elapsed*b.policy.RefillPerSecond)
		b.at = now
	}
}

// sweep drops full buckets: a new bucket starts full, so forgetting them
// changes nothing.
func (m *Memory) sweep(now time.Time) {
	for k, b := range m.buckets {
		b.refill(now)
		if b.tokens >= b.policy.Capacity {
			delete(m.buckets, k)
		}
	}
}
