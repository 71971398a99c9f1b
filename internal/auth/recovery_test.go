package auth_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/onetimesecret"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// sentMessage is one account message the service asked to send.
type sentMessage struct {
	ch     notification.Channel
	to     string
	ev     templates.Event
	secret string
}

// outboxSpy records account messages instead of writing them.
type outboxSpy struct {
	mu   sync.Mutex
	sent []sentMessage
}

func (o *outboxSpy) Account(_ context.Context, _ *ent.Client, ch notification.Channel, to string, ev templates.Event, secret string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, sentMessage{ch, to, ev, secret})
	return nil
}

func (o *outboxSpy) last(t *testing.T) sentMessage {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	require.NotEmpty(t, o.sent)
	return o.sent[len(o.sent)-1]
}

func (o *outboxSpy) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

const (
	recoveryPassword = "baobab lanterns drift over turquoise lakes"
	newPassword      = "seven giraffes quietly paint the savannah dawn"
)

// newRecovery is the account service with a spy outbox and a clock.
func newRecovery(t *testing.T, db *database.DB) (*auth.Service, *outboxSpy, *clock) {
	t.Helper()
	spy, clk := &outboxSpy{}, &clock{t: time.Now()}
	s := newAccounts(t, db, func(c *auth.ServiceConfig) {
		c.Notify, c.Now, c.ResetURL = spy, clk.now, "https://shop.example/reset"
		c.Failures = ratelimit.NewMemory(clk.now)
	})
	return s, spy, clk
}

// linkToken is the token of a reset link.
func linkToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	require.Equal(t, "https://shop.example/reset", u.Scheme+"://"+u.Host+u.Path)
	return u.Query().Get("token")
}

// TestResetPasswordRules: a reset secret works once, only before it
// expires, only for its own target, only while it is the newest; a weak
// new password spends nothing.
func TestResetPasswordRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tests := []struct {
			name   string
			redeem func(s *auth.Service, email string, clk *clock, token string) error
			code   error // nil: the reset works
			// reset: a reset went through before the refusal.
			reset bool
		}{
			{"the link's token", func(s *auth.Service, email string, _ *clock, tok string) error {
				return s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: &email}, Token: &tok, NewPassword: newPassword})
			}, nil, false},
			{"a wrong token", func(s *auth.Service, email string, _ *clock, tok string) error {
				return s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: &email}, Token: ptr(tok + "x"), NewPassword: newPassword})
			}, input.ErrInvalidToken, false},
			{"another email's reset", func(s *auth.Service, email string, _ *clock, tok string) error {
				return s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: ptr("other@example.com")}, Token: &tok, NewPassword: newPassword})
			}, input.ErrInvalidToken, false},
			{"expired", func(s *auth.Service, email string, clk *clock, tok string) error {
				clk.advance(auth.ResetLinkTTL + time.Second)
				return s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: &email}, Token: &tok, NewPassword: newPassword})
			}, input.ErrInvalidToken, false},
			{"replaced by a newer link", func(s *auth.Service, email string, _ *clock, tok string) error {
				require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: &email}))
				return s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: &email}, Token: &tok, NewPassword: newPassword})
			}, input.ErrInvalidToken, false},
			{"used twice", func(s *auth.Service, email string, _ *clock, tok string) error {
				in := auth.ResetInput{Target: auth.RecoveryTarget{Email: &email}, Token: &tok, NewPassword: newPassword}
				require.NoError(t, s.ResetPassword(ctx, in))
				return s.ResetPassword(ctx, in)
			}, input.ErrInvalidToken, true},
			{"a weak password, then a strong one", func(s *auth.Service, email string, _ *clock, tok string) error {
				in := auth.ResetInput{Target: auth.RecoveryTarget{Email: &email}, Token: &tok, NewPassword: "password1"}
				requireUserError(t, s.ResetPassword(ctx, in), []string{"input", "newPassword"}, input.ErrInvalid)
				in.NewPassword = newPassword
				return s.ResetPassword(ctx, in)
			}, nil, false},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s, spy, clk := newRecovery(t, db)
				email := fmt.Sprintf("case%d@example.com", i)
				_, pair, err := s.Register(ctx, auth.RegisterInput{Email: email, Password: recoveryPassword, Name: "Amina"})
				require.NoError(t, err)
				require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: ptr(" " + strings.ToUpper(email) + " ")}))
				m := spy.last(t)
				require.Equal(t, notification.ChannelEMAIL, m.ch)
				require.Equal(t, email, m.to)
				require.Equal(t, templates.PasswordReset, m.ev)
				err = tc.redeem(s, email, clk, linkToken(t, m.secret))
				if tc.code != nil {
					requireUserError(t, err, []string{"input", "token"}, tc.code)
					if !tc.reset {
						_, err = s.Refresh(ctx, pair.RefreshToken)
						require.NoError(t, err, "a refused reset signs no one out")
					}
					return
				}
				require.NoError(t, err)
				_, err = s.Refresh(ctx, pair.RefreshToken)
				requireUserError(t, err, []string{"refreshToken"}, input.ErrInvalidToken)
				_, err = s.VerifyAccess(ctx, pair.AccessToken)
				require.Error(t, err, "access tokens issued before are refused")
				_, _, err = s.Login(ctx, email, recoveryPassword)
				requireUserError(t, err, nil, input.ErrInvalidCredentials)
				_, _, err = s.Login(ctx, email, newPassword)
				require.NoError(t, err)
			})
		}
	})
}

