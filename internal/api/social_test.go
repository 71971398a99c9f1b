package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/identity"
	"github.com/savannah-commerce/savannah/internal/api"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
)

// idp is a local OpenID Connect provider: discovery, JWKS, authorization
// and token endpoints, RS256-signed ID tokens. It checks the client's
// secret, the redirect URI and the PKCE verifier as a real one would.
type idp struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	mu   sync.Mutex
	code map[string]grant
	// user is who signs in next; signWith, when set, forges the ID token
	// with another key; nonce, when set, replaces the request's nonce.
	user     idpUser
	signWith *rsa.PrivateKey
	nonce    string
}

type idpUser struct {
	Sub, Email, Name string
	Verified         bool
}

type grant struct{ challenge, nonce, redirect string }

const (
	idpClientID     = "savannah-test-client"
	idpClientSecret = "savannah-test-secret"
)

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p := &idp{key: key, code: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                p.srv.URL,
			"authorization_endpoint":                p.srv.URL + "/authorize",
			"token_endpoint":                        p.srv.URL + "/token",
			"jwks_uri":                              p.srv.URL + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "idp-key", "use": "sig", "alg": "RS256",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != idpClientID || q.Get("response_type") != "code" ||
			q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := rand.Text()
		p.mu.Lock()
		p.code[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		p.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
		}
		p.mu.Lock()
		g, found := p.code[r.FormValue("code")]
		delete(p.code, r.FormValue("code")) // codes are single use
		user, signWith, nonce := p.user, p.signWith, p.nonce
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
		if id != idpClientID || secret != idpClientSecret || !found || r.FormValue("redirect_uri") != g.redirect ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		if nonce == "" {
			nonce = g.nonce
		}
		if signWith == nil {
			signWith = key
		}
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": p.srv.URL, "aud": idpClientID, "sub": user.Sub, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"nonce": nonce, "email": user.Email, "email_verified": user.Verified, "name": user.Name,
		})
		tok.Header["kid"] = "idp-key"
		idToken, err := tok.SignedString(signWith)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) signIn(u idpUser, forge *rsa.PrivateKey, nonce string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user, p.signWith, p.nonce = u, forge, nonce
}

// socialAPI is the API with the local provider configured as "local".
type socialAPI struct {
	url    string
	client *ent.Client
	tokens *auth.Tokens
}

func newSocialAPI(t *testing.T, db *database.DB, p *idp, redirect string) socialAPI {
	t.Helper()
	client := db.Client()
	key, err := auth.GenerateSigningKey()
	require.NoError(t, err)
	tokens := auth.NewTokens("savannah-test", "savannah-test", key)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := auth.NewService(auth.ServiceConfig{
		Client: client, Dialect: db.Dialect, Tokens: tokens,
		Refresh: auth.NewDBRefreshStore(client), Failures: ratelimit.NewMemory(time.Now), Log: log,
	})
	require.NoError(t, err)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	prov, err := auth.NewSocialProvider(context.Background(), auth.SocialConfig{
		Name: "local", IssuerURL: p.srv.URL, ClientID: idpClientID, ClientSecret: idpClientSecret,
		CallbackURL: srv.URL + "/auth/local/callback",
	})
	require.NoError(t, err)
	h = api.New(api.Deps{
		Client: client, Dialect: db.Dialect, Auth: svc, Social: auth.NewSocial(svc, auth.StateKeyFrom(key), prov),
		SocialRedirectURL: redirect, Currency: "KES", Log: log,
		Checks: map[string]api.Checker{"database": db}, Registry: prometheus.NewRegistry(),
	})
	return socialAPI{url: srv.URL, client: client, tokens: tokens}
}

// browser follows no redirects by itself, so each leg can be inspected.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// flow runs the browser's part up to the callback and returns the
// callback's response.
func flow(t *testing.T, c *http.Client, a socialAPI) *http.Response {
	t.Helper()
	start := get(t, c, a.url+"/auth/local")
	require.Equal(t, http.StatusFound, start.StatusCode)
	authz, err := url.Parse(start.Header.Get("Location"))
	require.NoError(t, err)
	q := authz.Query()
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.Len(t, q.Get("code_challenge"), 43)
	require.NotEmpty(t, q.Get("nonce"))
	require.Equal(t, a.url+"/auth/local/callback", q.Get("redirect_uri"))
	require.Contains(t, start.Header.Get("Set-Cookie"), "HttpOnly")
	cb := get(t, c, authz.String())
	require.Equal(t, http.StatusFound, cb.StatusCode, "the provider sends the browser back")
	return get(t, c, cb.Header.Get("Location"))
}

type socialTokens struct {
	AccessToken, RefreshToken, ExpiresAt string
	Error, Message                       string
}

