package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/onetimesecret"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Account recovery and verification.
//
// A password reset goes to an email as a link (a random 256-bit token) or
// to a verified phone as a 6-digit code; email and phone verification send
// a 6-digit code to the signed-in customer's address or number. Every
// secret is stored only as a salted SHA-256 hash (OneTimeSecret), works
// once, expires (ResetLinkTTL, CodeTTL), is replaced by a newer one for the
// same purpose and target, and reaches the customer through the
// notification outbox, written in the request's transaction.
//
// Requests are budgeted per target (email or phone) and per client
// address; wrong secrets are budgeted the same way, so a 6-digit code
// cannot be guessed. A reset request answers the same whether or not an
// account exists, and does the same work: for an unknown account it
// generates, hashes and writes a decoy secret that is never sent.
const (
	ResetLinkTTL = 30 * time.Minute
	CodeTTL      = 10 * time.Minute
	// MaxRequests secrets may be asked for one target at once, and one
	// more every RecoveryWindow/MaxRequests; a client address
	// MaxAddressRequests per RecoveryWindow.
	MaxRequests        = 3
	MaxAddressRequests = 10
	// MaxWrongSecrets wrong codes or links are allowed per target at
	// once, refilled over RecoveryWindow; a client address MaxAddressFailure.
	MaxWrongSecrets = 5
	RecoveryWindow  = 15 * time.Minute
	codeDigits      = 6
)

// AccountNotifier writes an account message in the caller's transaction;
// *outbox.Outbox is one.
type AccountNotifier interface {
	Account(ctx context.Context, client *ent.Client, ch notification.Channel, to string, ev templates.Event, secret string) error
}

// RecoveryTarget names an account by its email or by its phone: exactly
// one of them.
type RecoveryTarget struct {
	Email, Phone *string
}

// target is a checked RecoveryTarget.
type target struct {
	channel notification.Channel
	key     string   // normalised email or E.164 phone
	field   []string // the input field, for user errors
}

func (s *Service) checkTarget(c *input.Problems, t RecoveryTarget) target {
	return checkContact(c, t, "give the account's email or phone", "input")
}

// checkContact checks and normalises an email or an E.164 phone, exactly
// one, with the account rules (checkEmail, checkPhone); problems name the
// fields under prefix; required is the problem when neither is given.
func checkContact(c *input.Problems, t RecoveryTarget, required string, prefix ...string) target {
	at := func(f string) []string { return append(append([]string{}, prefix...), f) }
	email := t.Email != nil && strings.TrimSpace(*t.Email) != ""
	phone := t.Phone != nil && strings.TrimSpace(*t.Phone) != ""
	switch {
	case email && phone:
		c.Add(input.ErrInvalid, "give an email or a phone, not both", at("phone")...)
	case email:
		e := NormalizeEmail(*t.Email)
		checkEmail(c, at("email"), e)
		return target{notification.ChannelEMAIL, e, at("email")}
	case phone:
		return target{notification.ChannelSMS, checkPhone(c, at("phone"), t.Phone), at("phone")}
	default:
		c.Add(input.ErrRequired, required, at("email")...)
	}
	return target{}
}

// CheckContact checks a guest's contact (an email or an E.164 phone,
// exactly one) with the same rules as an account's, and returns the
// channel that reaches it and its normalised form, which is what a
// customer later verifies to claim the guest's orders (ClaimGuestOrders).
func CheckContact(c *input.Problems, t RecoveryTarget, prefix ...string) (notification.Channel, string) {
	tg := checkContact(c, t, "give an email or a phone to send the order to", prefix...)
	return tg.channel, tg.key
}

func requestBudgets(key, addr string) []failureBudget {
	return []failureBudget{
		{ratelimit.Policy{Name: "recovery-requests-target", Capacity: MaxRequests, RefillPerSecond: MaxRequests / RecoveryWindow.Seconds()}, key},
		{ratelimit.Policy{Name: "recovery-requests-address", Capacity: MaxAddressRequests, RefillPerSecond: MaxAddressRequests / RecoveryWindow.Seconds()}, addr},
	}
}

func wrongSecretBudgets(key, addr string) []failureBudget {
	return []failureBudget{
		{ratelimit.Policy{Name: "recovery-failures-target", Capacity: MaxWrongSecrets, RefillPerSecond: MaxWrongSecrets / RecoveryWindow.Seconds()}, key},
		{ratelimit.Policy{Name: "recovery-failures-address", Capacity: MaxAddressFailure, RefillPerSecond: MaxAddressFailure / RecoveryWindow.Seconds()}, addr},
	}
}

// spendRequest refuses with TOO_MANY_ATTEMPTS when a request budget is
// spent, and takes one request from each otherwise.
func (s *Service) spendRequest(ctx context.Context, key string) error {
	budgets := requestBudgets(key, ClientAddr(ctx))
	if err := s.throttle(ctx, "too many codes requested", budgets...); err != nil {
		return err
	}
	return s.countFailure(ctx, budgets...)
}

