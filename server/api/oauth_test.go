package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

const testIssuer = "https://savannah.test"

// asAdmin returns the store acting as a newly created ADMIN (who holds
// settings:manage).
func (s *store) asAdmin() *store {
	s.t.Helper()
	c, err := s.client.Customer.Create().
		SetEmail(fmt.Sprintf("admin-%d@example.com", time.Now().UnixNano())).
		SetName("Admin").
		SetRole(customer.RoleADMIN).
		Save(viewer.System(context.Background(), "test: set up"))
	require.NoError(s.t, err)
	tok, _, err := s.tokens.Issue(c.ID, customer.RoleADMIN, 0)
	require.NoError(s.t, err)
	return s.as(tok)
}

const apiClientFields = `id name clientId scopes disabled previousSecretExpiresAt lastUsedAt createdAt`

type apiClient struct {
	ID                      string     `json:"id"`
	Name                    string     `json:"name"`
	ClientID                string     `json:"clientId"`
	Scopes                  []string   `json:"scopes"`
	Disabled                bool       `json:"disabled"`
	PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt"`
	LastUsedAt              *time.Time `json:"lastUsedAt"`
}

type secretPayload struct {
	APIClient    *apiClient  `json:"apiClient"`
	ClientSecret *string     `json:"clientSecret"`
	UserErrors   []userError `json:"userErrors"`
}

func (s *store) createAPIClient(t *testing.T, name string, scopes ...string) secretPayload {
	t.Helper()
	resp := s.post(`mutation C($in: CreateAPIClientInput!) { createAPIClient(input: $in) { apiClient { `+apiClientFields+` } clientSecret userErrors { field message code } } }`,
		"C", map[string]any{"in": map[string]any{"name": name, "scopes": append([]string{}, scopes...)}})
	require.Empty(t, resp.Errors)
	var out struct{ CreateAPIClient secretPayload }
	require.NoError(t, json.Unmarshal(resp.Data, &out))
	return out.CreateAPIClient
}

func (s *store) setAPIClientDisabled(t *testing.T, id string, disabled bool) {
	t.Helper()
	field := "enableAPIClient"
	if disabled {
		field = "disableAPIClient"
	}
	resp := s.post(`mutation D($id: ID!) { `+field+`(id: $id) { apiClient { disabled } userErrors { code } } }`, "D", map[string]any{"id": id})
	require.Empty(t, resp.Errors)
	require.Contains(t, string(resp.Data), fmt.Sprintf(`"disabled":%t`, disabled))
}

// form posts an OAuth2 form to path, with HTTP Basic credentials when
// basicID is set.
func (s *store) form(path string, vals url.Values, basicID, basicSecret string) exchange {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(vals.Encode()))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return exchange{status: resp.StatusCode, header: resp.Header, body: b}
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
}

func (e exchange) token(t *testing.T) tokenResponse {
	t.Helper()
	var out tokenResponse
	require.NoError(t, json.Unmarshal(e.body, &out), "body: %s", e.body)
	return out
}

// clientToken obtains a token with client_secret_basic.
func (s *store) clientToken(t *testing.T, id, secret, scope string) tokenResponse {
	t.Helper()
	vals := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		vals.Set("scope", scope)
	}
	e := s.form("/oauth/token", vals, id, secret)
	require.Equal(t, http.StatusOK, e.status, "body: %s", e.body)
	return e.token(t)
}

