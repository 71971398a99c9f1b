package oauth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/apiclient"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Staff's writes go through the privacy rules as the staff member (the
// APIClient write rule: settings:manage).

// Create registers an API client holding scopes and returns it with its
// secret, which is not kept and cannot be shown again.
func (s *Service) Create(ctx context.Context, name string, scopes []viewer.Permission) (*ent.APIClient, string, error) {
	var ps input.Problems
	if n := len([]rune(name)); n == 0 || n > 100 {
		ps.Add(input.ErrInvalid, "a name of 1 to 100 characters", "input", "name")
	}
	if len(scopes) == 0 {
		ps.Add(input.ErrRequired, "at least one scope", "input", "scopes")
	}
	for _, p := range scopes {
		if !p.Valid() {
			ps.Add(input.ErrInvalid, "no such permission", "input", "scopes")
			break
		}
	}
	if err := ps.Err(); err != nil {
		return nil, "", err
	}
	scopes = slices.Compact(slices.Sorted(slices.Values(scopes)))
	id, err := randomString(12)
	if err != nil {
		return nil, "", err
	}
	secret, err := randomString(32)
	if err != nil {
		return nil, "", err
	}
	c, err := s.db(ctx).APIClient.Create().
		SetName(name).
		SetClientID("cl_" + id).
		SetSecretHash(hashSecret(secret)).
		SetScopes(scopes).
		Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("oauth: create client: %w", err)
	}
	return c, secret, nil
}

// Rotate gives the client a new secret and keeps the current one working
// for overlap (0 to MaxOverlap); it returns the new secret, once.
func (s *Service) Rotate(ctx context.Context, id int, overlap time.Duration) (*ent.APIClient, string, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return nil, "", input.Fail(input.ErrInvalid, "0 to 2592000 seconds (30 days)", "overlapSeconds")
	}
	c, err := s.find(ctx, id)
	if err != nil {
		return nil, "", err
	}
	secret, err := randomString(32)
	if err != nil {
		return nil, "", err
	}
	c, err = c.Update().
		SetSecretHash(hashSecret(secret)).
		SetPreviousSecretHash(c.SecretHash).
		SetPreviousSecretExpiresAt(s.cfg.Now().Add(overlap)).
		Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("oauth: rotate secret: %w", err)
	}
	return c, secret, nil
}

// SetDisabled disables or enables a client. A disabled client gets no
// token, and the tokens it holds are refused from their next request.
func (s *Service) SetDisabled(ctx context.Context, id int, disabled bool) (*ent.APIClient, error) {
	c, err := s.find(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err = c.Update().SetDisabled(disabled).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth: disable client: %w", err)
	}
	return c, nil
}

// List returns every client, newest first.
func (s *Service) List(ctx context.Context) ([]*ent.APIClient, error) {
	if err := mayManage(ctx); err != nil {
		return nil, err
	}
	cs, err := s.db(ctx).APIClient.Query().
		Order(ent.Desc(apiclient.FieldID)).
		All(viewer.System(ctx, "oauth: list API clients to staff holding settings:manage"))
	if err != nil {
		return nil, fmt.Errorf("oauth: list clients: %w", err)
	}
	return cs, nil
}

// find reads a client for a staff write; the read goes as the system
// (the read rules name no API client reader yet), after the same
// permission check as the write rule.
func (s *Service) find(ctx context.Context, id int) (*ent.APIClient, error) {
	if err := mayManage(ctx); err != nil {
		return nil, err
	}
	c, err := s.db(ctx).APIClient.Get(viewer.System(ctx, "oauth: find an API client for staff holding settings:manage"), id)
	if ent.IsNotFound(err) {
		return nil, input.Fail(input.ErrNotFound, "no such API client", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: find client: %w", err)
	}
	return c, nil
}

func mayManage(ctx context.Context) error {
	if v, ok := viewer.From(ctx); ok && v.Can(viewer.SettingsManage) {
		return nil
	}
	return auth.ErrForbidden
}

// db is the transaction's client when ctx carries one (GraphQL
// mutations run in one), else the root client.
func (s *Service) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.cfg.Client
}
