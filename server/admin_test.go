package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/refreshtoken"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestCreateAdmin: create-admin keeps the account rules of the account
// service. A weak password is refused with the policy's reason and
// nothing is written, next to a strong one that creates the admin; an
// existing account is promoted and its password reset, which signs it
// out everywhere: its refresh tokens are revoked and its access tokens
// refused (the token version moves).
func TestCreateAdmin(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			sys := viewer.System(context.Background(), "test: set up")
			env := envOf(map[string]string{"DATABASE_URL": b.URL})
			require.NoError(t, run(sys, []string{"migrate"}, env, io.Discard))
			db := dbtest.Open(t, b.URL)
			client := db.Client()

			// Refused: a common password, and an address that is none.
			err := run(sys, []string{"create-admin", "--email", "root@example.com", "--password", "password123"}, env, io.Discard)
			require.ErrorContains(t, err, "create-admin: password: password is too common or too easy to guess")
			err = run(sys, []string{"create-admin", "--email", "not an address", "--password", "correct horse battery"}, env, io.Discard)
			require.ErrorContains(t, err, "create-admin: email: email is not a valid address")
			require.Zero(t, client.Customer.Query().CountX(sys), "nothing written")

			// Works: a new admin, its email normalised.
			require.NoError(t, run(sys, []string{"create-admin", "--email", " Root@Example.COM ", "--password", "correct horse battery"}, env, io.Discard))
			root := client.Customer.Query().Where(customer.Email("root@example.com")).OnlyX(sys)
			require.Equal(t, customer.RoleADMIN, root.Role)

			// An existing customer, signed in on a device.
			shopper := client.Customer.Create().SetEmail("shopper@example.com").SetName("Shopper").SetPasswordHash("x").SaveX(sys)
			client.RefreshToken.Create().SetCustomerID(shopper.ID).SetTokenHash("h1").SetFamily("f1").SetExpiresAt(time.Now().Add(time.Hour)).ExecX(sys)

			// Refused: the reset keeps the policy too, and changes nothing.
			err = run(sys, []string{"create-admin", "--email", "shopper@example.com", "--password", "qwertyuiop"}, env, io.Discard)
			require.ErrorContains(t, err, "password is too common")
			unchanged := client.Customer.GetX(sys, shopper.ID)
			require.Equal(t, customer.RoleCUSTOMER, unchanged.Role)
			require.Equal(t, shopper.TokenVersion, unchanged.TokenVersion)
			require.Zero(t, client.RefreshToken.Query().Where(refreshtoken.RevokedAtNotNil()).CountX(sys))

			// Works: promoted, the new password set, every session revoked.
			require.NoError(t, run(sys, []string{"create-admin", "--email", "SHOPPER@example.com", "--password", "a much better passphrase"}, env, io.Discard))
			promoted := client.Customer.GetX(sys, shopper.ID)
			require.Equal(t, customer.RoleADMIN, promoted.Role)
			require.Greater(t, promoted.TokenVersion, shopper.TokenVersion, "access tokens issued before are refused")
			ok, err := auth.CheckPassword("a much better passphrase", promoted.PasswordHash)
			require.NoError(t, err)
			require.True(t, ok)
			require.NotNil(t, promoted.PasswordChangedAt)
			require.Zero(t, client.RefreshToken.Query().Where(refreshtoken.CustomerID(shopper.ID), refreshtoken.RevokedAtIsNil()).CountX(sys),
				"refresh tokens revoked")
		})
	}
}