// RequestPasswordReset sends a reset link to the email, or a reset code
// to the phone, of the account it names. The answer is the same whether
// or not there is such an account: nil, or the same user errors for bad
// input and a spent budget. Only a verified phone receives a code (a
// mistyped, unverified number must not open someone's account).
func (s *Service) RequestPasswordReset(ctx context.Context, t RecoveryTarget) error {
	var c input.Problems
	tg := s.checkTarget(&c, t)
	if err := c.Err(); err != nil {
		return err
	}
	if err := s.spendRequest(ctx, tg.key); err != nil {
		return err
	}
	sys := viewer.System(ctx, "auth: request a password reset") // anonymous: the message is the proof
	db := s.db(sys)
	q := db.Customer.Query().Where(customer.Email(tg.key))
	if tg.channel == notification.ChannelSMS {
		q = db.Customer.Query().Where(customer.Phone(tg.key), customer.PhoneVerifiedAtNotNil())
	}
	found, err := q.Limit(2).All(sys)
	if err != nil {
		return fmt.Errorf("find customer: %w", err)
	}
	var cust *ent.Customer
	if len(found) == 1 { // a phone verified on two accounts names neither
		cust = found[0]
	}
	secret, ttl, ev := newCode(), CodeTTL, templates.PasswordReset
	if tg.channel == notification.ChannelEMAIL {
		secret, ttl = newLinkToken(), ResetLinkTTL
	}
	var owner *int
	if cust != nil {
		owner = &cust.ID
	}
	if err := s.issue(sys, onetimesecret.PurposePASSWORD_RESET, tg.key, owner, secret, ttl); err != nil {
		return err
	}
	if cust == nil {
		return nil // the decoy is written; nothing is sent
	}
	if tg.channel == notification.ChannelEMAIL {
		secret = s.resetLink(tg.key, secret)
	}
	return s.notify(sys, tg.channel, tg.key, ev, secret)
}

// resetLink is the front-end page that takes the new password, with the
// email and token in its query.
func (s *Service) resetLink(email, token string) string {
	sep := "?"
	if strings.Contains(s.cfg.ResetURL, "?") {
		sep = "&"
	}
	return s.cfg.ResetURL + sep + url.Values{"email": {email}, "token": {token}}.Encode()
}

// ResetInput redeems a reset: the target it was sent to, the link's token
// (email) or the code (SMS), and the new password.
type ResetInput struct {
	Target      RecoveryTarget
	Token, Code *string
	NewPassword string
}

// ResetPassword sets a new password with a reset secret, spending it, and
// signs the account out everywhere: every refresh-token family is
// revoked and every access token refused. A reset by email link also
// proves the email.
func (s *Service) ResetPassword(ctx context.Context, in ResetInput) error {
	var c input.Problems
	tg := s.checkTarget(&c, in.Target)
	secret, secretField := "", []string{"input", "token"}
	switch {
	case in.Token != nil && *in.Token != "":
		secret = *in.Token
	case in.Code != nil && *in.Code != "":
		secret, secretField = strings.TrimSpace(*in.Code), []string{"input", "code"}
	default:
		c.Add(input.ErrRequired, "give the token of the link or the code", secretField...)
	}
	if err := c.Err(); err != nil {
		return err
	}
	sys := viewer.System(ctx, "auth: reset a password") // anonymous: the secret is the credential
	row, err := s.redeem(sys, onetimesecret.PurposePASSWORD_RESET, tg.key, nil, secret, secretField)
	if err != nil {
		return err
	}
	db := s.db(sys)
	cust, err := db.Customer.Get(sys, *row.CustomerID)
	if err != nil {
		return fmt.Errorf("find customer: %w", err)
	}
	checkNewPassword(&c, []string{"input", "newPassword"}, in.NewPassword, cust.Email, cust.Name)
	if err := c.Err(); err != nil {
		return err
	}
	if err := s.spend(sys, row, secretField); err != nil {
		return err
	}
	hash, err := HashPassword(in.NewPassword)
	if err != nil {
		return err
	}
	upd := db.Customer.UpdateOneID(cust.ID).SetPasswordHash(hash).SetPasswordChangedAt(s.now())
	if tg.channel == notification.ChannelEMAIL && cust.EmailVerifiedAt == nil {
		upd.SetEmailVerifiedAt(s.now())
	}
	if err := upd.Exec(sys); err != nil {
		return fmt.Errorf("update password: %w", err)
	}
	// The secret proved the email or the (verified) phone it went to.
	if _, err := claimGuestOrders(sys, db, cust.ID, tg.key); err != nil {
		return err
	}
	// Every other reset secret of the account goes with this one.
	if err := db.OneTimeSecret.Update().
		Where(onetimesecret.CustomerID(cust.ID), onetimesecret.PurposeEQ(onetimesecret.PurposePASSWORD_RESET), onetimesecret.UsedAtIsNil()).
		SetUsedAt(s.now()).Exec(sys); err != nil {
		return fmt.Errorf("spend reset secrets: %w", err)
	}
	_, err = s.revokeSessions(ctx, cust.ID)
	return err
}

