package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
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
		Failures: ratelimit.NewMemory(time.Now),
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
func requireUserError(t *testing.T, err error, field []string, kind error) input.Problem {
	t.Helper()
	var ue *input.Error
	require.ErrorAs(t, err, &ue)
	require.Len(t, ue.Problems, 1, "%v", ue)
	require.Equal(t, field, ue.Problems[0].Field)
	require.ErrorIs(t, ue.Problems[0].Kind, kind)
	return ue.Problems[0]
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
				fe := requireUserError(t, err, []string{"input", "password"}, input.ErrInvalid)
				require.Contains(t, fe.Message, "too easy to guess")
			})
		}
	})
}

// failureStores runs fn with the sign-in failure budgets in process and,
// when TEST_REDIS_URL is set, in Redis (under a key prefix of their own).
func failureStores(t *testing.T, fn func(t *testing.T, failures ratelimit.Store)) {
	t.Run("memory", func(t *testing.T) { fn(t, ratelimit.NewMemory(time.Now)) })
	if rdb := redisClient(t); rdb != nil {
		t.Run("redis", func(t *testing.T) {
			fn(t, ratelimit.NewRedis(rdb, fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano())))
		})
	}
}

// TestLoginThrottle: an account's failure budget refuses even the right
// password once spent, with the time the next attempt fits; a success
// restores it; an address's budget spans accounts and leaves other
// addresses alone.
func TestLoginThrottle(t *testing.T) {
	failureStores(t, func(t *testing.T, failures ratelimit.Store) {
		db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
		s := newAccounts(t, db, func(c *auth.ServiceConfig) { c.Failures = failures })
		const good = "kilimanjaro-sunrise-42"
		from := func(addr string) context.Context { return auth.WithClientAddr(context.Background(), addr) }
		for _, email := range []string{"juma@example.com", "neema@example.com", "amani@example.com"} {
			_, _, err := s.Register(context.Background(), auth.RegisterInput{Email: email, Password: good, Name: "N"})
			require.NoError(t, err)
		}

		// Neema fails all but once, signs in, and has her whole budget back.
		for range auth.MaxAccountFailure - 1 {
			_, _, err := s.Login(from("192.0.2.1"), "neema@example.com", "guess-guess-guess")
			requireUserError(t, err, nil, input.ErrInvalidCredentials)
		}
		_, pair, err := s.Login(from("192.0.2.1"), "neema@example.com", good)
		require.NoError(t, err)
		require.NotEmpty(t, pair.AccessToken)
		for range auth.MaxAccountFailure {
			_, _, err := s.Login(from("192.0.2.1"), "neema@example.com", "guess-guess-guess")
			requireUserError(t, err, nil, input.ErrInvalidCredentials)
		}

		// Juma's budget runs out: then even his password is refused.
		for range auth.MaxAccountFailure {
			_, _, err := s.Login(from("192.0.2.2"), "Juma@Example.com ", "guess-guess-guess")
			requireUserError(t, err, nil, input.ErrInvalidCredentials)
		}
		_, _, err = s.Login(from("192.0.2.3"), "juma@example.com", good)
		fe := requireUserError(t, err, nil, input.ErrTooManyAttempts)
		retry, err := time.Parse(time.RFC3339, fe.Message[strings.LastIndex(fe.Message, " ")+1:])
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(auth.FailureWindow), retry, time.Minute)

		// One address spraying many accounts runs out too; another does not.
		spray := from("198.51.100.7")
		for i := 0; ; i++ {
			require.LessOrEqual(t, i, auth.MaxAddressFailure+1, "the address was never throttled (one refill allowed for slow runs)")
			_, _, err := s.Login(spray, fmt.Sprintf("spray%d@example.com", i), "guess-guess-guess")
			var ue *input.Error
			require.ErrorAs(t, err, &ue)
			if errors.Is(err, input.ErrTooManyAttempts) {
				break
			}
		}
		_, _, err = s.Login(from("198.51.100.8"), "juma@example.com", "guess-guess-guess")
		requireUserError(t, err, nil, input.ErrTooManyAttempts)
		_, _, err = s.Login(from("198.51.100.8"), "amani@example.com", good)
		require.NoError(t, err, "another address and account are not throttled")
	})
}

// signedUp registers an account through the service and returns the
// viewer of its access token, with a context carrying it.
func signedUp(t *testing.T, s *auth.Service, email string) (context.Context, auth.Viewer, *auth.TokenPair) {
	t.Helper()
	_, pair, err := s.Register(context.Background(), auth.RegisterInput{Email: email, Password: "kilimanjaro-sunrise-42", Name: "N"})
	require.NoError(t, err)
	v, err := s.VerifyAccess(context.Background(), pair.AccessToken)
	require.NoError(t, err)
	return auth.WithViewer(context.Background(), v), v, pair
}