// TestResetRequestUnknownAccount: an unknown email, and a phone that is
// not verified, get the same answer as a known one and write a decoy
// secret, but nothing is sent.
func TestResetRequestUnknownAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, spy, _ := newRecovery(t, db)
		_, _, err := s.Register(ctx, auth.RegisterInput{Email: "amina@example.com", Password: recoveryPassword, Name: "Amina", Phone: ptr("+254711000111")})
		require.NoError(t, err)

		require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: ptr("amina@example.com")}))
		require.Equal(t, 1, spy.count())
		require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: ptr("nobody@example.com")}))
		require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Phone: ptr("+254711000111")}), "unverified phone")
		require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Phone: ptr("+254722000222")}), "unknown phone")
		require.Equal(t, 1, spy.count(), "nothing sent for unknown accounts")

		sys := viewer.System(ctx, "test: read secrets")
		decoys, err := db.Client().OneTimeSecret.Query().Where(onetimesecret.CustomerIDIsNil()).Count(sys)
		require.NoError(t, err)
		require.Equal(t, 3, decoys, "each unknown request did the same work")
		// Nobody but the system reads or writes secrets, not even their owner.
		owner := auth.WithViewer(ctx, auth.Viewer{CustomerID: 1, Role: viewer.Admin})
		n, err := db.Client().OneTimeSecret.Query().Count(owner)
		require.True(t, err != nil || n == 0, "an ADMIN reads no secrets")
		_, err = db.Client().OneTimeSecret.Update().SetUsedAt(time.Now()).Save(owner)
		require.Error(t, err, "nor writes them")
		hashes, err := db.Client().OneTimeSecret.Query().Select(onetimesecret.FieldHash).Strings(sys)
		require.NoError(t, err)
		for _, h := range hashes {
			require.Len(t, h, 64, "only SHA-256 hashes are stored")
			require.NotContains(t, spy.last(t).secret, h)
		}

		// Bad input is refused alike, known account or not.
		for _, tg := range []auth.RecoveryTarget{{}, {Email: ptr("a@example.com"), Phone: ptr("+254711000111")}, {Email: ptr("not an email")}, {Phone: ptr("0711000111")}} {
			var ue *input.Error
			require.ErrorAs(t, s.RequestPasswordReset(ctx, tg), &ue)
		}
	})
}

