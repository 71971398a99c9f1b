package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/openidConnect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/identity"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// SocialStateTTL is how long a started social sign-in may take.
const SocialStateTTL = 10 * time.Minute

var (
	// ErrUnknownProvider is returned for a provider that is not configured.
	ErrUnknownProvider = errors.New("unknown sign-in provider")
	// ErrSocialState is returned when the callback's state, cookie or code
	// does not check out: expired, forged, replayed or from another flow.
	ErrSocialState = errors.New("the sign-in could not be verified; start again")
	// ErrSocialDenied is returned when the user or the provider refused.
	ErrSocialDenied = errors.New("the provider did not sign you in")
	// ErrEmailUnverified is returned when the provider vouches for no email.
	ErrEmailUnverified = errors.New("the provider did not confirm an email address")
)

// SocialConfig configures one OpenID Connect provider.
type SocialConfig struct {
	// Name is the provider's name in the routes: /auth/{Name}.
	Name string
	// IssuerURL is where discovery starts (…/.well-known/openid-configuration).
	IssuerURL              string
	ClientID, ClientSecret string
	// CallbackURL is this server's /auth/{Name}/callback, as registered
	// with the provider.
	CallbackURL string
}

// SocialProvider is one configured provider: goth's OpenID Connect
// provider runs the authorization-code exchange; go-oidc verifies the ID
// token's signature against the provider's JWKS (goth only decodes it).
type SocialProvider struct {
	name     string
	goth     *openidConnect.Provider
	verifier *oidc.IDTokenVerifier
}

// NewSocialProvider discovers the provider's endpoints and keys.
func NewSocialProvider(ctx context.Context, c SocialConfig) (*SocialProvider, error) {
	discovery := strings.TrimSuffix(c.IssuerURL, "/") + "/.well-known/openid-configuration"
	gp, err := openidConnect.NewNamed(c.Name, c.ClientID, c.ClientSecret, c.CallbackURL, discovery, "openid", "email", "profile")
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", c.Name, err)
	}
	op, err := oidc.NewProvider(ctx, c.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", c.Name, err)
	}
	return &SocialProvider{name: c.Name, goth: gp, verifier: op.Verifier(&oidc.Config{ClientID: c.ClientID})}, nil
}

// Social runs sign-in with OpenID Connect providers: authorization code
// with PKCE (S256), state and nonce kept in a short-lived cookie signed
// with HMAC-SHA256, so no server-side session store is needed (and goth's
// default cookie store is never used).
type Social struct {
	svc       *Service
	providers map[string]*SocialProvider
	key       []byte
	now       func() time.Time
}

// NewSocial returns the flow over providers; stateKey signs the state
// cookie and must be the same on every replica (32 random bytes or more).
func NewSocial(svc *Service, stateKey []byte, providers ...*SocialProvider) *Social {
	m := make(map[string]*SocialProvider, len(providers))
	for _, p := range providers {
		m[p.name] = p
	}
	return &Social{svc: svc, providers: m, key: stateKey, now: time.Now}
}

// StateKeyFrom derives the state-cookie key from the token signing key,
// so replicas that share one share the other, with no extra secret.
func StateKeyFrom(k SigningKey) []byte {
	mac := hmac.New(sha256.New, k.Private.Seed())
	mac.Write([]byte("savannah social sign-in state v1"))
	return mac.Sum(nil)
}

// socialState is what the cookie carries between the two legs.
type socialState struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	Expires  int64  `json:"e"`
}

func random32() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Begin starts a sign-in: it returns the provider's authorization URL and
// the value of the state cookie to set.
func (s *Social) Begin(provider string) (authURL, cookie string, err error) {
	p, ok := s.providers[provider]
	if !ok {
		return "", "", ErrUnknownProvider
	}
	st := socialState{Provider: provider, Expires: s.now().Add(SocialStateTTL).Unix()}
	for _, f := range []*string{&st.State, &st.Verifier, &st.Nonce} {
		if *f, err = random32(); err != nil {
			return "", "", err
		}
	}
	sess, err := p.goth.BeginAuth(st.State)
	if err != nil {
		return "", "", fmt.Errorf("begin sign-in: %w", err)
	}
	raw, err := sess.GetAuthURL()
	if err != nil {
		return "", "", fmt.Errorf("begin sign-in: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("begin sign-in: %w", err)
	}
	challenge := sha256.Sum256([]byte(st.Verifier))
	q := u.Query()
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:]))
	q.Set("code_challenge_method", "S256")
	q.Set("nonce", st.Nonce)
	u.RawQuery = q.Encode()
	cookie, err = s.seal(st)
	if err != nil {
		return "", "", err
	}
	return u.String(), cookie, nil
}

