package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/app/apptest"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/input"
)

// TestEnsureAdmin: the operator's create-admin keeps the account rules.
// Each refused input is paired with the one that works; a reset signs
// the account out everywhere.
func TestEnsureAdmin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := apptest.New(t, apptest.Config(t, db)).Auth

		refused := []struct {
			name  string
			in    auth.AdminInput
			field string
		}{
			{"common password", auth.AdminInput{Email: "root@example.com", Password: "password123", Name: "Root"}, "password"},
			{"password is the email's name", auth.AdminInput{Email: "rootadmin1@example.com", Password: "rootadmin1", Name: "Root"}, "password"},
			{"short password", auth.AdminInput{Email: "root@example.com", Password: "short", Name: "Root"}, "password"},
			{"no email", auth.AdminInput{Password: "correct horse battery", Name: "Root"}, "email"},
			{"no name", auth.AdminInput{Email: "root@example.com", Password: "correct horse battery"}, "name"},
		}
		for _, tt := range refused {
			_, _, err := svc.EnsureAdmin(ctx, tt.in)
			var ue *input.Error
			require.ErrorAs(t, err, &ue, tt.name)
			require.Equal(t, []string{tt.field}, ue.Problems[0].Field, tt.name)
		}

		// Works: created, the email normalised.
		c, created, err := svc.EnsureAdmin(ctx, auth.AdminInput{Email: " Root@Example.com", Password: "correct horse battery", Name: "Root"})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "root@example.com", c.Email)
		require.Equal(t, customer.RoleADMIN, c.Role)

		// A customer signed in, then promoted with a new password: the
		// old refresh token and access token stop working, the new
		// password signs in as ADMIN.
		_, pair, err := svc.Register(ctx, auth.RegisterInput{Email: "shopper@example.com", Password: "first passphrase here", Name: "Shopper"})
		require.NoError(t, err)
		c, created, err = svc.EnsureAdmin(ctx, auth.AdminInput{Email: "SHOPPER@example.com", Password: "second passphrase here", Name: "ignored"})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, "Shopper", c.Name, "an existing account keeps its name")
		_, err = svc.Refresh(ctx, pair.RefreshToken)
		require.Error(t, err, "refresh tokens revoked")
		_, err = svc.VerifyAccess(ctx, pair.AccessToken)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "access tokens refused")
		_, _, err = svc.Login(ctx, "shopper@example.com", "first passphrase here")
		require.Error(t, err, "the old password is gone")
		admin, _, err := svc.Login(ctx, "shopper@example.com", "second passphrase here")
		require.NoError(t, err)
		require.Equal(t, customer.RoleADMIN, admin.Role)
	})
}
