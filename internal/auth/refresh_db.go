package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/predicate"
	"github.com/savannah-commerce/savannah/ent/refreshtoken"
)

// DBRefreshStore keeps refresh tokens in the database (the RefreshToken
// entity), for deployments without Redis.
type DBRefreshStore struct {
	client *ent.Client
	now    func() time.Time
}

// NewDBRefreshStore returns a store over client.
func NewDBRefreshStore(client *ent.Client) *DBRefreshStore {
	return &DBRefreshStore{client: client, now: time.Now}
}

// inTx runs fn in the caller's transaction when there is one (a GraphQL
// mutation: with SQLite's single connection, opening a second would
// deadlock), otherwise in a new one.
func (s *DBRefreshStore) inTx(ctx context.Context, fn func(c *ent.Client) error) error {
	if c := ent.FromContext(ctx); c != nil {
		return fn(c)
	}
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *DBRefreshStore) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.client
}

// Create implements RefreshStore.
func (s *DBRefreshStore) Create(ctx context.Context, customerID int, tokenHash string, ttl time.Duration) error {
	fam, err := newFamily()
	if err != nil {
		return err
	}
	err = s.db(ctx).RefreshToken.Create().
		SetCustomerID(customerID).
		SetTokenHash(tokenHash).
		SetFamily(fam).
		SetExpiresAt(s.now().Add(ttl)).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	return nil
}

// Rotate implements RefreshStore. The conditional update (used_at IS NULL)
// is what makes two concurrent rotations of one token exclusive: the
// database lets only one of them change the row.
func (s *DBRefreshStore) Rotate(ctx context.Context, oldHash, newHash string, ttl time.Duration) (int, error) {
	var customerID int
	var outcome error
	err := s.inTx(ctx, func(c *ent.Client) error {
		now := s.now()
		t, err := c.RefreshToken.Query().Where(refreshtoken.TokenHash(oldHash)).Only(ctx)
		if ent.IsNotFound(err) {
			outcome = ErrRefreshInvalid
			return nil
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		if t.RevokedAt != nil || !now.Before(t.ExpiresAt) {
			outcome = ErrRefreshInvalid
			return nil
		}
		n := 0
		if t.UsedAt == nil {
			n, err = c.RefreshToken.Update().
				Where(refreshtoken.ID(t.ID), refreshtoken.UsedAtIsNil(), refreshtoken.RevokedAtIsNil()).
				SetUsedAt(now).
				Save(ctx)
			if err != nil {
				return fmt.Errorf("use refresh token: %w", err)
			}
		}
		if n == 0 {
			// Used before, or by a concurrent request a moment ago: a copy
			// is in someone else's hands. The revocation commits even
			// though the rotation fails.
			if err := revokeFamilies(ctx, c, refreshtoken.Family(t.Family), now); err != nil {
				return err
			}
			outcome = ErrRefreshReused
			return nil
		}
		err = c.RefreshToken.Create().
			SetCustomerID(t.CustomerID).
			SetTokenHash(newHash).
			SetFamily(t.Family).
			SetExpiresAt(now.Add(ttl)).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("store refresh token: %w", err)
		}
		customerID = t.CustomerID
		return nil
	})
	if err != nil {
		return 0, err
	}
	return customerID, outcome
}

// RevokeFamily implements RefreshStore.
func (s *DBRefreshStore) RevokeFamily(ctx context.Context, tokenHash string) error {
	c := s.db(ctx)
	t, err := c.RefreshToken.Query().Where(refreshtoken.TokenHash(tokenHash)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find refresh token: %w", err)
	}
	return revokeFamilies(ctx, c, refreshtoken.Family(t.Family), s.now())
}

// RevokeCustomer implements RefreshStore.
func (s *DBRefreshStore) RevokeCustomer(ctx context.Context, customerID int) error {
	return revokeFamilies(ctx, s.db(ctx), refreshtoken.CustomerID(customerID), s.now())
}

// revokeFamilies marks every still-valid token matching which as revoked.
func revokeFamilies(ctx context.Context, c *ent.Client, which predicate.RefreshToken, now time.Time) error {
	err := c.RefreshToken.Update().
		Where(which, refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
