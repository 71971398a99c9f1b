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
