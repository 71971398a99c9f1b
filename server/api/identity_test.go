package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type authToken struct {
	AccessToken  string    `json:"accessToken"`
	RefreshToken string    `json:"refreshToken"`
	ExpiresAt    time.Time `json:"expiresAt"`
}

type registerResult struct {
	Register struct {
		Customer *struct {
			ID, Email, Name string
			Phone           *string
		} `json:"customer"`
		Token      *authToken  `json:"token"`
		UserErrors []userError `json:"userErrors"`
	} `json:"register"`
}

func (s *store) register(email, password, name string, phone *string) registerResult {
	s.t.Helper()
	in := map[string]any{"email": email, "password": password, "name": name}
	if phone != nil {
		in["phone"] = *phone
	}
	var out registerResult
	s.op("Register", map[string]any{"input": in}, &out)
	return out
}

type loginResult struct {
	Login struct {
		Customer *struct {
			ID, Email string
		} `json:"customer"`
		Token      *authToken  `json:"token"`
		UserErrors []userError `json:"userErrors"`
	} `json:"login"`
}

func (s *store) login(email, password string) loginResult {
	s.t.Helper()
	var out loginResult
	s.op("Login", map[string]any{"email": email, "password": password}, &out)
	return out
}

type refreshResult struct {
	RefreshToken struct {
		Token      *authToken  `json:"token"`
		UserErrors []userError `json:"userErrors"`
	} `json:"refreshToken"`
}

func (s *store) refresh(token string) refreshResult {
	s.t.Helper()
	var out refreshResult
	s.op("RefreshToken", map[string]any{"refreshToken": token}, &out)
	return out
}

// as returns a copy of the store that sends token with every request.
func (s *store) as(token string) *store {
	c := *s
	c.bearer = token
	return &c
}

func ptr[T any](v T) *T { return &v }

func codesOf(errs []userError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Code
	}
	return out
}

const goodPassword = "kilimanjaro-sunrise-42"

func TestRegister(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		ctx := viewer.System(context.Background(), "test: set up") // test set-up and inspection

		out := s.register("  Wanjiku@Example.COM ", goodPassword, " Wanjiku Kamau ", ptr("+254 712 345678"))
		require.Empty(t, out.Register.UserErrors)
		require.Equal(t, "wanjiku@example.com", out.Register.Customer.Email)
		require.Equal(t, "Wanjiku Kamau", out.Register.Customer.Name)
		require.Equal(t, "+254712345678", *out.Register.Customer.Phone)
		require.NotEmpty(t, out.Register.Token.AccessToken)
		require.NotEmpty(t, out.Register.Token.RefreshToken)
		require.WithinDuration(t, time.Now().Add(auth.AccessTokenTTL), out.Register.Token.ExpiresAt, time.Minute)

		// The password is stored only as an argon2id hash.
		c, err := s.client.Customer.Query().Only(ctx)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(c.PasswordHash, "$argon2id$"))
		require.NotContains(t, c.PasswordHash, goodPassword)

		tests := []struct {
			title                 string
			email, password, name string
			phone                 *string
			field                 []string
			code                  string
		}{
			{"email taken, other case", "WANJIKU@example.com", goodPassword, "W", nil, []string{"input", "email"}, "TAKEN"},
			{"email missing", " ", goodPassword, "W", nil, []string{"input", "email"}, "REQUIRED"},
			{"email malformed", "wanjiku@", goodPassword, "W", nil, []string{"input", "email"}, "INVALID"},
			{"email with a display name", "W <w@example.com>", goodPassword, "W", nil, []string{"input", "email"}, "INVALID"},
			{"password short", "a@example.com", "short-pw1", "W", nil, []string{"input", "password"}, "INVALID"},
			{"password common", "a@example.com", "Password123", "W", nil, []string{"input", "password"}, "INVALID"},
			{"password is the email", "abcdefghij@example.com", "abcdefghij@example.com", "W", nil, []string{"input", "password"}, "INVALID"},
			{"password missing", "a@example.com", "", "W", nil, []string{"input", "password"}, "REQUIRED"},
			{"name missing", "a@example.com", goodPassword, "  ", nil, []string{"input", "name"}, "REQUIRED"},
			{"phone not E.164", "a@example.com", goodPassword, "W", ptr("0712345678"), []string{"input", "phone"}, "INVALID"},
			{"phone impossible", "a@example.com", goodPassword, "W", ptr("+2541"), []string{"input", "phone"}, "INVALID"},
		}
		for _, tt := range tests {
			t.Run(tt.title, func(t *testing.T) {
				out := s.register(tt.email, tt.password, tt.name, tt.phone)
				require.Nil(t, out.Register.Customer)
				require.Nil(t, out.Register.Token)
				require.Len(t, out.Register.UserErrors, 1, "%+v", out.Register.UserErrors)
				require.Equal(t, tt.field, out.Register.UserErrors[0].Field)
				require.Equal(t, tt.code, out.Register.UserErrors[0].Code)
			})
		}
		// Every problem of a form at once; nothing written.
		out = s.register("", "x", "", ptr("nope"))
		require.ElementsMatch(t, []string{"REQUIRED", "INVALID", "REQUIRED", "INVALID"}, codesOf(out.Register.UserErrors))
		n, err := s.client.Customer.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

