package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrUnavailable is returned when a store the accounts depend on (Redis)
// does not answer and no fallback can stand in: the request may succeed
// when retried shortly.
var ErrUnavailable = errors.New("account storage is temporarily unavailable; retry shortly")

// FallbackCounter counts in Primary (Redis, shared by every replica) and,
// while it fails, in Fallback (in process): sign-in keeps working, and
// keeps being throttled per process, when Redis is down.
type FallbackCounter struct {
	Primary, Fallback Counter
	Log               *slog.Logger
}

func (f FallbackCounter) warn(ctx context.Context, err error) {
	f.Log.WarnContext(ctx, "sign-in failure counter unavailable; counting in process", slog.String("error", err.Error()))
}

// Incr implements Counter.
func (f FallbackCounter) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Time, error) {
	n, until, err := f.Primary.Incr(ctx, key, window)
	if err != nil {
		f.warn(ctx, err)
		return f.Fallback.Incr(ctx, key, window)
	}
	return n, until, nil
}

// Get implements Counter.
func (f FallbackCounter) Get(ctx context.Context, key string) (int64, time.Time, error) {
	n, until, err := f.Primary.Get(ctx, key)
	if err != nil {
		f.warn(ctx, err)
		return f.Fallback.Get(ctx, key)
	}
	// Failures counted in process while Redis was down still count.
	if m, mu, err := f.Fallback.Get(ctx, key); err == nil && m > n {
		return m, mu, nil
	}
	return n, until, nil
}

// Reset implements Counter.
func (f FallbackCounter) Reset(ctx context.Context, key string) error {
	ferr := f.Fallback.Reset(ctx, key)
	if err := f.Primary.Reset(ctx, key); err != nil {
		f.warn(ctx, err)
	}
	return ferr
}

// FallbackRefreshStore keeps new refresh families in Primary (Redis) and,
// while it fails, in Fallback (the database), so sign-in works with Redis
// down. A token is rotated where it lives: one that only Redis holds
// cannot be rotated while Redis is down, and that refresh fails with
// ErrUnavailable (retryable) rather than as invalid. Revocations must
// reach both stores; while Redis is down they fail with ErrUnavailable.
type FallbackRefreshStore struct {
	Primary, Fallback RefreshStore
	Log               *slog.Logger
}

func (f FallbackRefreshStore) unavailable(ctx context.Context, err error) error {
	f.Log.WarnContext(ctx, "refresh token store unavailable", slog.String("error", err.Error()))
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Create implements RefreshStore.
func (f FallbackRefreshStore) Create(ctx context.Context, customerID int, tokenHash string, ttl time.Duration) error {
	if err := f.Primary.Create(ctx, customerID, tokenHash, ttl); err != nil {
		f.Log.WarnContext(ctx, "refresh token store unavailable; keeping the new sign-in in the database", slog.String("error", err.Error()))
		return f.Fallback.Create(ctx, customerID, tokenHash, ttl)
	}
	return nil
}

// Rotate implements RefreshStore.
func (f FallbackRefreshStore) Rotate(ctx context.Context, oldHash, newHash string, ttl time.Duration) (int, error) {
	id, perr := f.Primary.Rotate(ctx, oldHash, newHash, ttl)
	if perr == nil || errors.Is(perr, ErrRefreshReused) {
		return id, perr
	}
	id, ferr := f.Fallback.Rotate(ctx, oldHash, newHash, ttl)
	switch {
	case ferr == nil, errors.Is(ferr, ErrRefreshReused):
		return id, ferr
	case errors.Is(ferr, ErrRefreshInvalid) && errors.Is(perr, ErrRefreshInvalid):
		return 0, ErrRefreshInvalid
	case errors.Is(ferr, ErrRefreshInvalid):
		return 0, f.unavailable(ctx, perr) // it may be one Redis holds
	default:
		return 0, ferr
	}
}

// RevokeFamily implements RefreshStore.
func (f FallbackRefreshStore) RevokeFamily(ctx context.Context, tokenHash string) error {
	return f.both(ctx, func(s RefreshStore) error { return s.RevokeFamily(ctx, tokenHash) })
}

// RevokeCustomer implements RefreshStore.
func (f FallbackRefreshStore) RevokeCustomer(ctx context.Context, customerID int) error {
	return f.both(ctx, func(s RefreshStore) error { return s.RevokeCustomer(ctx, customerID) })
}

func (f FallbackRefreshStore) both(ctx context.Context, do func(RefreshStore) error) error {
	if err := do(f.Fallback); err != nil {
		return err
	}
	if err := do(f.Primary); err != nil {
		return f.unavailable(ctx, err)
	}
	return nil
}
