package auth

import (
	"context"
	"crypto/subtle"
	stdsql "database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"github.com/nyaruka/phonenumbers"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// maxPasswordLength bounds the work one request can ask of argon2id.
const maxPasswordLength = 256

// ServiceConfig is what the Service needs.
type ServiceConfig struct {
	Client *ent.Client
	// Dialect is the database's (dialect.Postgres or dialect.SQLite): on
	// PostgreSQL, role changes lock the admin rows.
	Dialect string
	Tokens  *Tokens
	Refresh RefreshStore
	// Failures holds the sign-in failure budgets (see throttle.go): the
	// rate-limit store, behind ratelimit.Fallback with Redis.
	Failures ratelimit.Store
	// Versions caches customers' token versions (VerifyAccess); nil means
	// an in-process cache. With Redis, share one between replicas.
	Versions VersionCache
	// Notify writes account messages (reset links, codes) to the
	// outbox; nil refuses recovery and verification requests.
	Notify AccountNotifier
	// ResetURL is the front-end page a reset email links to; the link
	// adds email and token to its query (see recovery.go).
	ResetURL string
	// Clients verifies API clients' access tokens (typ at+jwt,
	// internal/oauth); nil refuses them.
	Clients ClientVerifier
	// Now is the clock of expiries; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Service holds accounts: registration, sign-in, tokens, profiles,
// address books and roles.
type Service struct {
	cfg       ServiceConfig
	dummyHash string
	now       func() time.Time
}

// NewService returns the account service. A sign-in with an unknown email
// is compared against a dummy hash, so it costs the same as a wrong
// password (see dummyPasswordHash).
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Client == nil || cfg.Tokens == nil || cfg.Refresh == nil || cfg.Failures == nil || cfg.Log == nil {
		return nil, errors.New("auth: client, tokens, refresh store, failure counter and logger are required")
	}
	dummy, err := dummyPasswordHash()
	if err != nil {
		return nil, err
	}
	if cfg.Versions == nil {
		cfg.Versions = NewMemoryVersionCache(VersionTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, dummyHash: dummy, now: cfg.Now}, nil
}

// VerifyAccess is the one check of an access token that a request (HTTP
// or WebSocket) is authenticated with: signature and claims (see
// Tokens.Verify), and that the account still exists and the token's
// version is the account's current one. The version is bumped when the
// account's rights change (role change, password change, logout
// everywhere), so tokens issued before stop working at once rather than
// at expiry. Versions are cached for VersionTTL; when the cache (Redis) is
// unavailable the database answers.
//
// An API client's token (typ at+jwt) is verified by ServiceConfig.Clients.
func (s *Service) VerifyAccess(ctx context.Context, raw string) (Viewer, error) {
	if IsClientToken(raw) {
		if s.cfg.Clients == nil {
			return Viewer{}, fmt.Errorf("%w: API client tokens are not accepted", ErrInvalidToken)
		}
		return s.cfg.Clients.VerifyClientToken(ctx, raw)
	}
	v, ver, err := s.cfg.Tokens.parse(raw)
	if err != nil {
		return Viewer{}, err
	}
	current, ok, err := s.cfg.Versions.Get(ctx, v.CustomerID)
	if err != nil {
		// Redis is down; readiness reports it, so one line per request
		// would only flood the log.
		s.cfg.Log.DebugContext(ctx, "token version cache unavailable; reading the database", slog.String("error", err.Error()))
	}
	if !ok {
		if current, err = s.tokenVersion(ctx, v.CustomerID); err != nil {
			return Viewer{}, err
		}
		if err := s.cfg.Versions.Set(ctx, v.CustomerID, current); err != nil {
			s.cfg.Log.DebugContext(ctx, "token version not cached", slog.String("error", err.Error()))
		}
	}
	if current == deleted || ver < current {
		return Viewer{}, fmt.Errorf("%w: the account's access changed since the token was issued", ErrInvalidToken)
	}
	return v, nil
}

// tokenVersion reads a customer's token version, deleted when there is no
// such account.
func (s *Service) tokenVersion(ctx context.Context, id int) (int, error) {
	sys := viewer.System(ctx, "auth: check a token's version") // the token is the credential; no viewer yet
	vs, err := s.cfg.Client.Customer.Query().Where(customer.ID(id)).Select(customer.FieldTokenVersion).Ints(sys)
	if err != nil {
		return 0, fmt.Errorf("read token version: %w", err)
	}
	if len(vs) == 0 {
		return deleted, nil
	}
	return vs[0], nil
}

// revokeAccess bumps the customer's token version in the caller's
// transaction, so every access token issued before is refused, and
// caches the new version at once. It returns the updated customer.
func (s *Service) revokeAccess(ctx context.Context, id int) (*ent.Customer, error) {
	cust, err := s.db(ctx).Customer.UpdateOneID(id).AddTokenVersion(1).Save(viewer.System(ctx, "auth: revoke access tokens"))
	if err != nil {
		return nil, fmt.Errorf("bump token version: %w", err)
	}
	if err := s.cfg.Versions.Bumped(ctx, id, cust.TokenVersion); err != nil {
		// The database has the new version; other replicas see it when
		// their cached entry expires.
		s.cfg.Log.WarnContext(ctx, "token version not cached", slog.String("error", err.Error()))
	}
	return cust, nil
}

// LogoutAll signs the viewer out everywhere: every refresh token is
// revoked and every access token refused from now on.
func (s *Service) LogoutAll(ctx context.Context, v Viewer) error {
	if _, err := s.revokeAccess(ctx, v.CustomerID); err != nil {
		return err
	}
	return s.cfg.Refresh.RevokeCustomer(viewer.System(ctx, "auth: sign out everywhere"), v.CustomerID)
}

// Tokens returns the access-token issuer, for the HTTP middleware and the
// JWKS endpoint.
func (s *Service) Tokens() *Tokens { return s.cfg.Tokens }

// db is the caller's transaction when there is one (GraphQL mutations).
func (s *Service) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.cfg.Client
}

// TokenPair is what a sign-in returns.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
}