// TestRegisterConcurrently registers one email from many clients at once:
// one account, every other answer TAKEN, no internal error.
func TestRegisterConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		const n = 6
		results := make([]registerResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := s.post(s.ops["Register"], "Register", map[string]any{"input": map[string]any{
					"email": "race@example.com", "password": goodPassword, "name": "R",
				}})
				if len(body.Errors) == 0 {
					_ = json.Unmarshal(body.Data, &results[i])
				}
			}()
		}
		wg.Wait()
		created, taken := 0, 0
		for _, r := range results {
			switch {
			case r.Register.Customer != nil:
				created++
			case len(r.Register.UserErrors) == 1 && r.Register.UserErrors[0].Code == "TAKEN":
				taken++
			}
		}
		require.Equal(t, 1, created)
		require.Equal(t, n-1, taken)
		require.Equal(t, 1, s.client.Customer.Query().CountX(viewer.System(context.Background(), "test: set up")))
	})
}

func TestLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		reg := s.register("amani@example.com", goodPassword, "Amani", nil)
		require.Empty(t, reg.Register.UserErrors)

		out := s.login(" AMANI@example.com", goodPassword)
		require.Empty(t, out.Login.UserErrors)
		require.Equal(t, reg.Register.Customer.ID, out.Login.Customer.ID)
		require.NotEmpty(t, out.Login.Token.AccessToken)

		// A wrong password and an unknown email look the same.
		wrong := s.login("amani@example.com", "not-the-password")
		unknown := s.login("nobody@example.com", goodPassword)
		require.Nil(t, wrong.Login.Customer)
		require.Nil(t, wrong.Login.Token)
		require.Equal(t, wrong.Login.UserErrors, unknown.Login.UserErrors)
		require.Equal(t, []string{"INVALID_CREDENTIALS"}, codesOf(wrong.Login.UserErrors))
	})
}

// TestLoginTiming checks that an unknown email costs an argon2id
// comparison like a wrong password does: the medians of the two must be
// within a small factor of each other, where skipping the hash would make the
// unknown email tens of times faster.
func TestLoginTiming(t *testing.T) {
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	s := newStore(t, db, nil)
	require.Empty(t, s.register("timing@example.com", goodPassword, "T", nil).Register.UserErrors)
	// Interleaved, so warm-up and garbage collection of argon2id's 64 MiB
	// fall on both sides alike; 4 each stays under the per-account limit.
	var knownDs, unknownDs []time.Duration
	for range 4 {
		for _, email := range []string{"timing@example.com", "nobody-here@example.com"} {
			start := time.Now()
			s.login(email, "wrong-password-1")
			d := time.Since(start)
			if email == "timing@example.com" {
				knownDs = append(knownDs, d)
			} else {
				unknownDs = append(unknownDs, d)
			}
		}
	}
	slices.Sort(knownDs)
	slices.Sort(unknownDs)
	known, unknown := knownDs[len(knownDs)/2], unknownDs[len(unknownDs)/2]
	ratio := float64(unknown) / float64(known)
	t.Logf("median wrong password %v, unknown email %v", known, unknown)
	// Loose bounds: the machine is shared and noisy, while skipping the
	// hash makes an unknown email some 30 times faster.
	require.Greater(t, ratio, 0.25)
	require.Less(t, ratio, 4.0)
}