// Complete finishes a sign-in from the callback's query and the state
// cookie: it checks state, exchanges the code with the PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry, nonce), and
// signs the customer in.
func (s *Social) Complete(ctx context.Context, provider string, query url.Values, cookie string) (*ent.Customer, *TokenPair, error) {
	p, ok := s.providers[provider]
	if !ok {
		return nil, nil, ErrUnknownProvider
	}
	st, err := s.open(cookie)
	if err != nil || st.Provider != provider {
		return nil, nil, ErrSocialState
	}
	if query.Get("error") != "" {
		return nil, nil, ErrSocialDenied
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(st.State)) != 1 || query.Get("code") == "" {
		return nil, nil, ErrSocialState
	}
	sess := &openidConnect.Session{}
	if _, err := sess.Authorize(p.goth, url.Values{"code": {query.Get("code")}, "code_verifier": {st.Verifier}}); err != nil {
		return nil, nil, fmt.Errorf("%w: code exchange: %w", ErrSocialState, err)
	}
	tok, err := p.verifier.Verify(ctx, sess.IDToken)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: id token: %w", ErrSocialState, err)
	}
	if subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(st.Nonce)) != 1 {
		return nil, nil, fmt.Errorf("%w: id token nonce", ErrSocialState)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := tok.Claims(&claims); err != nil {
		return nil, nil, fmt.Errorf("%w: id token claims: %w", ErrSocialState, err)
	}
	// Some providers send the boolean as a string.
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	return s.svc.SocialSignIn(ctx, provider, tok.Subject, claims.Email, verified, claims.Name)
}

func (s *Social) seal(st socialState) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("seal state: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload)), nil
}

func (s *Social) open(cookie string) (socialState, error) {
	payload, sig, ok := strings.Cut(cookie, ".")
	if !ok {
		return socialState{}, ErrSocialState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return socialState{}, ErrSocialState
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return socialState{}, ErrSocialState
	}
	var st socialState
	if err := json.Unmarshal(b, &st); err != nil || s.now().Unix() > st.Expires {
		return socialState{}, ErrSocialState
	}
	return st, nil
}

func (s *Social) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// SocialSignIn finds the customer linked to the provider's subject, or
// links the account with the same verified email, or creates one (with no
// password), and signs them in.
func (s *Service) SocialSignIn(ctx context.Context, provider, subject, email string, emailVerified bool, name string) (*ent.Customer, *TokenPair, error) {
	ctx = viewer.System(ctx, "auth: social sign-in") // no one is signed in yet: the flow itself vouches
	// The provider's text obeys the store's one text rule, as a client's
	// would: an unusable subject or email refuses the sign-in, an
	// unusable name is replaced as a missing one is.
	var err error
	if subject, err = input.CleanText(subject, input.Text{}); err != nil {
		return nil, nil, fmt.Errorf("%w: subject %w", ErrSocialDenied, err)
	}
	if email, err = input.CleanText(email, input.Text{}); err != nil {
		return nil, nil, fmt.Errorf("%w: email %w", ErrSocialDenied, err)
	}
	if name, err = input.CleanText(name, input.Text{}); err != nil {
		name = ""
	}
	tx, err := s.cfg.Client.Tx(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	cust, err := s.linkIdentity(ctx, tx.Client(), provider, subject, email, emailVerified, name)
	if err != nil {
		_ = tx.Rollback()
		return nil, nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	pair, err := s.signIn(ctx, cust)
	if err != nil {
		return nil, nil, err
	}
	return cust, pair, nil
}

func (s *Service) linkIdentity(ctx context.Context, c *ent.Client, provider, subject, email string, emailVerified bool, name string) (*ent.Customer, error) {
	id, err := c.Identity.Query().Where(identity.Provider(provider), identity.Subject(subject)).WithCustomer().Only(ctx)
	if err == nil {
		return id.Edges.Customer, nil
	}
	if !ent.IsNotFound(err) {
		return nil, fmt.Errorf("find identity: %w", err)
	}
	email = NormalizeEmail(email)
	if email == "" || !emailVerified {
		return nil, ErrEmailUnverified
	}
	cust, err := c.Customer.Query().Where(customer.Email(email)).Only(ctx)
	if ent.IsNotFound(err) {
		name = strings.TrimSpace(name)
		if name == "" {
			name = email[:strings.Index(email, "@")]
		}
		// The provider vouched for the email: it is verified.
		cust, err = c.Customer.Create().SetEmail(email).SetName(name).SetEmailVerifiedAt(s.now()).Save(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("find or create customer: %w", err)
	}
	err = c.Identity.Create().SetCustomerID(cust.ID).SetProvider(provider).SetSubject(subject).SetEmail(email).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("link identity: %w", err)
	}
	// The provider vouched for the email: the guest orders placed with
	// it are the customer's.
	if _, err := claimGuestOrders(ctx, c, cust.ID, email); err != nil {
		return nil, err
	}
	return cust, nil
}
