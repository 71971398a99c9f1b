package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// AdminInput is the operator's create-admin: the account's email, its new
// password and, for a new account, its name.
type AdminInput struct {
	Email, Password, Name string
}

// EnsureAdmin makes the account with in.Email an ADMIN with in.Password,
// creating it when there is none (created reports which). The rules are
// the account rules of registration: the email is normalised and the
// password must pass the same policy (an *input.Error otherwise, and nothing
// is written). Resetting an existing account's password signs it out
// everywhere, as a password change does: every refresh token is revoked
// and every access token issued before is refused.
//
// It acts as the system: no one is signed in on the command line, and
// creating an ADMIN is exactly what the privacy rules forbid others.
func (s *Service) EnsureAdmin(ctx context.Context, in AdminInput) (cust *ent.Customer, created bool, err error) {
	var c input.Problems
	email := NormalizeEmail(in.Email)
	checkEmail(&c, []string{"email"}, email)
	name := strings.TrimSpace(in.Name)
	checkNewPassword(&c, []string{"password"}, in.Password, email, name)
	checkName(&c, []string{"name"}, name)
	if err := c.Err(); err != nil {
		return nil, false, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, false, err
	}
	ctx = viewer.System(ctx, "auth: create or reset an admin")
	tx, err := s.cfg.Client.Tx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	ctx = ent.NewContext(ctx, tx.Client())
	existing, err := tx.Customer.Query().Where(customer.Email(email)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		cust, err = tx.Customer.Create().SetEmail(email).SetName(name).SetPasswordHash(hash).SetRole(customer.RoleADMIN).Save(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("create admin: %w", err)
		}
		created = true
	case err != nil:
		return nil, false, fmt.Errorf("find customer: %w", err)
	default:
		err = existing.Update().SetRole(customer.RoleADMIN).SetPasswordHash(hash).SetPasswordChangedAt(s.now()).Exec(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("promote admin: %w", err)
		}
		if cust, err = s.revokeAccess(ctx, existing.ID); err != nil {
			return nil, false, err
		}
		if err = s.cfg.Refresh.RevokeCustomer(ctx, existing.ID); err != nil {
			return nil, false, err
		}
	}
	if err = tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("commit: %w", err)
	}
	return cust, created, nil
}