type introspection struct {
	Active   bool   `json:"active"`
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
	Sub      string `json:"sub"`
	Iss      string `json:"iss"`
	Aud      any    `json:"aud"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Jti      string `json:"jti"`
}

func (s *store) introspect(t *testing.T, id, secret, tok string) introspection {
	t.Helper()
	e := s.form("/oauth/introspect", url.Values{"token": {tok}}, id, secret)
	require.Equal(t, http.StatusOK, e.status, "body: %s", e.body)
	var out introspection
	require.NoError(t, json.Unmarshal(e.body, &out))
	return out
}

// listClients is a request that needs settings:manage: the working path
// a client token is checked with.
func (s *store) listClients() gqlResponse {
	return s.post(`query L { apiClients { `+apiClientFields+` } }`, "L", nil)
}

func TestAPIClientCredentials(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		admin := s.asAdmin()

		// Bad input is a user error; staff without settings:manage are
		// refused; an ADMIN registers a client and sees its secret once.
		bad := admin.createAPIClient(t, "", "ORDERS_READ")
		require.Nil(t, bad.APIClient)
		requireUserError(t, bad.UserErrors, "INVALID", "input", "name")
		none := admin.createAPIClient(t, "ERP")
		requireUserError(t, none.UserErrors, "REQUIRED", "input", "scopes")
		staffResp := s.asStaff().post(`mutation C($in: CreateAPIClientInput!) { createAPIClient(input: $in) { clientSecret } }`,
			"C", map[string]any{"in": map[string]any{"name": "x", "scopes": []string{"ORDERS_READ"}}})
		require.Equal(t, []string{"FORBIDDEN"}, staffResp.codes())

		erp := admin.createAPIClient(t, "ERP", "ORDERS_READ", "SETTINGS_MANAGE")
		require.Empty(t, erp.UserErrors)
		require.NotNil(t, erp.ClientSecret)
		id, secret := erp.APIClient.ClientID, *erp.ClientSecret
		require.ElementsMatch(t, []string{"ORDERS_READ", "SETTINGS_MANAGE"}, erp.APIClient.Scopes)
		require.Nil(t, erp.APIClient.LastUsedAt)
		list := admin.listClients()
		require.Empty(t, list.Errors)
		require.NotContains(t, string(list.Data), secret, "the secret is shown only at creation")

		t.Run("token by client_secret_basic, in the RFC 9068 profile, verified by the JWKS", func(t *testing.T) {
			tr := s.clientToken(t, id, secret, "orders:read")
			require.Equal(t, "Bearer", tr.TokenType)
			require.Equal(t, "orders:read", tr.Scope)
			require.Positive(t, tr.ExpiresIn)
			parsed, err := jwt.Parse(tr.AccessToken, func(tok *jwt.Token) (any, error) {
				return s.key.Public(), nil
			}, jwt.WithValidMethods([]string{"EdDSA"}))
			require.NoError(t, err)
			require.Equal(t, "at+jwt", parsed.Header["typ"])
			require.Equal(t, s.key.ID, parsed.Header["kid"])
			var jwks struct {
				Keys []struct{ Kid, X string }
			}
			require.NoError(t, json.Unmarshal(s.do(http.MethodGet, "/.well-known/jwks.json", "", nil).body, &jwks))
			require.Len(t, jwks.Keys, 1)
			require.Equal(t, s.key.ID, jwks.Keys[0].Kid)
			require.Equal(t, base64.RawURLEncoding.EncodeToString(s.key.Public()), jwks.Keys[0].X)
			c := parsed.Claims.(jwt.MapClaims)
			require.Equal(t, testIssuer, c["iss"])
			require.Equal(t, id, c["sub"])
			require.Equal(t, id, c["client_id"])
			require.Equal(t, "orders:read", c["scope"])
			require.Contains(t, c["aud"], "savannah-test")
			for _, k := range []string{"jti", "iat", "exp"} {
				require.NotEmpty(t, c[k], k)
			}
		})

		t.Run("client_secret_post; no scope asked is every scope granted", func(t *testing.T) {
			e := s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, "", "")
			require.Equal(t, http.StatusOK, e.status, "body: %s", e.body)
			require.ElementsMatch(t, []string{"orders:read", "settings:manage"}, strings.Fields(e.token(t).Scope))
		})

		t.Run("wrong secret, unknown client and a scope not granted are refused", func(t *testing.T) {
			ok := s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, id, secret)
			require.Equal(t, http.StatusOK, ok.status)
			wrong := s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, id, secret+"x")
			require.Equal(t, http.StatusUnauthorized, wrong.status)
			require.Equal(t, "invalid_client", wrong.token(t).Error)
			unknown := s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, "cl_nobody", secret)
			require.Equal(t, http.StatusUnauthorized, unknown.status)
			require.Equal(t, "invalid_client", unknown.token(t).Error)
			scope := s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read orders:write"}}, id, secret)
			require.Equal(t, http.StatusBadRequest, scope.status)
			require.Equal(t, "invalid_scope", scope.token(t).Error)
			require.NotContains(t, string(scope.body), "access_token")
		})

		t.Run("a client token authenticates requests with its scopes only", func(t *testing.T) {
			full := s.as(s.clientToken(t, id, secret, "settings:manage").AccessToken)
			resp := full.listClients()
			require.Empty(t, resp.Errors)
			require.Contains(t, string(resp.Data), id)
			narrow := s.as(s.clientToken(t, id, secret, "orders:read").AccessToken)
			require.Equal(t, []string{"FORBIDDEN"}, narrow.listClients().codes())
			// last_used_at was recorded.
			var out struct{ APIClients []apiClient }
			resp = admin.listClients()
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			require.NotNil(t, out.APIClients[0].LastUsedAt)
		})

		t.Run("introspection per RFC 7662", func(t *testing.T) {
			tok := s.clientToken(t, id, secret, "orders:read").AccessToken
			in := s.introspect(t, id, secret, tok)
			require.True(t, in.Active)
			require.Equal(t, "orders:read", in.Scope)
			require.Equal(t, id, in.ClientID)
			require.Equal(t, id, in.Sub)
			require.Equal(t, testIssuer, in.Iss)
			require.NotEmpty(t, in.Jti)
			require.Greater(t, in.Exp, in.Iat)
			require.False(t, s.introspect(t, id, secret, "not-a-token").Active)
			require.False(t, s.introspect(t, id, secret, s.bearerOfCustomer(t)).Active, "a customer's token is no client token")
			// The caller must authenticate as a client.
			e := s.form("/oauth/introspect", url.Values{"token": {tok}}, id, "wrong")
			require.Equal(t, http.StatusUnauthorized, e.status)
			require.NotContains(t, string(e.body), "active")
		})

		t.Run("a revoked token is refused on the next request (RFC 7009)", func(t *testing.T) {
			tok := s.clientToken(t, id, secret, "settings:manage").AccessToken
			other := s.clientToken(t, id, secret, "settings:manage").AccessToken
			require.Empty(t, s.as(tok).listClients().Errors)
			e := s.form("/oauth/revoke", url.Values{"token": {tok}}, id, secret)
			require.Equal(t, http.StatusOK, e.status, "body: %s", e.body)
			require.Equal(t, []string{"UNAUTHENTICATED"}, s.as(tok).listClients().codes())
			require.False(t, s.introspect(t, id, secret, tok).Active)
			// Other tokens of the client still work; revoking twice, or
			// a token that is no token, succeeds.
			require.Empty(t, s.as(other).listClients().Errors)
			require.Equal(t, http.StatusOK, s.form("/oauth/revoke", url.Values{"token": {tok}}, id, secret).status)
			require.Equal(t, http.StatusOK, s.form("/oauth/revoke", url.Values{"token": {"junk"}}, id, secret).status)
			// Another client may not revoke it.
			mkt := admin.createAPIClient(t, "Marketing", "CATALOG_READ")
			e = s.form("/oauth/revoke", url.Values{"token": {other}}, mkt.APIClient.ClientID, *mkt.ClientSecret)
			require.Equal(t, http.StatusBadRequest, e.status)
			require.Empty(t, s.as(other).listClients().Errors)
		})

		t.Run("a disabled client gets no token and its tokens are refused; enabled again it works", func(t *testing.T) {
			tok := s.clientToken(t, id, secret, "settings:manage").AccessToken
			require.Empty(t, s.as(tok).listClients().Errors)
			admin.setAPIClientDisabled(t, erp.APIClient.ID, true)
			require.Equal(t, []string{"UNAUTHENTICATED"}, s.as(tok).listClients().codes())
			e := s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, id, secret)
			require.Equal(t, http.StatusUnauthorized, e.status)
			other := mustCreate(t, admin)
			require.False(t, s.introspect(t, other.id, other.secret, tok).Active)
			admin.setAPIClientDisabled(t, erp.APIClient.ID, false)
			require.Empty(t, s.as(tok).listClients().Errors)
		})
	})
}

type creds struct{ id, secret string }

func mustCreate(t *testing.T, admin *store) creds {
	t.Helper()
	p := admin.createAPIClient(t, "Introspector", "CATALOG_READ")
	require.Empty(t, p.UserErrors)
	return creds{p.APIClient.ClientID, *p.ClientSecret}
}

// bearerOfCustomer is a customer's access token.
func (s *store) bearerOfCustomer(t *testing.T) string {
	t.Helper()
	tok, _, err := s.tokens.Issue(1, customer.RoleCUSTOMER, 0)
	require.NoError(t, err)
	return tok
}

func TestAPIClientSecretRotation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var offset atomic.Int64
		now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		s := newStoreWith(t, db, nil, storeSetup{introspection: true, app: func(c *app.Config) { c.OAuth.Now = now }})
		admin := s.asAdmin()
		p := admin.createAPIClient(t, "Warehouse", "INVENTORY_WRITE")
		id, old := p.APIClient.ClientID, *p.ClientSecret

		rotate := func(overlap int) secretPayload {
			resp := admin.post(`mutation R($id: ID!, $o: Int!) { rotateAPIClientSecret(id: $id, overlapSeconds: $o) { apiClient { `+apiClientFields+` } clientSecret userErrors { field message code } } }`,
				"R", map[string]any{"id": p.APIClient.ID, "o": overlap})
			require.Empty(t, resp.Errors)
			var out struct{ RotateAPIClientSecret secretPayload }
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			return out.RotateAPIClientSecret
		}
		tokenStatus := func(secret string) int {
			return s.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, id, secret).status
		}

		bad := rotate(-1)
		requireUserError(t, bad.UserErrors, "INVALID", "overlapSeconds")
		require.Nil(t, bad.ClientSecret)
		require.Equal(t, http.StatusOK, tokenStatus(old), "a refused rotation changes nothing")

		r := rotate(3600)
		require.Empty(t, r.UserErrors)
		fresh := *r.ClientSecret
		require.NotEqual(t, old, fresh)
		require.NotNil(t, r.APIClient.PreviousSecretExpiresAt)
		// Within the overlap both secrets work.
		require.Equal(t, http.StatusOK, tokenStatus(old))
		require.Equal(t, http.StatusOK, tokenStatus(fresh))
		// After it only the new one.
		offset.Store(int64(time.Hour + time.Second))
		require.Equal(t, http.StatusUnauthorized, tokenStatus(old))
		require.Equal(t, http.StatusOK, tokenStatus(fresh))

		// An overlap of 0 ends the previous secret at once.
		offset.Store(0)
		r2 := rotate(0)
		require.Equal(t, http.StatusUnauthorized, tokenStatus(fresh))
		require.Equal(t, http.StatusOK, tokenStatus(*r2.ClientSecret))

		// An unknown client is a user error.
		resp := admin.post(`mutation R($id: ID!) { rotateAPIClientSecret(id: $id, overlapSeconds: 0) { clientSecret userErrors { field code } } }`,
			"R", map[string]any{"id": "not-an-id"})
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), "NOT_FOUND")
	})
}

func TestOAuthMetadata(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		e := s.do(http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
		require.Equal(t, http.StatusOK, e.status)
		require.Contains(t, e.header.Get("Content-Type"), "application/json")
		var m map[string]any
		require.NoError(t, json.Unmarshal(e.body, &m))
		// RFC 8414 §2: issuer, the endpoints as absolute URLs under it,
		// what the server supports.
		require.Equal(t, testIssuer, m["issuer"])
		require.Equal(t, testIssuer+"/oauth/token", m["token_endpoint"])
		require.Equal(t, testIssuer+"/oauth/revoke", m["revocation_endpoint"])
		require.Equal(t, testIssuer+"/oauth/introspect", m["introspection_endpoint"])
		require.Equal(t, testIssuer+"/.well-known/jwks.json", m["jwks_uri"])
		require.Equal(t, []any{"client_credentials"}, m["grant_types_supported"])
		require.ElementsMatch(t, []any{"client_secret_basic", "client_secret_post"}, m["token_endpoint_auth_methods_supported"])
		require.Contains(t, m["scopes_supported"], "orders:read")
		// The other paths of the library's router are not served.
		require.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/oauth/authorize", "", nil).status)
	})
}

// TestAPIClientReadsOrders is issue 17's "done when": a client with
// orders:read reads orders, is FORBIDDEN a write without orders:write,
// and is refused everything once disabled or its token revoked. It needs
// the privacy rules to read permissions (branch perms).
func TestAPIClientReadsOrders(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		admin := s.asAdmin()
		_, ownerID := s.asCustomer(t, "owner")
		o := placed(t, s.client, func(c *ent.Client) *ent.OrderCreate {
			return c.Order.Create().SetCustomerID(ownerID).SetNumber("SV-API").SetCurrency("KES").
				SetSubtotalMinor(1000).SetTotalMinor(1000).SetIdempotencyKey("api-client").
				SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"})
		})
		orderID := scalar.EncodeID(o.ID)
		readOrder := func(c *store) gqlResponse {
			return c.post(`query O($id: ID!) { order(id: $id) { id number } }`, "O", map[string]any{"id": orderID})
		}
		write := func(c *store) gqlResponse {
			return c.post(`mutation W($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { userErrors { code } } }`, "W", map[string]any{"id": orderID})
		}

		erp := admin.createAPIClient(t, "ERP", "ORDERS_READ")
		id, secret := erp.APIClient.ClientID, *erp.ClientSecret
		reader := s.as(s.clientToken(t, id, secret, "").AccessToken)
		resp := readOrder(reader)
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), "SV-API")
		require.Equal(t, []string{"FORBIDDEN"}, write(reader).codes())

		// A client without orders:read reads no order.
		mkt := admin.createAPIClient(t, "Marketing", "CATALOG_READ")
		other := s.as(s.clientToken(t, mkt.APIClient.ClientID, *mkt.ClientSecret, "").AccessToken)
		resp = readOrder(other)
		require.NotContains(t, string(resp.Data), "SV-API")

		// Disabled: refused; enabled again: reads; revoked: refused.
		admin.setAPIClientDisabled(t, erp.APIClient.ID, true)
		require.Equal(t, []string{"UNAUTHENTICATED"}, readOrder(reader).codes())
		admin.setAPIClientDisabled(t, erp.APIClient.ID, false)
		require.Empty(t, readOrder(reader).Errors)
		require.Equal(t, http.StatusOK, s.form("/oauth/revoke", url.Values{"token": {reader.bearer}}, id, secret).status)
		require.Equal(t, []string{"UNAUTHENTICATED"}, readOrder(reader).codes())
	})
}