func decode(t *testing.T, resp *http.Response) socialTokens {
	t.Helper()
	var out socialTokens
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

func TestSocialSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		p := newIDP(t)
		a := newSocialAPI(t, db, p, "")
		sys := auth.SystemContext(context.Background())

		// First sign-in creates the customer and links the identity.
		p.signIn(idpUser{Sub: "u-1", Email: "Imani@Example.com", Name: "Imani", Verified: true}, nil, "")
		resp := flow(t, browser(t), a)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		tok := decode(t, resp)
		v, err := a.tokens.Verify(tok.AccessToken)
		require.NoError(t, err)
		c, err := a.client.Customer.Get(sys, v.CustomerID)
		require.NoError(t, err)
		require.Equal(t, "imani@example.com", c.Email)
		require.Equal(t, "Imani", c.Name)
		require.Empty(t, c.PasswordHash, "no password: this account signs in socially")
		require.True(t, a.client.Identity.Query().Where(identity.Provider("local"), identity.Subject("u-1"), identity.CustomerID(c.ID)).ExistX(sys))
		require.NotEmpty(t, tok.RefreshToken)

		// The same subject again: the same customer.
		resp = flow(t, browser(t), a)
		v2, err := a.tokens.Verify(decode(t, resp).AccessToken)
		require.NoError(t, err)
		require.Equal(t, v.CustomerID, v2.CustomerID)

		// A verified email matching a password account links to it.
		pw, err := auth.HashPassword(goodPassword)
		require.NoError(t, err)
		existing := a.client.Customer.Create().SetEmail("baraka@example.com").SetName("Baraka").SetPasswordHash(pw).SaveX(sys)
		p.signIn(idpUser{Sub: "u-2", Email: "baraka@example.com", Verified: true}, nil, "")
		v3, err := a.tokens.Verify(decode(t, flow(t, browser(t), a)).AccessToken)
		require.NoError(t, err)
		require.Equal(t, existing.ID, v3.CustomerID)

		// An unverified email neither creates nor links an account.
		p.signIn(idpUser{Sub: "u-3", Email: "mallory@example.com", Verified: false}, nil, "")
		resp = flow(t, browser(t), a)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "INVALID_CREDENTIALS", decode(t, resp).Error)
		require.False(t, a.client.Customer.Query().Where(customer.Email("mallory@example.com")).ExistX(sys))

		// The provider's text obeys the store's one text rule: a NUL in the
		// email refuses the sign-in and stores nothing, a decomposed name
		// is stored composed, and a name with control characters is
		// replaced as a missing one is.
		p.signIn(idpUser{Sub: "u-5", Email: "zawadi@example.com\x00", Name: "Zawadi", Verified: true}, nil, "")
		resp = flow(t, browser(t), a)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.False(t, a.client.Identity.Query().Where(identity.Subject("u-5")).ExistX(sys))
		for sub, u := range map[string]struct{ email, name, want string }{
			"u-6": {"jose@example.com", "Jose\u0301", "Jos\u00e9"},
			"u-7": {"lulu@example.com", "Lulu\x07", "lulu"},
		} {
			p.signIn(idpUser{Sub: sub, Email: u.email, Name: u.name, Verified: true}, nil, "")
			resp = flow(t, browser(t), a)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			c := a.client.Customer.Query().Where(customer.Email(u.email)).OnlyX(sys)
			require.Equal(t, u.want, c.Name)
		}

		// An ID token signed by someone else's key, or for another
		// sign-in's nonce, is refused.
		forger, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		for name, setup := range map[string]func(){
			"forged signature": func() { p.signIn(idpUser{Sub: "u-4", Email: "eve@example.com", Verified: true}, forger, "") },
			"replayed nonce":   func() { p.signIn(idpUser{Sub: "u-4", Email: "eve@example.com", Verified: true}, nil, "old-nonce") },
		} {
			t.Run(name, func(t *testing.T) {
				setup()
				resp := flow(t, browser(t), a)
				require.Equal(t, http.StatusBadRequest, resp.StatusCode)
				require.Equal(t, "INVALID_TOKEN", decode(t, resp).Error)
				require.False(t, a.client.Customer.Query().Where(customer.Email("eve@example.com")).ExistX(sys))
			})
		}
	})
}

// TestSocialSignInState: the callback is refused without the browser's
// state cookie, with another state, and when replayed.
func TestSocialSignInState(t *testing.T) {
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	p := newIDP(t)
	a := newSocialAPI(t, db, p, "")
	p.signIn(idpUser{Sub: "u-1", Email: "imani@example.com", Verified: true}, nil, "")

	// Walk to the callback but stop before it.
	c := browser(t)
	start := get(t, c, a.url+"/auth/local")
	cb := get(t, c, start.Header.Get("Location"))
	callback, err := url.Parse(cb.Header.Get("Location"))
	require.NoError(t, err)

	// Another browser (no cookie): an attacker feeding their own code.
	resp := get(t, browser(t), callback.String())
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "INVALID_TOKEN", decode(t, resp).Error)

	// The right browser, a different state.
	wrong := *callback
	q := wrong.Query()
	q.Set("state", "guessed")
	wrong.RawQuery = q.Encode()
	resp = get(t, c, wrong.String())
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The state cookie is spent by any callback: the genuine one now fails
	// too, and must start again.
	resp = get(t, c, callback.String())
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// An unknown provider.
	resp = get(t, c, a.url+"/auth/nope")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestSocialSignInRedirect: with a front-end URL, the tokens arrive in
// its fragment.
func TestSocialSignInRedirect(t *testing.T) {
	db := dbtest.Open(t, "sqlite://"+t.TempDir()+"/t.db")
	p := newIDP(t)
	a := newSocialAPI(t, db, p, "https://shop.example.com/signed-in")
	p.signIn(idpUser{Sub: "u-1", Email: "imani@example.com", Verified: true}, nil, "")
	resp := flow(t, browser(t), a)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "shop.example.com", loc.Host)
	require.Empty(t, loc.RawQuery, "tokens never travel in the query")
	frag, err := url.ParseQuery(loc.Fragment)
	require.NoError(t, err)
	_, err = a.tokens.Verify(frag.Get("access_token"))
	require.NoError(t, err)
	require.NotEmpty(t, frag.Get("refresh_token"))
	require.Equal(t, "Bearer", frag.Get("token_type"))
	require.False(t, strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=600"), "the state cookie is cleared")
}