// RegisterInput is a new account.
type RegisterInput struct {
	Email, Password, Name string
	Phone                 *string
}

// NormalizeEmail trims and lower-cases an email, so uniqueness ignores
// case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Register creates a customer account and signs it in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*ent.Customer, *TokenPair, error) {
	var c input.Problems
	email := NormalizeEmail(in.Email)
	checkEmail(&c, []string{"input", "email"}, email)
	name := strings.TrimSpace(in.Name)
	checkNewPassword(&c, []string{"input", "password"}, in.Password, email, name)
	checkName(&c, []string{"input", "name"}, name)
	phone := checkPhone(&c, []string{"input", "phone"}, in.Phone)
	if err := c.Err(); err != nil {
		return nil, nil, err
	}
	// Registration is anonymous: the auth service acts as the system to
	// look up and create the account, and to start its sign-in.
	ctx = viewer.System(ctx, "auth: register")
	db := s.db(ctx)
	taken, err := db.Customer.Query().Where(customer.Email(email)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("check email: %w", err)
	}
	if taken {
		return nil, nil, input.Fail(input.ErrTaken, "an account with this email already exists", "input", "email")
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, nil, err
	}
	create := db.Customer.Create().SetEmail(email).SetName(name).SetPasswordHash(hash)
	if phone != "" {
		create.SetPhone(phone)
	}
	// ON CONFLICT DO NOTHING: a concurrent registration of the same email
	// that won the race makes this insert a no-op rather than an error,
	// which on PostgreSQL would abort the surrounding transaction.
	id, err := create.OnConflictColumns(customer.FieldEmail).DoNothing().ID(ctx)
	if errors.Is(err, stdsql.ErrNoRows) || ent.IsConstraintError(err) {
		return nil, nil, input.Fail(input.ErrTaken, "an account with this email already exists", "input", "email")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("create customer: %w", err)
	}
	cust, err := db.Customer.Get(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("read customer: %w", err)
	}
	pair, err := s.signIn(ctx, cust)
	if err != nil {
		return nil, nil, err
	}
	return cust, pair, nil
}

// Login signs a customer in with email and password. A wrong password and
// an unknown email give the same error after the same work; failures are
// throttled per account and per client address.
func (s *Service) Login(ctx context.Context, email, password string) (*ent.Customer, *TokenPair, error) {
	email = NormalizeEmail(email)
	budgets := []failureBudget{accountBudget(email), addressBudget(ClientAddr(ctx))}
	if err := s.checkThrottle(ctx, budgets...); err != nil {
		return nil, nil, err
	}
	cust, ok, err := s.checkCredentials(ctx, email, password)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		if err := s.countFailure(ctx, budgets...); err != nil {
			return nil, nil, err
		}
		return nil, nil, input.Fail(input.ErrInvalidCredentials, "the email or password is incorrect")
	}
	if err := s.resetFailures(ctx, budgets[0]); err != nil {
		return nil, nil, err
	}
	pair, err := s.signIn(ctx, cust)
	if err != nil {
		return nil, nil, err
	}
	return cust, pair, nil
}

