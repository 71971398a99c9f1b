package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

const staffRead = `{ customers(first: 1) { totalCount } }`

// member creates an account with role as the system and returns its ID
// and a store acting with a token issued by tokens.
func member(t *testing.T, s *store, tokens *auth.Tokens, email string, role customer.Role) (int, *store) {
	t.Helper()
	c := s.client.Customer.Create().SetEmail(email).SetName(email).SetRole(role).SaveX(viewer.System(context.Background(), "test: set up"))
	tok, _, err := tokens.Issue(c.ID, role, c.TokenVersion)
	require.NoError(t, err)
	return c.ID, s.as(tok)
}

// refusedWithin polls until the store's token is refused (401
// UNAUTHENTICATED), failing after the bound the issue demands.
func refusedWithin(t *testing.T, s *store, doc string, bound time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp := s.post(doc, "", nil)
		return len(resp.Errors) == 1 && resp.codes()[0] == "UNAUTHENTICATED"
	}, bound, 20*time.Millisecond, "the old token must be refused within %s", bound)
}

// TestAccessChangesTakeEffectAtOnce: a STAFF member demoted to CUSTOMER
// loses staff reads with the token they already hold, as does a customer
// whose password changed or who logged out everywhere; everyone else's
// tokens keep working.
func TestAccessChangesTakeEffectAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		_, admin := member(t, s, s.tokens, "admin@example.com", customer.RoleADMIN)
		demotedID, demoted := member(t, s, s.tokens, "demoted@example.com", customer.RoleSTAFF)
		_, kept := member(t, s, s.tokens, "kept@example.com", customer.RoleSTAFF)
		for _, st := range []*store{demoted, kept} {
			require.Empty(t, st.post(staffRead, "", nil).Errors)
		}

		var out map[string]any
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(demotedID), "role": "CUSTOMER"}, &out)
		refusedWithin(t, demoted, staffRead, 5*time.Second)
		require.Empty(t, kept.post(staffRead, "", nil).Errors, "an unaffected staff member's token still works")

		// A password change: the old token is refused, the new pair works.
		reg := s.register("pw@example.com", goodPassword, "Pat", nil).Register
		old := s.as(reg.Token.AccessToken)
		require.Empty(t, old.post(`{ me { id } }`, "", nil).Errors)
		resp := old.post(`mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token { accessToken } userErrors { code } } }`, "",
			map[string]any{"c": goodPassword, "n": "serengeti-migration-77"})
		require.Empty(t, resp.Errors)
		var changed struct {
			ChangePassword struct{ Token authToken } `json:"changePassword"`
		}
		require.NoError(t, json.Unmarshal(resp.Data, &changed))
		refusedWithin(t, old, `{ me { id } }`, 5*time.Second)
		require.Empty(t, s.as(changed.ChangePassword.Token.AccessToken).post(`{ me { id } }`, "", nil).Errors)

		// Logging out everywhere (the service's call): the same.
		other := s.register("out@example.com", goodPassword, "Otto", nil).Register
		outStore := s.as(other.Token.AccessToken)
		require.Empty(t, outStore.post(`{ me { id } }`, "", nil).Errors)
		v, err := s.tokens.Verify(other.Token.AccessToken)
		require.NoError(t, err)
		require.NoError(t, s.auth.LogoutAll(context.Background(), v))
		refusedWithin(t, outStore, `{ me { id } }`, 5*time.Second)
		require.Empty(t, kept.post(staffRead, "", nil).Errors)
	})
}

// TestDeletedAccountTokensStop: an account removed from the database (no
// service call to update the cache) is refused once the cached version
// expires, within seconds.
func TestDeletedAccountTokensStop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStoreWith(t, db, nil, storeSetup{auth: []func(*auth.ServiceConfig){func(sc *auth.ServiceConfig) {
			sc.Versions = auth.NewMemoryVersionCache(auth.VersionTTL)
		}}})
		goneID, gone := member(t, s, s.tokens, "gone@example.com", customer.RoleCUSTOMER)
		_, stays := member(t, s, s.tokens, "stays@example.com", customer.RoleCUSTOMER)
		require.Empty(t, gone.post(`{ me { id } }`, "", nil).Errors)
		require.NoError(t, s.client.Customer.DeleteOneID(goneID).Exec(viewer.System(context.Background(), "test: set up")))
		refusedWithin(t, gone, `{ me { id } }`, 5*time.Second)
		require.Empty(t, stays.post(`{ me { id } }`, "", nil).Errors)
	})
}