// TestRegisterValidation: every field is checked before anything is
// written, each problem on its own field; a valid account is stored
// normalised.
func TestRegisterValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newAccounts(t, db)
		phone := func(p string) *string { return &p }
		_, _, err := s.Register(context.Background(), auth.RegisterInput{Email: "taken@example.com", Password: "kilimanjaro-sunrise-42", Name: "T"})
		require.NoError(t, err)
		tests := []struct {
			name  string
			in    auth.RegisterInput
			field []string
			code  error
		}{
			{"email missing", auth.RegisterInput{Password: "kilimanjaro-sunrise-42", Name: "A"}, []string{"input", "email"}, input.ErrRequired},
			{"email malformed", auth.RegisterInput{Email: "not-an-address", Password: "kilimanjaro-sunrise-42", Name: "A"}, []string{"input", "email"}, input.ErrInvalid},
			{"email taken, in another case", auth.RegisterInput{Email: " Taken@Example.COM ", Password: "kilimanjaro-sunrise-42", Name: "A"}, []string{"input", "email"}, input.ErrTaken},
			{"password missing", auth.RegisterInput{Email: "a@example.com", Name: "A"}, []string{"input", "password"}, input.ErrRequired},
			{"password short", auth.RegisterInput{Email: "a@example.com", Password: "short", Name: "A"}, []string{"input", "password"}, input.ErrInvalid},
			{"name blank", auth.RegisterInput{Email: "a@example.com", Password: "kilimanjaro-sunrise-42", Name: "  "}, []string{"input", "name"}, input.ErrRequired},
			{"phone not international", auth.RegisterInput{Email: "a@example.com", Password: "kilimanjaro-sunrise-42", Name: "A", Phone: phone("0712345678")}, []string{"input", "phone"}, input.ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.Register(context.Background(), tt.in)
				requireUserError(t, err, tt.field, tt.code)
			})
		}
		n, err := db.Client().Customer.Query().Count(viewer.System(context.Background(), "test: set up"))
		require.NoError(t, err)
		require.Equal(t, 1, n, "no refused registration wrote anything")

		cust, pair, err := s.Register(context.Background(), auth.RegisterInput{Email: "  Wanjiku@Example.COM ", Password: "kilimanjaro-sunrise-42", Name: " Wanjiku Kamau ", Phone: phone("+254 712 345678")})
		require.NoError(t, err)
		require.Equal(t, "wanjiku@example.com", cust.Email)
		require.Equal(t, "Wanjiku Kamau", cust.Name)
		require.Equal(t, "+254712345678", cust.Phone)
		require.NotEmpty(t, pair.RefreshToken)
	})
}

// TestChangePassword: a wrong current password and an unchanged one are
// refused; a change revokes every refresh token and access token issued
// before, and the new password signs in.
func TestChangePassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newAccounts(t, db)
		ctx, v, _ := signedUp(t, s, "neema@example.com")
		_, second, err := s.Login(context.Background(), "neema@example.com", "kilimanjaro-sunrise-42")
		require.NoError(t, err)

		refused := []struct {
			name, current, next string
			field               []string
			code                error
		}{
			{"wrong current password", "not-my-password", "wildebeest-migration-2026", []string{"currentPassword"}, input.ErrInvalidCredentials},
			{"same password", "kilimanjaro-sunrise-42", "kilimanjaro-sunrise-42", []string{"newPassword"}, input.ErrInvalid},
			{"guessable password", "kilimanjaro-sunrise-42", "Password1234", []string{"newPassword"}, input.ErrInvalid},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.ChangePassword(ctx, v, tt.current, tt.next)
				requireUserError(t, err, tt.field, tt.code)
			})
		}
		pair, err := s.ChangePassword(ctx, v, "kilimanjaro-sunrise-42", "wildebeest-migration-2026")
		require.NoError(t, err)
		require.NotEmpty(t, pair.AccessToken)
		_, err = s.Refresh(context.Background(), second.RefreshToken)
		requireUserError(t, err, []string{"refreshToken"}, input.ErrInvalidToken)
		_, err = s.VerifyAccess(context.Background(), second.AccessToken)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "access tokens issued before the change stop working")
		_, err = s.VerifyAccess(context.Background(), pair.AccessToken)
		require.NoError(t, err)
		_, _, err = s.Login(context.Background(), "neema@example.com", "wildebeest-migration-2026")
		require.NoError(t, err)
	})
}

// TestSetRole: only an ADMIN changes roles; the last ADMIN stays one; a
// demotion revokes the account's tokens.
func TestSetRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newAccounts(t, db)
		sys := viewer.System(context.Background(), "test: set up")
		_, admin, _ := signedUp(t, s, "admin@example.com")
		require.NoError(t, db.Client().Customer.UpdateOneID(admin.CustomerID).SetRole(customer.RoleADMIN).Exec(sys))
		admin.Role = viewer.Admin
		adminCtx := auth.WithViewer(context.Background(), admin)
		customerCtx, staff, staffPair := signedUp(t, s, "staff@example.com")

		_, err := s.SetRole(customerCtx, staff, staff.CustomerID, customer.RoleADMIN)
		require.ErrorIs(t, err, auth.ErrForbidden, "a customer cannot promote itself")

		tests := []struct {
			name string
			id   int
			role customer.Role
			code error // nil when allowed
		}{
			{"unknown role", staff.CustomerID, customer.Role("OWNER"), input.ErrInvalid},
			{"no such customer", staff.CustomerID + 1000, customer.RoleSTAFF, input.ErrNotFound},
			{"the last admin demoted", admin.CustomerID, customer.RoleCUSTOMER, input.ErrInvalid},
			{"promoted to staff", staff.CustomerID, customer.RoleSTAFF, nil},
			{"demoted again", staff.CustomerID, customer.RoleCUSTOMER, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.SetRole(adminCtx, admin, tt.id, tt.role)
				if tt.code != nil {
					var ue *input.Error
					require.ErrorAs(t, err, &ue)
					require.ErrorIs(t, err, tt.code)
					return
				}
				require.NoError(t, err)
				require.Equal(t, tt.role, got.Role)
			})
		}
		_, err = s.VerifyAccess(context.Background(), staffPair.AccessToken)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "a role change ends the old access tokens")
		_, err = s.Refresh(context.Background(), staffPair.RefreshToken)
		requireUserError(t, err, []string{"refreshToken"}, input.ErrInvalidToken)
	})
}