// RequestEmailVerification sends a code to the signed-in customer's email.
func (s *Service) RequestEmailVerification(ctx context.Context, v Viewer) error {
	cust, err := s.db(ctx).Customer.Get(ctx, v.CustomerID)
	if err != nil {
		return fmt.Errorf("find customer: %w", err)
	}
	if cust.EmailVerifiedAt != nil {
		return input.Fail(input.ErrInvalid, "the email is already verified", "email")
	}
	return s.requestCode(ctx, cust, onetimesecret.PurposeVERIFY_EMAIL, notification.ChannelEMAIL, cust.Email, templates.VerifyEmail)
}

// RequestPhoneVerification sends a code to the signed-in customer's
// phone.
func (s *Service) RequestPhoneVerification(ctx context.Context, v Viewer) error {
	cust, err := s.db(ctx).Customer.Get(ctx, v.CustomerID)
	if err != nil {
		return fmt.Errorf("find customer: %w", err)
	}
	switch {
	case cust.Phone == "":
		return input.Fail(input.ErrRequired, "add a phone to the profile first", "phone")
	case cust.PhoneVerifiedAt != nil:
		return input.Fail(input.ErrInvalid, "the phone is already verified", "phone")
	}
	return s.requestCode(ctx, cust, onetimesecret.PurposeVERIFY_PHONE, notification.ChannelSMS, cust.Phone, templates.VerifyPhone)
}

func (s *Service) requestCode(ctx context.Context, cust *ent.Customer, p onetimesecret.Purpose, ch notification.Channel, to string, ev templates.Event) error {
	if err := s.spendRequest(ctx, to); err != nil {
		return err
	}
	sys := viewer.System(ctx, "auth: send a verification code")
	code := newCode()
	if err := s.issue(sys, p, to, &cust.ID, code, CodeTTL); err != nil {
		return err
	}
	return s.notify(sys, ch, to, ev, code)
}

// ConfirmEmailVerification marks the signed-in customer's email verified
// with the code sent to it.
func (s *Service) ConfirmEmailVerification(ctx context.Context, v Viewer, code string) (*ent.Customer, error) {
	return s.confirm(ctx, v, onetimesecret.PurposeVERIFY_EMAIL, code)
}

// ConfirmPhoneVerification marks the signed-in customer's phone verified
// with the code sent to it.
func (s *Service) ConfirmPhoneVerification(ctx context.Context, v Viewer, code string) (*ent.Customer, error) {
	return s.confirm(ctx, v, onetimesecret.PurposeVERIFY_PHONE, code)
}