// TestRecoveryThrottle: requests and wrong codes are budgeted per target
// and per client; the budget of one target leaves another's alone, and
// the budget refills with time.
func TestRecoveryThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, spy, clk := newRecovery(t, db)
		_, _, err := s.Register(ctx, auth.RegisterInput{Email: "amina@example.com", Password: recoveryPassword, Name: "Amina"})
		require.NoError(t, err)
		for _, email := range []string{"amina@example.com", "nobody@example.com"} {
			for i := 0; i < auth.MaxRequests; i++ {
				require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: &email}))
			}
			p := requireUserError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: &email}), nil, input.ErrTooManyAttempts)
			require.Contains(t, p.Message, "too many codes requested")
		}
		clk.advance(auth.RecoveryWindow)
		require.NoError(t, s.RequestPasswordReset(ctx, auth.RecoveryTarget{Email: ptr("amina@example.com")}), "refilled")
		tok := linkToken(t, spy.last(t).secret)

		for i := 0; i < auth.MaxWrongSecrets; i++ {
			err := s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: ptr("amina@example.com")}, Token: ptr("wrong"), NewPassword: newPassword})
			requireUserError(t, err, []string{"input", "token"}, input.ErrInvalidToken)
		}
		err = s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: ptr("amina@example.com")}, Token: &tok, NewPassword: newPassword})
		requireUserError(t, err, nil, input.ErrTooManyAttempts)
		clk.advance(auth.RecoveryWindow / auth.MaxWrongSecrets)
		require.NoError(t, s.ResetPassword(ctx, auth.ResetInput{Target: auth.RecoveryTarget{Email: ptr("amina@example.com")}, Token: &tok, NewPassword: newPassword}))
	})
}

// TestVerification: codes verify the signed-in customer's email and
// phone; a wrong, reused or expired code is refused; a new phone is
// unverified again.
func TestVerification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, spy, clk := newRecovery(t, db)
		c, _, err := s.Register(ctx, auth.RegisterInput{Email: "amina@example.com", Password: recoveryPassword, Name: "Amina", Phone: ptr("+254711000111")})
		require.NoError(t, err)
		require.Nil(t, c.EmailVerifiedAt)
		v := auth.Viewer{CustomerID: c.ID, Role: viewer.Customer}
		vctx := auth.WithViewer(ctx, v)

		// Email.
		require.NoError(t, s.RequestEmailVerification(vctx, v))
		m := spy.last(t)
		require.Equal(t, notification.ChannelEMAIL, m.ch)
		require.Equal(t, templates.VerifyEmail, m.ev)
		require.Len(t, m.secret, 6)
		_, err = s.ConfirmEmailVerification(vctx, v, wrongCode(m.secret))
		requireUserError(t, err, []string{"code"}, input.ErrInvalidToken)
		got, err := s.ConfirmEmailVerification(vctx, v, m.secret)
		require.NoError(t, err)
		require.NotNil(t, got.EmailVerifiedAt)
		_, err = s.ConfirmEmailVerification(vctx, v, m.secret)
		requireUserError(t, err, []string{"code"}, input.ErrInvalidToken)
		requireUserError(t, s.RequestEmailVerification(vctx, v), []string{"email"}, input.ErrInvalid)

		// Phone: an expired code, then a fresh one.
		require.NoError(t, s.RequestPhoneVerification(vctx, v))
		m = spy.last(t)
		require.Equal(t, notification.ChannelSMS, m.ch)
		require.Equal(t, "+254711000111", m.to)
		clk.advance(auth.CodeTTL + time.Second)
		_, err = s.ConfirmPhoneVerification(vctx, v, m.secret)
		requireUserError(t, err, []string{"code"}, input.ErrInvalidToken)
		require.NoError(t, s.RequestPhoneVerification(vctx, v))
		got, err = s.ConfirmPhoneVerification(vctx, v, spy.last(t).secret)
		require.NoError(t, err)
		require.NotNil(t, got.PhoneVerifiedAt)

		// The same number again keeps the mark; a new one loses it.
		got, err = s.UpdateProfile(vctx, v, auth.ProfileInput{Phone: ptr("+254711000111")})
		require.NoError(t, err)
		require.NotNil(t, got.PhoneVerifiedAt)
		got, err = s.UpdateProfile(vctx, v, auth.ProfileInput{Phone: ptr("+254722000222")})
		require.NoError(t, err)
		require.Nil(t, got.PhoneVerifiedAt)
	})
}

// wrongCode is a code other than code.
func wrongCode(code string) string {
	if strings.HasPrefix(code, "0") {
		return "1" + code[1:]
	}
	return "0" + code[1:]
}

func ptr[T any](v T) *T { return &v }
