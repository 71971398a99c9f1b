package auth_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// newAccounts is the account service over db with in-process stores, the
// way the server builds it without Redis; opts adjust the configuration.
func newAccounts(t *testing.T, db *database.DB, opts ...func(*auth.ServiceConfig)) *auth.Service {
	t.Helper()
	key, err := auth.GenerateSigningKey()
	require.NoError(t, err)
	client := db.Client()
	cfg := auth.ServiceConfig{
		Client:   client,
		Dialect:  db.Dialect,
		Tokens:   auth.NewTokens("savannah-test", "savannah-test", key),
		Refresh:  auth.NewDBRefreshStore(client),
		Failures: newFailures(),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := auth.NewService(cfg)
	require.NoError(t, err)
	return s
}

// requireUserError asserts err is exactly one user error on field with code.
func requireUserError(t *testing.T, err error, field []string, code string) auth.FieldError {
	t.Helper()
	var ue auth.UserErrors
	require.ErrorAs(t, err, &ue)
	require.Len(t, ue, 1, "%v", ue)
	require.Equal(t, field, ue[0].Field)
	require.Equal(t, code, ue[0].Code)
	return ue[0]
}

// TestPasswordPolicy: the strength estimate refuses guessable passwords
// with a message saying what to avoid, counts the account's own email and
// name as guessable, and accepts strong ones.
func TestPasswordPolicy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newAccounts(t, db)
		tests := []struct {
			name, password, email, accountName string
			ok                                 bool
		}{
			{"common word and digits", "Password123", "a@example.com", "A", false},
			{"keyboard walk", "qwertyuiop", "a@example.com", "A", false},
			{"digit run", "1234567890", "a@example.com", "A", false},
			{"common phrase", "iloveyou123", "a@example.com", "A", false},
			{"repeats", "aaaaaaaaaaaa", "a@example.com", "A", false},
			{"the account's email", "wanjiku.kamau@example.com", "wanjiku.kamau@example.com", "W", false},
			{"the account's name", "kamauwanjiku", "w@example.com", "Wanjiku Kamau", false},
			{"unrelated words", "kilimanjaro-sunrise-42", "b@example.com", "B", true},
			{"a passphrase", "correct horse battery staple", "c@example.com", "C", true},
			{"someone else's name", "kamauwanjiku", "zawadi@example.com", "Zawadi Mwangi", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := auth.RegisterInput{Email: tt.email, Password: tt.password, Name: tt.accountName}
				cust, pair, err := s.Register(ctx, in)
				if tt.ok {
					require.NoError(t, err)
					require.NotNil(t, pair)
					require.Equal(t, in.Email, cust.Email)
					return
				}
				fe := requireUserError(t, err, []string{"input", "password"}, auth.CodeInvalid)
				require.Contains(t, fe.Message, "too easy to guess")
			})
		}
	})
}
