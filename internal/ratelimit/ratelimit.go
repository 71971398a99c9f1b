// Package ratelimit meters clients with leaky buckets: each client has a
// bucket of points that requests drain by their cost and that refills at a
// steady rate. With Redis every replica shares the buckets (one atomic
// script per request); without it they live in the process.
//
// The GraphQL endpoint drains a client's bucket by each query's cost. The
// login and register mutations take one token each from stricter policies
// of their own on the same store (RATE_LIMIT_SIGN_IN, RATE_LIMIT_REGISTER),
// so that guessing passwords or creating accounts in bulk is limited apart
// from browsing.
//
// Sign-in throttling (internal/auth) keeps its failure budgets per account
// and per client address on the same stores, behind Fallback so that it
// keeps counting in process while Redis is down.
//
// A policy's name is part of the key, so policies never share buckets.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Policy is one kind of bucket.
type Policy struct {
	// Name keeps the buckets of different policies apart ("graphql",
	// "sign-in"); it must not contain spaces.
	Name string
	// Capacity is the most points a client can hold and spend at once.
	Capacity float64
	// RefillPerSecond is how many points come back each second.
	RefillPerSecond float64
}

// Validate reports a policy that could never let a request through.
func (p Policy) Validate() error {
	if p.Name == "" {
		return errors.New("ratelimit: policy needs a name")
	}
	if p.Capacity <= 0 || p.RefillPerSecond <= 0 || math.IsInf(p.Capacity, 0) || math.IsNaN(p.RefillPerSecond) {
		return fmt.Errorf("ratelimit: policy %s needs a positive capacity and refill rate", p.Name)
	}
	return nil
}

// Result is a bucket's state after a Take.
type Result struct {
	// Allowed is whether the cost was taken.
	Allowed bool
	// Available is what is left in the bucket.
	Available float64
	// RetryAfter is how long until the cost would fit, when refused.
	RetryAfter time.Duration
}

// Store holds buckets. Take drains cost points from the bucket of key
// under policy if it holds them, and refuses without draining otherwise. A
// cost of 0 only reads the bucket; a negative cost gives points back (a
// refund when a query cost less than was charged).
type Store interface {
	Take(ctx context.Context, p Policy, key string, cost float64) (Result, error)
}

// Limiter is a policy applied over a store.
type Limiter struct {
	store  Store
	policy Policy
}

// New returns a limiter applying p over store.
func New(store Store, p Policy) *Limiter { return &Limiter{store: store, policy: p} }

// Policy returns the limiter's policy.
func (l *Limiter) Policy() Policy { return l.policy }

// Take drains cost points from key's bucket; see Store.
func (l *Limiter) Take(ctx context.Context, key string, cost float64) (Result, error) {
	return l.store.Take(ctx, l.policy, key, cost)
}

// RetryAfter is how long a bucket of this policy holding available takes
// to hold cost.
func (p Policy) RetryAfter(available, cost float64) time.Duration {
	if cost <= available {
		return 0
	}
	return time.Duration(math.Ceil((cost - available) / p.RefillPerSecond * float64(time.Second)))
}

// Fallback takes from Primary (Redis, shared by every replica) and, while
// Primary fails, from Secondary (in process), so that a limit which must
// not fail open keeps holding per process. A read (cost 0) or refund
// (negative cost) goes to both: what was taken from Secondary while
// Primary was down still counts, and a refund clears it.
type Fallback struct {
	Primary, Secondary Store
	Log                *slog.Logger
}

// Take implements Store.
func (f Fallback) Take(ctx context.Context, p Policy, key string, cost float64) (Result, error) {
	res, err := f.Primary.Take(ctx, p, key, cost)
	if err != nil {
		f.Log.WarnContext(ctx, "rate-limit store unavailable; counting in process", slog.String("policy", p.Name), slog.String("error", err.Error()))
		return f.Secondary.Take(ctx, p, key, cost)
	}
	if cost <= 0 {
		if sres, serr := f.Secondary.Take(ctx, p, key, cost); serr == nil && sres.Available < res.Available {
			return sres, nil
		}
	}
	return res, nil
}