func (s *Service) confirm(ctx context.Context, v Viewer, p onetimesecret.Purpose, code string) (*ent.Customer, error) {
	field := []string{"code"}
	if strings.TrimSpace(code) == "" {
		return nil, input.Fail(input.ErrRequired, "code is required", field...)
	}
	cust, err := s.db(ctx).Customer.Get(ctx, v.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	// The code proves the address or number as it is now: one sent to a
	// phone since replaced proves nothing.
	to := cust.Email
	if p == onetimesecret.PurposeVERIFY_PHONE {
		to = cust.Phone
	}
	sys := viewer.System(ctx, "auth: confirm a verification code")
	row, err := s.redeem(sys, p, to, &cust.ID, strings.TrimSpace(code), field)
	if err != nil {
		return nil, err
	}
	if err := s.spend(sys, row, field); err != nil {
		return nil, err
	}
	upd := s.db(sys).Customer.UpdateOneID(cust.ID)
	if p == onetimesecret.PurposeVERIFY_PHONE {
		upd.SetPhoneVerifiedAt(s.now())
	} else {
		upd.SetEmailVerifiedAt(s.now())
	}
	updated, err := upd.Save(sys)
	if err != nil {
		return nil, fmt.Errorf("mark verified: %w", err)
	}
	if _, err := claimGuestOrders(sys, s.db(sys), cust.ID, to); err != nil {
		return nil, err
	}
	return updated, nil
}

// issue replaces the unspent secrets of (p, to) with a new one.
func (s *Service) issue(ctx context.Context, p onetimesecret.Purpose, to string, owner *int, secret string, ttl time.Duration) error {
	db := s.db(ctx)
	if err := db.OneTimeSecret.Update().
		Where(onetimesecret.PurposeEQ(p), onetimesecret.Target(to), onetimesecret.UsedAtIsNil()).
		SetUsedAt(s.now()).Exec(ctx); err != nil {
		return fmt.Errorf("replace secrets: %w", err)
	}
	salt := randomHex(16)
	err := db.OneTimeSecret.Create().SetPurpose(p).SetTarget(to).SetSalt(salt).SetHash(hashSecret(salt, secret)).
		SetExpiresAt(s.now().Add(ttl)).SetNillableCustomerID(owner).Exec(ctx)
	if err != nil {
		return fmt.Errorf("write secret: %w", err)
	}
	return nil
}

// PurgeSecrets deletes the one-time secrets that can no longer be
// redeemed at now: used (redeemed or replaced) or expired. It returns how
// many it deleted. Throttling does not count these rows, so deleting them
// changes no answer; a worker runs it periodically (server/jobs.go).
func (s *Service) PurgeSecrets(ctx context.Context, now time.Time) (int, error) {
	sys := viewer.System(ctx, "auth: purge spent one-time secrets")
	n, err := s.db(ctx).OneTimeSecret.Delete().
		Where(onetimesecret.Or(onetimesecret.UsedAtNotNil(), onetimesecret.ExpiresAtLTE(now))).
		Exec(sys)
	if err != nil {
		return 0, fmt.Errorf("purge one-time secrets: %w", err)
	}
	return n, nil
}

func (s *Service) notify(ctx context.Context, ch notification.Channel, to string, ev templates.Event, secret string) error {
	if s.cfg.Notify == nil {
		return fmt.Errorf("auth: no notifier configured for %s", ev)
	}
	return s.cfg.Notify.Account(ctx, s.db(ctx), ch, to, ev, secret)
}

// redeem finds the live secret of (p, to) that secret matches, owned by
// owner when given. A wrong, spent or expired secret is INVALID_TOKEN and
// counts against the target's and the client's budgets; with a budget
// spent, even the right secret is refused (TOO_MANY_ATTEMPTS).
func (s *Service) redeem(ctx context.Context, p onetimesecret.Purpose, to string, owner *int, secret string, field []string) (*ent.OneTimeSecret, error) {
	budgets := wrongSecretBudgets(string(p)+":"+to, ClientAddr(ctx))
	if err := s.throttle(ctx, "too many wrong codes", budgets...); err != nil {
		return nil, err
	}
	q := s.db(ctx).OneTimeSecret.Query().Where(
		onetimesecret.PurposeEQ(p), onetimesecret.Target(to), onetimesecret.UsedAtIsNil(),
		onetimesecret.ExpiresAtGT(s.now()), onetimesecret.CustomerIDNotNil())
	if owner != nil {
		q.Where(onetimesecret.CustomerID(*owner))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("find secret: %w", err)
	}
	for _, r := range rows {
		if subtle.ConstantTimeCompare([]byte(hashSecret(r.Salt, secret)), []byte(r.Hash)) == 1 {
			return r, nil
		}
	}
	if err := s.countFailure(ctx, budgets...); err != nil {
		return nil, err
	}
	return nil, invalidSecret(field)
}

// spend marks row used; of two redemptions racing, one finds it spent.
func (s *Service) spend(ctx context.Context, row *ent.OneTimeSecret, field []string) error {
	n, err := s.db(ctx).OneTimeSecret.Update().
		Where(onetimesecret.ID(row.ID), onetimesecret.UsedAtIsNil()).
		SetUsedAt(s.now()).Save(ctx)
	if err != nil {
		return fmt.Errorf("spend secret: %w", err)
	}
	if n == 0 {
		return invalidSecret(field)
	}
	return nil
}

func invalidSecret(field []string) error {
	return input.Fail(input.ErrInvalidToken, "the code or link is wrong, expired or already used", field...)
}

// hashSecret is the stored form of a secret: SHA-256 over its row's salt
// and the secret, hex.
func hashSecret(salt, secret string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + secret))
	return hex.EncodeToString(sum[:])
}

// newCode returns a uniformly random 6-digit code.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(fmt.Sprintf("auth: crypto/rand: %v", err)) // never fails on supported platforms
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64())
}

// NewAccessToken returns a new bearer secret for a grant looked up by its
// hash (a guest's order-access token): 256 random bits, URL-safe, like a
// reset link's token.
func NewAccessToken() string { return newLinkToken() }

// AccessTokenHash is the stored form of a bearer secret from
// NewAccessToken, by which it is looked up: hashSecret with the grant's
// purpose in place of a per-row salt (256 random bits need no salt; the
// purpose keeps one kind of token from matching another's hash).
func AccessTokenHash(purpose, token string) string { return hashSecret(purpose, token) }

// newLinkToken returns 256 random bits, URL-safe.
func newLinkToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