// eachAuthBackend runs fn on every database with the database refresh
// store and in-process failure counts, and, when TEST_REDIS_URL is set,
// once more with both in Redis (keys under a prefix of their own).
func eachAuthBackend(t *testing.T, fn func(t *testing.T, s *store)) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) { fn(t, newStore(t, db, nil)) })
	if dbtest.RedisURL(t) == "" {
		return
	}
	t.Run("redis", func(t *testing.T) {
		rdb := dbtest.Redis(t)
		prefix := fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano())
		db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "t.db"))
		fn(t, newStore(t, db, nil, func(c *auth.ServiceConfig) {
			c.Refresh = auth.NewRedisRefreshStore(rdb, prefix+"refresh:")
			c.Failures = ratelimit.NewRedis(rdb, prefix+"failures:")
		}))
	})
}

func TestLoginThrottle(t *testing.T) { eachAuthBackend(t, testLoginThrottle) }

func testLoginThrottle(t *testing.T, s *store) {
	require.Empty(t, s.register("juma@example.com", goodPassword, "Juma", nil).Register.UserErrors)
	for range auth.MaxAccountFailure {
		require.Equal(t, []string{"INVALID_CREDENTIALS"}, codesOf(s.login("juma@example.com", "guess-guess-guess").Login.UserErrors))
	}
	// Now even the right password is refused, with a time to retry.
	out := s.login("juma@example.com", goodPassword)
	require.Nil(t, out.Login.Token)
	require.Equal(t, []string{"TOO_MANY_ATTEMPTS"}, codesOf(out.Login.UserErrors))
	require.Contains(t, out.Login.UserErrors[0].Message, "try again after")
	retry := out.Login.UserErrors[0].Message[strings.LastIndex(out.Login.UserErrors[0].Message, " ")+1:]
	at, err := time.Parse(time.RFC3339, retry)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(auth.FailureWindow), at, time.Minute)

	// Another account from the same address is not locked yet, but the
	// address limit applies across accounts.
	require.Empty(t, s.register("other@example.com", goodPassword, "O", nil).Register.UserErrors)
	require.Empty(t, s.login("other@example.com", goodPassword).Login.UserErrors)
	for i := 0; ; i++ {
		require.Less(t, i, auth.MaxAddressFailure, "the address was never throttled")
		codes := codesOf(s.login("spray"+strconv.Itoa(i)+"@example.com", "guess-guess-guess").Login.UserErrors)
		if codes[0] == "TOO_MANY_ATTEMPTS" {
			break
		}
		require.Equal(t, []string{"INVALID_CREDENTIALS"}, codes)
	}
	require.Equal(t, []string{"TOO_MANY_ATTEMPTS"}, codesOf(s.login("other@example.com", goodPassword).Login.UserErrors))
}

func TestRefreshRotationAndLogout(t *testing.T) { eachAuthBackend(t, testRefreshRotationAndLogout) }

func testRefreshRotationAndLogout(t *testing.T, s *store) {
	first := s.register("baraka@example.com", goodPassword, "Baraka", nil).Register.Token

	second := s.refresh(first.RefreshToken)
	require.Empty(t, second.RefreshToken.UserErrors)
	require.NotEqual(t, first.RefreshToken, second.RefreshToken.Token.RefreshToken)
	require.NotEqual(t, first.AccessToken, second.RefreshToken.Token.AccessToken)

	// Replaying the spent token fails and takes the family down: the
	// token the thief (or the user) got from the rotation dies too.
	replay := s.refresh(first.RefreshToken)
	require.Nil(t, replay.RefreshToken.Token)
	require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(replay.RefreshToken.UserErrors))
	require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(s.refresh(second.RefreshToken.Token.RefreshToken).RefreshToken.UserErrors))

	require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(s.refresh("made-up").RefreshToken.UserErrors))

	// Logout revokes the presented family only.
	a := s.login("baraka@example.com", goodPassword).Login.Token
	b := s.login("baraka@example.com", goodPassword).Login.Token
	var lo struct {
		Logout struct{ UserErrors []userError } `json:"logout"`
	}
	s.op("Logout", map[string]any{"refreshToken": a.RefreshToken}, &lo)
	require.Empty(t, lo.Logout.UserErrors)
	require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(s.refresh(a.RefreshToken).RefreshToken.UserErrors))
	require.Empty(t, s.refresh(b.RefreshToken).RefreshToken.UserErrors)
}