// checkCredentials always runs one argon2id comparison, against the dummy
// hash when there is no such account (or it has no password: social
// sign-in only), so timing does not tell whether the email exists.
func (s *Service) checkCredentials(ctx context.Context, email, password string) (*ent.Customer, bool, error) {
	if len(password) > maxPasswordLength {
		password = password[:maxPasswordLength]
	}
	// Sign-in finds an account before anyone is signed in: a system read.
	sys := viewer.System(ctx, "auth: sign in")
	cust, err := s.db(sys).Customer.Query().Where(customer.Email(email)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, false, fmt.Errorf("find customer: %w", err)
	}
	hash := s.dummyHash
	if cust != nil && cust.PasswordHash != "" {
		hash = cust.PasswordHash
	}
	ok, err := CheckPassword(password, hash)
	if err != nil {
		return nil, false, err
	}
	if cust == nil || cust.PasswordHash == "" {
		return nil, false, nil
	}
	return cust, ok, nil
}

// signIn starts a new refresh family and issues its first pair.
func (s *Service) signIn(ctx context.Context, cust *ent.Customer) (*TokenPair, error) {
	token, hash, err := newRefreshToken()
	if err != nil {
		return nil, err
	}
	// Refresh tokens are the auth service's own records: only it writes
	// them, as the system.
	if err := s.cfg.Refresh.Create(viewer.System(ctx, "auth: issue a refresh token"), cust.ID, hash, RefreshTokenTTL); err != nil {
		return nil, err
	}
	return s.pair(cust, token)
}

func (s *Service) pair(cust *ent.Customer, refresh string) (*TokenPair, error) {
	access, exp, err := s.cfg.Tokens.IssueWith(cust.ID, cust.Role, cust.Permissions, cust.TokenVersion)
	if err != nil {
		return nil, err
	}
	return &TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp}, nil
}

// Refresh rotates a refresh token: the presented one is spent and a new
// pair returned, with the customer's current role.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*TokenPair, error) {
	invalid := input.Fail(input.ErrInvalidToken, "the refresh token is invalid, expired or revoked", "refreshToken")
	token, hash, err := newRefreshToken()
	if err != nil {
		return nil, err
	}
	ctx = viewer.System(ctx, "auth: refresh a session") // the caller is anonymous; the token is the credential
	id, err := s.cfg.Refresh.Rotate(ctx, hashRefreshToken(refreshToken), hash, RefreshTokenTTL)
	switch {
	case errors.Is(err, ErrRefreshReused):
		s.cfg.Log.WarnContext(ctx, "refresh token reused; family revoked", slog.String("client_addr", ClientAddr(ctx)))
		return nil, invalid
	case errors.Is(err, ErrRefreshInvalid):
		return nil, invalid
	case err != nil:
		return nil, err
	}
	cust, err := s.db(ctx).Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, invalid
	}
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	return s.pair(cust, token)
}

// Logout revokes the family of the presented refresh token. Unknown tokens
// are accepted silently: logging out twice is not an error.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	return s.cfg.Refresh.RevokeFamily(viewer.System(ctx, "auth: log out"), hashRefreshToken(refreshToken))
}