// TestAccessChangesReachEveryReplica: with Redis, each replica keeps
// token versions in process (an hour here, so only the announcement can
// explain what follows): a demotion or a logout everywhere on replica A
// makes replica B, which had the old version in process, refuse the old
// token at once, while other tokens keep working on B.
func TestAccessChangesReachEveryReplica(t *testing.T) {
	rdb := dbtest.Redis(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		prefix := fmt.Sprintf("test:%s:%d:version:", t.Name(), time.Now().UnixNano())
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		replica := func(sc *auth.ServiceConfig) {
			sc.Versions = auth.NewTieredVersionCache(ctx, rdb, prefix, time.Hour, log)
		}
		a := newStoreWith(t, db, nil, storeSetup{auth: []func(*auth.ServiceConfig){replica}})
		b := newStoreWith(t, db, nil, storeSetup{auth: []func(*auth.ServiceConfig){replica, func(sc *auth.ServiceConfig) { sc.Tokens = a.tokens }}})
		_, admin := member(t, a, a.tokens, "admin@example.com", customer.RoleADMIN)
		demotedID, onA := member(t, a, a.tokens, "demoted@example.com", customer.RoleSTAFF)
		_, kept := member(t, a, a.tokens, "kept@example.com", customer.RoleSTAFF)
		onB := b.as(onA.bearer)
		keptOnB := b.as(kept.bearer)
		for range 2 { // the first read fills Redis, the second replica B's process
			require.Empty(t, onB.post(staffRead, "", nil).Errors)
			require.Empty(t, keptOnB.post(staffRead, "", nil).Errors)
		}

		var out map[string]any
		admin.op("SetCustomerRole", map[string]any{"id": scalar.EncodeID(demotedID), "role": "CUSTOMER"}, &out)
		refusedWithin(t, onB, staffRead, 5*time.Second)
		require.Empty(t, keptOnB.post(staffRead, "", nil).Errors, "an unaffected token still works on B")

		// Logging out everywhere on A: the same on B.
		reg := a.register("out@example.com", goodPassword, "Otto", nil).Register
		outOnB := b.as(reg.Token.AccessToken)
		for range 2 {
			require.Empty(t, outOnB.post(`{ me { id } }`, "", nil).Errors)
		}
		v, err := a.tokens.Verify(reg.Token.AccessToken)
		require.NoError(t, err)
		require.NoError(t, a.auth.LogoutAll(context.Background(), v))
		refusedWithin(t, outOnB, `{ me { id } }`, 5*time.Second)
		require.Empty(t, keptOnB.post(staffRead, "", nil).Errors)
	})
}

// TestKeyRotation: after JWT_PRIVATE_KEY is rotated and the old key's
// public half kept in JWT_PREVIOUS_PUBLIC_KEYS, tokens the old key signed
// still work and the JWKS publishes both keys; a key never configured is
// refused.
func TestKeyRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		oldKey, err := auth.GenerateSigningKey()
		require.NoError(t, err)
		nextKey, err := auth.GenerateSigningKey()
		require.NoError(t, err)
		strangerKey, err := auth.GenerateSigningKey()
		require.NoError(t, err)
		pubPEM, err := auth.MarshalPublicKey(oldKey)
		require.NoError(t, err)
		previous, err := auth.ParsePublicKeys(pubPEM)
		require.NoError(t, err)
		rotated := auth.NewTokens("savannah-test", "savannah-test", nextKey, previous...)
		s := newStoreWith(t, db, nil, storeSetup{auth: []func(*auth.ServiceConfig){func(sc *auth.ServiceConfig) { sc.Tokens = rotated }}})

		_, withOld := member(t, s, auth.NewTokens("savannah-test", "savannah-test", oldKey), "old@example.com", customer.RoleCUSTOMER)
		_, withNext := member(t, s, rotated, "next@example.com", customer.RoleCUSTOMER)
		_, withStranger := member(t, s, auth.NewTokens("savannah-test", "savannah-test", strangerKey), "x@example.com", customer.RoleCUSTOMER)
		require.Empty(t, withOld.post(`{ me { id } }`, "", nil).Errors, "a live token of the previous key")
		require.Empty(t, withNext.post(`{ me { id } }`, "", nil).Errors)
		require.Equal(t, []string{"UNAUTHENTICATED"}, withStranger.post(`{ me { id } }`, "", nil).codes())

		resp, err := http.Get(s.srv.URL + "/.well-known/jwks.json")
		require.NoError(t, err)
		defer resp.Body.Close()
		var jwks auth.JWKS
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&jwks))
		var kids []string
		for _, k := range jwks.Keys {
			kids = append(kids, k.Kid)
		}
		require.ElementsMatch(t, []string{oldKey.ID, nextKey.ID}, kids)
	})
}

// TestHSTS: sent when the site is HTTPS (PUBLIC_URL https), not otherwise.
func TestHSTS(t *testing.T) {
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	for _, hsts := range []bool{true, false} {
		s := protectedStore(t, db, nil, api.Protection{HSTS: hsts}, false)
		resp, err := http.Get(s.srv.URL + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		if hsts {
			require.Equal(t, "max-age=31536000; includeSubDomains", resp.Header.Get("Strict-Transport-Security"))
		} else {
			require.Empty(t, resp.Header.Get("Strict-Transport-Security"))
		}
	}
}