func TestChangePasswordRevokesEveryFamily(t *testing.T) {
	eachAuthBackend(t, testChangePasswordRevokesEveryFamily)
}

func testChangePasswordRevokesEveryFamily(t *testing.T, s *store) {
	reg := s.register("zawadi@example.com", goodPassword, "Zawadi", nil).Register.Token
	other := s.login("zawadi@example.com", goodPassword).Login.Token
	const doc = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token { accessToken refreshToken } userErrors { field code message } } }`
	type result struct {
		ChangePassword struct {
			Token      *authToken
			UserErrors []userError
		} `json:"changePassword"`
	}
	var out result
	resp := s.as(reg.AccessToken).post(doc, "", map[string]any{"c": "wrong-current-1", "n": "another-long-secret"})
	require.NoError(t, json.Unmarshal(resp.Data, &out))
	require.Equal(t, []string{"INVALID_CREDENTIALS"}, codesOf(out.ChangePassword.UserErrors))
	require.Empty(t, s.refresh(other.RefreshToken).RefreshToken.UserErrors, "a failed change revokes nothing")
	other = s.login("zawadi@example.com", goodPassword).Login.Token

	resp = s.as(reg.AccessToken).post(doc, "", map[string]any{"c": goodPassword, "n": "another-long-secret"})
	require.Empty(t, resp.Errors)
	require.NoError(t, json.Unmarshal(resp.Data, &out))
	require.Empty(t, out.ChangePassword.UserErrors)
	require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(s.refresh(reg.RefreshToken).RefreshToken.UserErrors))
	require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(s.refresh(other.RefreshToken).RefreshToken.UserErrors))
	require.Empty(t, s.refresh(out.ChangePassword.Token.RefreshToken).RefreshToken.UserErrors, "the new pair works")
	require.Equal(t, []string{"INVALID_CREDENTIALS"}, codesOf(s.login("zawadi@example.com", goodPassword).Login.UserErrors))
	require.Empty(t, s.login("zawadi@example.com", "another-long-secret").Login.UserErrors)

	resp = s.post(doc, "", map[string]any{"c": goodPassword, "n": "another-long-secret"})
	require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
}

type meResult struct {
	Me *struct {
		ID, Email, Name, Role string
		Phone                 *string
		Addresses             []struct {
			ID, Line1, City, CountryCode string
			IsDefault                    bool
		}
		Orders struct {
			TotalCount int
		}
	} `json:"me"`
}

func TestAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		var me meResult
		s.op("Me", nil, &me)
		require.Nil(t, me.Me, "signed out, me is null")

		tok := s.register("neema@example.com", goodPassword, "Neema", nil).Register.Token
		u := s.as(tok.AccessToken)
		u.op("Me", nil, &me)
		require.Equal(t, "neema@example.com", me.Me.Email)
		require.Equal(t, "CUSTOMER", me.Me.Role)
		require.Empty(t, me.Me.Addresses)
		require.Zero(t, me.Me.Orders.TotalCount)

		var prof struct {
			UpdateProfile struct {
				Customer *struct {
					Name  string
					Phone *string
				}
				UserErrors []userError
			} `json:"updateProfile"`
		}
		u.op("UpdateProfile", map[string]any{"input": map[string]any{"name": "Neema W.", "phone": "+255754123456"}}, &prof)
		require.Empty(t, prof.UpdateProfile.UserErrors)
		require.Equal(t, "Neema W.", prof.UpdateProfile.Customer.Name)
		require.Equal(t, "+255754123456", *prof.UpdateProfile.Customer.Phone)
		u.op("UpdateProfile", map[string]any{"input": map[string]any{"name": "", "phone": "12"}}, &prof)
		require.Nil(t, prof.UpdateProfile.Customer)
		require.ElementsMatch(t, []string{"REQUIRED", "INVALID"}, codesOf(prof.UpdateProfile.UserErrors))
		u.op("Me", nil, &me)
		require.Equal(t, "Neema W.", me.Me.Name, "a rejected update writes nothing")

		type addResult struct {
			AddAddress struct {
				Address *struct {
					ID, Line1, City, CountryCode string
					IsDefault                    bool
				}
				UserErrors []userError
			} `json:"addAddress"`
		}
		var add addResult
		u.op("AddAddress", map[string]any{"input": map[string]any{"line1": "Moi Avenue 1", "city": "Nairobi", "countryCode": "ke"}}, &add)
		require.Empty(t, add.AddAddress.UserErrors)
		require.True(t, add.AddAddress.Address.IsDefault, "the first address is the default")
		require.Equal(t, "KE", add.AddAddress.Address.CountryCode)
		firstID := add.AddAddress.Address.ID
		u.op("AddAddress", map[string]any{"input": map[string]any{"line1": "Nyerere Rd 2", "city": "Dar es Salaam", "countryCode": "TZ", "isDefault": true}}, &add)
		require.True(t, add.AddAddress.Address.IsDefault)
		secondID := add.AddAddress.Address.ID
		u.op("AddAddress", map[string]any{"input": map[string]any{"line1": "", "city": "X", "countryCode": "XX"}}, &add)
		require.Nil(t, add.AddAddress.Address)
		require.ElementsMatch(t, []string{"REQUIRED", "INVALID"}, codesOf(add.AddAddress.UserErrors))

		defaults := func() []string {
			u.op("Me", nil, &me)
			var out []string
			for _, a := range me.Me.Addresses {
				if a.IsDefault {
					out = append(out, a.ID)
				}
			}
			return out
		}
		require.Equal(t, []string{secondID}, defaults())
		require.Len(t, me.Me.Addresses, 2, "the rejected address was not added")

		resp := u.post(`mutation($id: ID!) { setDefaultAddress(id: $id) { address { id isDefault } userErrors { code } } }`, "", map[string]any{"id": firstID})
		require.Empty(t, resp.Errors)
		require.Equal(t, []string{firstID}, defaults())

		resp = u.post(`mutation($id: ID!) { updateAddress(id: $id, input: {city: "Mombasa"}) { address { city } userErrors { code } } }`, "", map[string]any{"id": firstID})
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), `"city":"Mombasa"`)

		resp = u.post(`mutation($id: ID!) { deleteAddress(id: $id) { deletedID userErrors { code } } }`, "", map[string]any{"id": firstID})
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), firstID)
		require.Equal(t, []string{secondID}, defaults(), "deleting the default promotes another")

		// Another customer cannot touch these addresses: NOT_FOUND, as if
		// they did not exist.
		other := s.as(s.register("mwangi@example.com", goodPassword, "Mwangi", nil).Register.Token.AccessToken)
		for _, doc := range []string{
			`mutation($id: ID!) { setDefaultAddress(id: $id) { address { id } userErrors { code } } }`,
			`mutation($id: ID!) { updateAddress(id: $id, input: {city: "Stolen"}) { address { id } userErrors { code } } }`,
			`mutation($id: ID!) { deleteAddress(id: $id) { deletedID userErrors { code } } }`,
		} {
			resp := other.post(doc, "", map[string]any{"id": secondID})
			require.Empty(t, resp.Errors)
			require.Contains(t, string(resp.Data), `"code":"NOT_FOUND"`)
			require.NotContains(t, string(resp.Data), secondID)
		}
		require.Equal(t, []string{secondID}, defaults())

		// Signed out, the account mutations are refused outright.
		for _, op := range []string{"UpdateProfile", "AddAddress"} {
			vars := map[string]any{"input": map[string]any{"line1": "x", "city": "x", "countryCode": "KE"}}
			if op == "UpdateProfile" {
				vars = map[string]any{"input": map[string]any{"name": "x"}}
			}
			resp := s.post(s.ops[op], op, vars)
			require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes(), op)
		}
	})
}

func TestRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		ctx := viewer.System(context.Background(), "test: set up") // test set-up and inspection
		mk := func(email string, role customer.Role) (int, *store) {
			c, err := s.client.Customer.Create().SetEmail(email).SetName(email).SetRole(role).Save(ctx)
			require.NoError(t, err)
			tok, _, err := s.tokens.Issue(c.ID, role, 0)
			require.NoError(t, err)
			return c.ID, s.as(tok)
		}
		custID, cust := mk("cust@example.com", customer.RoleCUSTOMER)
		_, staff := mk("staff@example.com", customer.RoleSTAFF)
		adminID, admin := mk("admin@example.com", customer.RoleADMIN)

		viewers := []struct {
			name          string
			s             *store
			customers     string // expected code for AdminCustomers, "" = allowed
			setRole, cats string
		}{
			{"anonymous", s, "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED"},
			{"customer", cust, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"},
			{"staff", staff, "", "FORBIDDEN", ""},
			{"admin", admin, "", "", ""},
		}
		for _, v := range viewers {
			t.Run(v.name, func(t *testing.T) {
				resp := v.s.post(s.ops["AdminCustomers"], "AdminCustomers", map[string]any{"first": 10})
				if v.customers == "" {
					require.Empty(t, resp.Errors)
					require.Contains(t, string(resp.Data), `"totalCount":3`)
				} else {
					require.Equal(t, []string{v.customers}, resp.codes())
					require.NotContains(t, string(resp.Data), "cust@example.com")
				}
				resp = v.s.post(s.ops["SetCustomerRole"], "SetCustomerRole", map[string]any{"id": scalar.EncodeID(custID), "role": "CUSTOMER"})
				if v.setRole == "" {
					require.Empty(t, resp.Errors)
				} else {
					require.Equal(t, []string{v.setRole}, resp.codes())
				}
				// Catalogue admin mutations: the gate answers before the
				// resolver (NOT_IMPLEMENTED until the catalogue lands).
				resp = v.s.post(s.ops["CreateCategory"], "CreateCategory", map[string]any{"input": map[string]any{"name": "X"}})
				if v.cats != "" {
					require.Equal(t, []string{v.cats}, resp.codes())
				} else {
					require.NotContains(t, resp.codes(), "FORBIDDEN")
					require.NotContains(t, resp.codes(), "UNAUTHENTICATED")
				}
			})
		}

		type roleResult struct {
			SetCustomerRole struct {
				Customer   *struct{ Role string }
				UserErrors []userError
			} `json:"setCustomerRole"`
		}
		var out roleResult
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(custID), "role": "STAFF"}, &out)
		require.Equal(t, "STAFF", out.SetCustomerRole.Customer.Role)
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(1<<40 + 5), "role": "STAFF"}, &out)
		require.Equal(t, []string{"NOT_FOUND"}, codesOf(out.SetCustomerRole.UserErrors))
		// The last ADMIN cannot be demoted, not even by themself.
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(adminID), "role": "STAFF"}, &out)
		require.Nil(t, out.SetCustomerRole.Customer)
		require.Equal(t, []string{"INVALID"}, codesOf(out.SetCustomerRole.UserErrors))
		// With a second admin, one may go.
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(custID), "role": "ADMIN"}, &out)
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(adminID), "role": "STAFF"}, &out)
		require.Empty(t, out.SetCustomerRole.UserErrors)
		require.Equal(t, "STAFF", out.SetCustomerRole.Customer.Role)
		// The demoted admin's token, issued as ADMIN, is refused from now
		// on; the other admin's token still works.
		resp := admin.post(admin.ops["SetCustomerRole"], "SetCustomerRole", map[string]any{"id": scalar.EncodeID(custID), "role": "ADMIN"})
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
		tok, _, err := s.tokens.Issue(custID, customer.RoleADMIN, 2)
		require.NoError(t, err)
		s.as(tok).op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(adminID), "role": "STAFF"}, &out)
		require.Empty(t, out.SetCustomerRole.UserErrors)
	})
}

// TestAccessTokenAttacks sends forged, expired and misdirected tokens:
// each is refused with 401 UNAUTHENTICATED, before any resolver runs.
func TestAccessTokenAttacks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		ctx := viewer.System(context.Background(), "test: set up") // test set-up and inspection
		c, err := s.client.Customer.Create().SetEmail("victim@example.com").SetName("V").Save(ctx)
		require.NoError(t, err)
		good, _, err := s.tokens.Issue(c.ID, customer.RoleCUSTOMER, 0)
		require.NoError(t, err)

		// The signing key's public half, as anyone can fetch it.
		resp, err := http.Get(s.srv.URL + "/.well-known/jwks.json")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var jwks auth.JWKS
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&jwks))
		require.Len(t, jwks.Keys, 1)
		k := jwks.Keys[0]
		require.Equal(t, []string{"OKP", "Ed25519", "EdDSA", "sig"}, []string{k.Kty, k.Crv, k.Alg, k.Use})
		pub, err := base64.RawURLEncoding.DecodeString(k.X)
		require.NoError(t, err)
		// The published key verifies real tokens: other services can use it.
		_, err = jwt.Parse(good, func(*jwt.Token) (any, error) { return ed25519.PublicKey(pub), nil }, jwt.WithValidMethods([]string{"EdDSA"}))
		require.NoError(t, err)

		claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
			now := time.Now()
			m := jwt.MapClaims{
				"iss": "savannah-test", "aud": []string{"savannah-test"}, "sub": strconv.Itoa(c.ID), "role": "ADMIN",
				"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "jti": "x",
			}
			if mod != nil {
				mod(m)
			}
			return m
		}
		_, attackerKey, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		sign := func(m jwt.MapClaims, kid string, key ed25519.PrivateKey) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, m)
			tok.Header["kid"] = kid
			str, err := tok.SignedString(key)
			require.NoError(t, err)
			return str
		}
		parts := strings.Split(good, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"role":"CUSTOMER"`, `"role":"ADMIN"`, 1))) + "." + parts[2]
		require.NotEqual(t, good, tampered)

		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
		require.NoError(t, err)
		hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
		hs.Header["kid"] = k.Kid
		hsToken, err := hs.SignedString(pub) // the classic key-confusion attack
		require.NoError(t, err)

		attacks := map[string]string{
			"alg none":                        none,
			"HS256 keyed with the public key": hsToken,
			"tampered claims":                 tampered,
			"signed by another key, same kid": sign(claims(nil), k.Kid, attackerKey),
			"unknown kid":                     sign(claims(nil), "not-a-kid", attackerKey),
			"no kid":                          sign(claims(nil), "", attackerKey),
			"garbage":                         "not.a.jwt",
			"empty bearer":                    "",
		}
		for name, tok := range attacks {
			t.Run(name, func(t *testing.T) {
				assertRefused(t, s, "Bearer "+tok)
			})
		}
		t.Run("not bearer", func(t *testing.T) { assertRefused(t, s, "Basic "+good) })

		// Claims that only the key holder could mint: the test signs with
		// the server's own key to reach the claim checks.
		serverKey := s.key
		for name, mod := range map[string]func(jwt.MapClaims){
			"expired":        func(m jwt.MapClaims) { m["exp"] = time.Now().Add(-time.Hour).Unix() },
			"no exp":         func(m jwt.MapClaims) { delete(m, "exp") },
			"wrong audience": func(m jwt.MapClaims) { m["aud"] = []string{"another-service"} },
			"wrong issuer":   func(m jwt.MapClaims) { m["iss"] = "someone-else" },
			"no subject":     func(m jwt.MapClaims) { delete(m, "sub") },
			"unknown role":   func(m jwt.MapClaims) { m["role"] = "ROOT" },
			"issued later":   func(m jwt.MapClaims) { m["iat"] = time.Now().Add(time.Hour).Unix() },
		} {
			t.Run(name, func(t *testing.T) {
				assertRefused(t, s, "Bearer "+sign(claims(mod), serverKey.ID, serverKey.Private))
			})
		}

		// The genuine token works.
		var me meResult
		s.as(good).op("Me", nil, &me)
		require.Equal(t, "victim@example.com", me.Me.Email)
	})
}

func assertRefused(t *testing.T, s *store, header string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/graphql", strings.NewReader(`{"query":"{ me { email } }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", header)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	var out gqlResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, []string{"UNAUTHENTICATED"}, out.codes())
	require.Empty(t, out.Data)
}