// ChangePassword sets a new password after checking the current one, and
// revokes every refresh token of the customer; the caller gets a new pair.
func (s *Service) ChangePassword(ctx context.Context, v Viewer, current, next string) (*TokenPair, error) {
	cust, err := s.db(ctx).Customer.Get(ctx, v.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	budget := accountBudget(cust.Email)
	if err := s.checkThrottle(ctx, budget); err != nil {
		return nil, err
	}
	ok := false
	if cust.PasswordHash != "" {
		if ok, err = CheckPassword(current, cust.PasswordHash); err != nil {
			return nil, err
		}
	}
	if !ok {
		if err := s.countFailure(ctx, budget); err != nil {
			return nil, err
		}
		return nil, input.Fail(input.ErrInvalidCredentials, "the current password is incorrect", "currentPassword")
	}
	var c input.Problems
	checkNewPassword(&c, []string{"newPassword"}, next, cust.Email, cust.Name)
	if subtle.ConstantTimeCompare([]byte(current), []byte(next)) == 1 {
		c.Add(input.ErrInvalid, "the new password must differ from the current one", "newPassword")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return nil, err
	}
	// Only over the hash the current password was checked against: of
	// two changes racing from one password, the second finds it changed
	// and is told the current password is wrong, as it now is.
	n, err := s.db(ctx).Customer.Update().
		Where(customer.ID(cust.ID), customer.PasswordHash(cust.PasswordHash)).
		SetPasswordHash(hash).
		SetPasswordChangedAt(s.now()).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update password: %w", err)
	}
	if n == 0 {
		return nil, input.Fail(input.ErrInvalidCredentials, "the current password is incorrect", "currentPassword")
	}
	if cust, err = s.revokeSessions(ctx, cust.ID); err != nil {
		return nil, err
	}
	return s.signIn(ctx, cust)
}

// revokeSessions signs a customer out everywhere, as a password change
// or reset must: every access token is refused from now on
// (revokeAccess) and every refresh-token family revoked. It returns the
// updated customer.
func (s *Service) revokeSessions(ctx context.Context, id int) (*ent.Customer, error) {
	cust, err := s.revokeAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Refresh.RevokeCustomer(viewer.System(ctx, "auth: sign a customer out everywhere"), id); err != nil {
		return nil, err
	}
	return cust, nil
}

// ProfileInput changes a profile: nil leaves a field as it is; an empty
// phone removes it.
type ProfileInput struct {
	Name, Phone *string
}

// UpdateProfile changes the viewer's name and phone.
func (s *Service) UpdateProfile(ctx context.Context, v Viewer, in ProfileInput) (*ent.Customer, error) {
	var c input.Problems
	upd := s.db(ctx).Customer.UpdateOneID(v.CustomerID)
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		checkName(&c, []string{"input", "name"}, name)
		upd.SetName(name)
	}
	phone := ""
	if in.Phone != nil {
		if phone = checkPhone(&c, []string{"input", "phone"}, in.Phone); phone == "" {
			upd.ClearPhone()
		} else {
			upd.SetPhone(phone)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	if in.Phone != nil {
		// A new number is unproven: its verification goes with the old.
		n, err := s.db(ctx).Customer.Query().Where(customer.ID(v.CustomerID), customer.Phone(phone)).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("read phone: %w", err)
		}
		if n == 0 {
			upd.ClearPhoneVerifiedAt()
		}
	}
	cust, err := upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update profile: %w", err)
	}
	return cust, nil
}

// SetRole changes a customer's role. Only an ADMIN may, and the last ADMIN
// cannot be demoted. The account's access tokens stop working at once
// (they carry the old role); a demoted account's refresh tokens are
// revoked too, so it must sign in again.
func (s *Service) SetRole(ctx context.Context, actor Viewer, id int, role customer.Role) (*ent.Customer, error) {
	if !actor.Can(viewer.SettingsManage) {
		return nil, ErrForbidden
	}
	if err := customer.RoleValidator(role); err != nil {
		return nil, input.Fail(input.ErrInvalid, "unknown role", "role")
	}
	db := s.db(ctx)
	target, err := db.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, input.Fail(input.ErrNotFound, "no such customer", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	if target.Role == role {
		return target, nil
	}
	if target.Role == customer.RoleADMIN {
		q := db.Customer.Query().Where(customer.RoleEQ(customer.RoleADMIN))
		if s.cfg.Dialect == dialect.Postgres {
			// Two admins demoting each other at once must not both see
			// "two admins left": lock the admin rows. SQLite's single
			// writer serialises transactions already.
			q = q.ForUpdate()
		}
		admins, err := q.IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("count admins: %w", err)
		}
		if len(admins) <= 1 {
			return nil, input.Fail(input.ErrInvalid, "the last ADMIN cannot be demoted", "role")
		}
	}
	// A narrowed set narrows the old role's; the new role brings its own.
	if _, err := target.Update().SetRole(role).ClearPermissions().Save(ctx); err != nil {
		return nil, fmt.Errorf("set role: %w", err)
	}
	updated, err := s.revokeAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	if !(Viewer{Role: viewer.Role(role)}).Has(viewer.Role(target.Role)) {
		if err := s.cfg.Refresh.RevokeCustomer(viewer.System(ctx, "auth: revoke sessions on a role change"), id); err != nil {
			return nil, err
		}
	}
	return updated, nil
}

// SetPermissions gives a STAFF account a narrowed permission set (a subset
// of STAFF's), or with nil gives it back its role's. Only a viewer holding
// settings:manage may. The account's access tokens stop working at once
// (their version is bumped); a refreshed token carries the new set.
func (s *Service) SetPermissions(ctx context.Context, actor Viewer, id int, perms []viewer.Permission) (*ent.Customer, error) {
	if !actor.Can(viewer.SettingsManage) {
		return nil, ErrForbidden
	}
	var set []viewer.Permission
	if perms != nil {
		set = []viewer.Permission{}
		for _, p := range viewer.AllPermissions() {
			if slices.Contains(perms, p) {
				set = append(set, p)
			}
		}
		for _, p := range perms {
			if !slices.Contains(viewer.Staff.Permissions(), p) {
				return nil, input.Fail(input.ErrInvalid, fmt.Sprintf("%s is not STAFF's to narrow: a staff member's set is part of STAFF's", p), "permissions")
			}
		}
	}
	target, err := s.db(ctx).Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, input.Fail(input.ErrNotFound, "no such customer", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	if target.Role != customer.RoleSTAFF {
		return nil, input.Fail(input.ErrInvalid, "only a STAFF account's permissions are narrowed", "id")
	}
	upd := target.Update()
	if set == nil {
		upd.ClearPermissions()
	} else {
		upd.SetPermissions(set)
	}
	if _, err := upd.Save(ctx); err != nil {
		return nil, fmt.Errorf("set permissions: %w", err)
	}
	return s.revokeAccess(ctx, id)
}

// ErrForbidden is returned when the viewer's role does not allow the call.
var ErrForbidden = errors.New("forbidden")

func checkEmail(c *input.Problems, field []string, email string) {
	if email == "" {
		c.Add(input.ErrRequired, "email is required", field...)
		return
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > 254 || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		c.Add(input.ErrInvalid, "email is not a valid address", field...)
	}
}

// checkNewPassword is the password policy, for every way a password is
// set: at least MinPasswordLength characters, at most maxPasswordLength
// bytes, and hard to guess by zxcvbn's frequency-based estimate (at least
// MinPasswordScore), with the account's email and name counted as known to
// the attacker.
func checkNewPassword(c *input.Problems, field []string, password, email, name string) {
	switch n := utf8.RuneCountInString(password); {
	case password == "":
		c.Add(input.ErrRequired, "password is required", field...)
	case n < MinPasswordLength:
		c.Add(input.ErrInvalid, fmt.Sprintf("password must be at least %d characters", MinPasswordLength), field...)
	case len(password) > maxPasswordLength:
		c.Add(input.ErrInvalid, fmt.Sprintf("password must be at most %d bytes", maxPasswordLength), field...)
	case !strongEnough(password, email, name):
		c.Add(input.ErrInvalid, "password is too common or too easy to guess: avoid common words, names, dates, keyboard patterns and your email; a few unrelated words work well", field...)
	}
}

func checkName(c *input.Problems, field []string, name string) {
	switch {
	case name == "":
		c.Add(input.ErrRequired, "name is required", field...)
	case utf8.RuneCountInString(name) > 200:
		c.Add(input.ErrInvalid, "name must be at most 200 characters", field...)
	}
}

// checkPhone returns the phone in E.164 form, or "" when none was given.
// Only numbers in international form (+ and country code) are accepted:
// the store serves several countries, so no default region is guessed.
func checkPhone(c *input.Problems, field []string, phone *string) string {
	if phone == nil || strings.TrimSpace(*phone) == "" {
		return ""
	}
	p := strings.TrimSpace(*phone)
	if !strings.HasPrefix(p, "+") {
		c.Add(input.ErrInvalid, "phone must be in E.164 form, such as +254712345678", field...)
		return ""
	}
	num, err := phonenumbers.Parse(p, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		c.Add(input.ErrInvalid, "phone is not a valid number; use E.164 form, such as +254712345678", field...)
		return ""
	}
	return phonenumbers.Format(num, phonenumbers.E164)
}
