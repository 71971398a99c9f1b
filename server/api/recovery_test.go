package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/email"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

const (
	resetPage     = "https://shop.example/reset-password"
	firstPassword = "baobab lanterns drift over turquoise lakes"
	resetPassword = "seven giraffes quietly paint the savannah dawn"
)

// mailbox is an email sender that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	msgs []notify.Email
}

func (m *mailbox) SendEmail(_ context.Context, e notify.Email) (notify.SendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, e)
	return notify.SendResult{ProviderID: "mailbox"}, nil
}

// wait returns the messages once there are n, failing after a deadline.
func (m *mailbox) wait(t *testing.T, n int) []notify.Email {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m.mu.Lock()
		got := append([]notify.Email(nil), m.msgs...)
		m.mu.Unlock()
		if len(got) >= n {
			return got
		}
		require.False(t, time.Now().After(deadline), "%d of %d emails", len(got), n)
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

// recoveryStore is a store whose outbox delivers: SMS to a local Africa's
// Talking, email to a mailbox.
type recoveryStore struct {
	*store
	gw   *smstest.Server
	mail *mailbox
}

func newRecoveryStore(t *testing.T, db *database.DB) recoveryStore {
	t.Helper()
	return newRecoveryStoreWith(t, db, nil)
}

// newRecoveryStoreWith delivers email to sender, when not nil, instead
// of the mailbox.
func newRecoveryStoreWith(t *testing.T, db *database.DB, sender notify.EmailSender) recoveryStore {
	t.Helper()
	gw, mail := smstest.New(t), &mailbox{}
	if sender == nil {
		sender = mail
	}
	s := newStoreWith(t, db, nil, storeSetup{introspection: true, auth: []func(*auth.ServiceConfig){
		func(c *auth.ServiceConfig) { c.ResetURL = resetPage },
	}})
	deliver(t, s, db, gw, sender)
	return recoveryStore{store: s, gw: gw, mail: mail}
}

// deliver runs the outbox's worker for s: SMS to gw (a local Africa's
// Talking), email to sender.
func deliver(t *testing.T, s *store, db *database.DB, gw *smstest.Server, sender notify.EmailSender) {
	t.Helper()
	smsClient, err := sms.New(sms.Config{BaseURL: gw.URL(), Username: smstest.Username, APIKey: smstest.APIKey, Timeout: time.Second})
	require.NoError(t, err)
	set, err := templates.New()
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	workers := river.NewWorkers()
	river.AddWorker(workers, outbox.NewWorker(outbox.WorkerConfig{
		Client: s.client, Templates: set, SMS: smsClient, Email: sender,
		StoreName: "Savannah", Backoff: outbox.Backoff{Base: time.Millisecond, Max: time.Millisecond},
	}))
	rc, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 20 * time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, rc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(ctx, rc))
	})
}

// session is a signed-in customer's tokens.
type session struct{ access, refresh string }

func (s recoveryStore) register(t *testing.T, email string, phone *string) session {
	t.Helper()
	var d struct {
		Register struct {
			Token struct {
				AccessToken  string `json:"accessToken"`
				RefreshToken string `json:"refreshToken"`
			} `json:"token"`
			UserErrors []userError `json:"userErrors"`
		} `json:"register"`
	}
	s.op("Register", map[string]any{"input": map[string]any{"email": email, "password": firstPassword, "name": "Amina Njeri", "phone": phone}}, &d)
	require.Empty(t, d.Register.UserErrors)
	return session{d.Register.Token.AccessToken, d.Register.Token.RefreshToken}
}

// userErrorsOf runs a contract mutation and returns its payload's
// userErrors, and the raw response data.
func (s *store) userErrorsOf(t *testing.T, op, field string, vars map[string]any) ([]userError, json.RawMessage) {
	t.Helper()
	var d map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	resp := s.post(s.ops[op], op, vars)
	require.Empty(t, resp.Errors, "%s answered errors", op)
	require.NoError(t, json.Unmarshal(resp.Data, &d))
	return d[field].UserErrors, resp.Data
}

func (s recoveryStore) requestReset(t *testing.T, in map[string]any) ([]userError, json.RawMessage) {
	t.Helper()
	return s.userErrorsOf(t, "RequestPasswordReset", "requestPasswordReset", map[string]any{"input": in})
}

func (s recoveryStore) reset(t *testing.T, in map[string]any) []userError {
	t.Helper()
	ue, _ := s.userErrorsOf(t, "ResetPassword", "resetPassword", map[string]any{"input": in})
	return ue
}

func (s recoveryStore) login(t *testing.T, email, password string) []userError {
	t.Helper()
	ue, _ := s.userErrorsOf(t, "Login", "login", map[string]any{"email": email, "password": password})
	return ue
}

var linkRE = regexp.MustCompile(`https://shop\.example/reset-password\?\S+`)

// TestPasswordResetByEmailLink: the emailed link resets the password
// once, signs out every session, and proves the email; an unknown
// email gets the very same answer and no email.
func TestPasswordResetByEmailLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newRecoveryStore(t, db)
		sess := s.register(t, "amina@example.com", nil)

		ue, known := s.requestReset(t, map[string]any{"email": "Amina@Example.com"})
		require.Empty(t, ue)
		ue, unknown := s.requestReset(t, map[string]any{"email": "nobody@example.com"})
		require.Empty(t, ue)
		require.JSONEq(t, string(known), string(unknown), "the answer does not tell whether the account exists")

		msgs := s.mail.wait(t, 1)
		require.Equal(t, []string{"amina@example.com"}, msgs[0].To)
		require.Contains(t, msgs[0].Subject, "Reset your password")
		link, err := url.Parse(linkRE.FindString(msgs[0].Text))
		require.NoError(t, err)
		require.Equal(t, "amina@example.com", link.Query().Get("email"))
		token := link.Query().Get("token")
		require.Len(t, token, 43)

		// Refusals, each beside the path that works.
		ue = s.reset(t, map[string]any{"email": "amina@example.com", "token": token + "x", "newPassword": resetPassword})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		ue = s.reset(t, map[string]any{"email": "amina@example.com", "token": token, "newPassword": "password1"})
		require.Equal(t, []string{"INVALID"}, codesOf(ue), "a weak password spends nothing")
		require.Empty(t, s.login(t, "amina@example.com", firstPassword), "refusals changed nothing")
		ue = s.reset(t, map[string]any{"email": "amina@example.com", "token": token, "newPassword": resetPassword})
		require.Empty(t, ue)
		ue = s.reset(t, map[string]any{"email": "amina@example.com", "token": token, "newPassword": resetPassword + " again"})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue), "the link works once")

		// Every session is signed out.
		resp := s.post(s.ops["RefreshToken"], "RefreshToken", map[string]any{"refreshToken": sess.refresh})
		require.Contains(t, string(resp.Data), "INVALID_TOKEN")
		resp = s.as(sess.access).post(s.ops["AccountVerification"], "AccountVerification", nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())

		require.Equal(t, []string{"INVALID_CREDENTIALS"}, codesOf(s.login(t, "amina@example.com", firstPassword)))
		var in struct {
			Login struct {
				Token struct {
					AccessToken string `json:"accessToken"`
				} `json:"token"`
			} `json:"login"`
		}
		s.op("Login", map[string]any{"email": "amina@example.com", "password": resetPassword}, &in)
		var me struct {
			Me struct {
				EmailVerifiedAt *time.Time `json:"emailVerifiedAt"`
			} `json:"me"`
		}
		s.as(in.Login.Token.AccessToken).op("AccountVerification", nil, &me)
		require.NotNil(t, me.Me.EmailVerifiedAt, "the link proved the email")

		// One message only, and its secret is gone once delivered.
		sys := viewer.System(context.Background(), "test: read the outbox")
		require.Eventually(t, func() bool {
			n, err := s.client.Notification.Query().Where(notification.StatusEQ(notification.StatusSENT), notification.SecretIsNil()).Count(sys)
			return err == nil && n == 1
		}, 10*time.Second, 20*time.Millisecond)
		total, err := s.client.Notification.Query().Count(sys)
		require.NoError(t, err)
		require.Equal(t, 1, total, "nothing is sent for an unknown email")
		require.Len(t, s.mail.wait(t, 1), 1)
	})
}

// TestPasswordResetBySMSCode: a verified phone gets a reset code by SMS
// (through a local Africa's Talking); an unverified phone gets the same
// answer and no SMS.
func TestPasswordResetBySMSCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newRecoveryStore(t, db)
		sess := s.register(t, "amina@example.com", ptr("+254711000111"))
		s.register(t, "baraka@example.com", ptr("+254722000222"))
		signedIn := s.as(sess.access)

		// Verify the phone with an SMS code.
		ue, _ := signedIn.userErrorsOf(t, "RequestPhoneVerification", "requestPhoneVerification", nil)
		require.Empty(t, ue)
		code := smsCode(t, s.gw.WaitMessages(t, 1, 20*time.Second)[0], "+254711000111")
		ue, _ = signedIn.userErrorsOf(t, "ConfirmPhoneVerification", "confirmPhoneVerification", map[string]any{"code": otherCode(code)})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		var confirmed struct {
			ConfirmPhoneVerification struct {
				Customer struct {
					PhoneVerifiedAt *time.Time `json:"phoneVerifiedAt"`
				} `json:"customer"`
				UserErrors []userError `json:"userErrors"`
			} `json:"confirmPhoneVerification"`
		}
		signedIn.op("ConfirmPhoneVerification", map[string]any{"code": code}, &confirmed)
		require.Empty(t, confirmed.ConfirmPhoneVerification.UserErrors)
		require.NotNil(t, confirmed.ConfirmPhoneVerification.Customer.PhoneVerifiedAt)
		ue, _ = signedIn.userErrorsOf(t, "ConfirmPhoneVerification", "confirmPhoneVerification", map[string]any{"code": code})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue), "a code works once")

		// Reset by phone: the verified one gets a code, the unverified
		// one the same answer and nothing.
		ue, known := s.requestReset(t, map[string]any{"phone": "+254711000111"})
		require.Empty(t, ue)
		ue, unverified := s.requestReset(t, map[string]any{"phone": "+254722000222"})
		require.Empty(t, ue)
		require.JSONEq(t, string(known), string(unverified))
		code = smsCode(t, s.gw.WaitMessages(t, 2, 20*time.Second)[1], "+254711000111")

		ue = s.reset(t, map[string]any{"phone": "+254711000111", "code": otherCode(code), "newPassword": resetPassword})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		ue = s.reset(t, map[string]any{"phone": "+254722000222", "code": code, "newPassword": resetPassword})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue), "the code is for its own phone")
		ue = s.reset(t, map[string]any{"phone": "+254711000111", "code": code, "newPassword": resetPassword})
		require.Empty(t, ue)
		require.Empty(t, s.login(t, "amina@example.com", resetPassword))
		require.Empty(t, s.login(t, "baraka@example.com", firstPassword), "the other account is untouched")

		resp := signedIn.post(s.ops["AccountVerification"], "AccountVerification", nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes(), "the reset signed the old session out")
		n, err := s.client.Notification.Query().Count(viewer.System(context.Background(), "test: read the outbox"))
		require.NoError(t, err)
		require.Equal(t, 2, n, "no SMS for the unverified phone")
	})
}

// TestRecoveryThrottledAlike: after MaxRequests requests for one email,
// the next is refused alike whether or not the account exists; another
// email still works. Wrong codes are budgeted too: with the budget spent,
// even the right code waits.
func TestRecoveryThrottledAlike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newRecoveryStore(t, db)
		s.register(t, "amina@example.com", nil)
		answers := map[string]json.RawMessage{}
		for _, email := range []string{"amina@example.com", "nobody@example.com"} {
			for i := 0; i < auth.MaxRequests; i++ {
				ue, _ := s.requestReset(t, map[string]any{"email": email})
				require.Empty(t, ue)
			}
			ue, raw := s.requestReset(t, map[string]any{"email": email})
			require.Equal(t, []string{"TOO_MANY_ATTEMPTS"}, codesOf(ue))
			answers[email] = raw
		}
		// The messages differ only by the retry time they name.
		strip := regexp.MustCompile(`after [0-9TZ:+-]+`)
		require.Equal(t, strip.ReplaceAllString(string(answers["amina@example.com"]), ""), strip.ReplaceAllString(string(answers["nobody@example.com"]), ""))
		ue, _ := s.requestReset(t, map[string]any{"email": "someone-else@example.com"})
		require.Empty(t, ue, "another target has its own budget")

		msgs := s.mail.wait(t, auth.MaxRequests)
		token, err := url.Parse(linkRE.FindString(msgs[len(msgs)-1].Text))
		require.NoError(t, err)
		for i := 0; i < auth.MaxWrongSecrets; i++ {
			ue = s.reset(t, map[string]any{"email": "amina@example.com", "token": "wrong", "newPassword": resetPassword})
			require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		}
		ue = s.reset(t, map[string]any{"email": "amina@example.com", "token": token.Query().Get("token"), "newPassword": resetPassword})
		require.Equal(t, []string{"TOO_MANY_ATTEMPTS"}, codesOf(ue))
		require.Empty(t, s.login(t, "amina@example.com", firstPassword), "the throttled reset changed nothing")
	})
}

// TestEmailVerification: the signed-in customer verifies the email with
// an emailed code; anonymous requests are refused.
func TestEmailVerification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newRecoveryStore(t, db)
		resp := s.post(s.ops["RequestEmailVerification"], "RequestEmailVerification", nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())

		signedIn := s.as(s.register(t, "amina@example.com", nil).access)
		ue, _ := signedIn.userErrorsOf(t, "RequestPhoneVerification", "requestPhoneVerification", nil)
		require.Equal(t, []string{"REQUIRED"}, codesOf(ue), "no phone to verify")
		ue, _ = signedIn.userErrorsOf(t, "RequestEmailVerification", "requestEmailVerification", nil)
		require.Empty(t, ue)
		msg := s.mail.wait(t, 1)[0]
		require.Equal(t, []string{"amina@example.com"}, msg.To)
		code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(msg.Text)
		require.NotEmpty(t, code)

		ue, _ = signedIn.userErrorsOf(t, "ConfirmEmailVerification", "confirmEmailVerification", map[string]any{"code": otherCode(code)})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		var d struct {
			ConfirmEmailVerification struct {
				Customer struct {
					EmailVerifiedAt *time.Time `json:"emailVerifiedAt"`
				} `json:"customer"`
			} `json:"confirmEmailVerification"`
		}
		signedIn.op("ConfirmEmailVerification", map[string]any{"code": code}, &d)
		require.NotNil(t, d.ConfirmEmailVerification.Customer.EmailVerifiedAt)
	})
}

// smsCode is the 6-digit code of an SMS to to.
func smsCode(t *testing.T, m smstest.Message, to string) string {
	t.Helper()
	require.Equal(t, to, m.To)
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Body)
	require.NotEmpty(t, code, m.Body)
	return code
}

// otherCode is a 6-digit code other than code.
func otherCode(code string) string {
	if code[0] == '0' {
		return "1" + code[1:]
	}
	return "0" + code[1:]
}

// TestPasswordResetRace: the same link sent by many clients at once
// resets the password exactly once.
func TestPasswordResetRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newRecoveryStore(t, db)
		s.register(t, "amina@example.com", nil)
		ue, _ := s.requestReset(t, map[string]any{"email": "amina@example.com"})
		require.Empty(t, ue)
		link, err := url.Parse(linkRE.FindString(s.mail.wait(t, 1)[0].Text))
		require.NoError(t, err)
		const n = 8
		answers := make([]gqlResponse, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = s.postAsync(s.ops["ResetPassword"], "ResetPassword", map[string]any{"input": map[string]any{
					"email": "amina@example.com", "token": link.Query().Get("token"), "newPassword": resetPassword,
				}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, a := range answers {
			require.Empty(t, a.Errors)
			var d struct {
				ResetPassword struct {
					UserErrors []userError `json:"userErrors"`
				} `json:"resetPassword"`
			}
			require.NoError(t, json.Unmarshal(a.Data, &d))
			if len(d.ResetPassword.UserErrors) == 0 {
				ok++
			} else {
				// Spent, or (after five losers counted) throttled.
				require.Subset(t, []string{"INVALID_TOKEN", "TOO_MANY_ATTEMPTS"}, codesOf(d.ResetPassword.UserErrors))
			}
		}
		require.Equal(t, 1, ok, "one reset per link")
		require.Empty(t, s.login(t, "amina@example.com", resetPassword))
	})
}

// TestPasswordResetThroughMailpit: the reset email travels over SMTP to
// Mailpit (TEST_SMTP_URL, TEST_MAILPIT_API; skipped without them), and
// its link resets the password.
func TestPasswordResetThroughMailpit(t *testing.T) {
	smtpURL, mpAPI := mailpit(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sender, err := email.New(email.Config{URL: smtpURL, From: "Savannah <shop@savannah.example>", Timeout: 10 * time.Second})
		require.NoError(t, err)
		s := newRecoveryStoreWith(t, db, sender)
		addr := fmt.Sprintf("amina.%d@example.com", time.Now().UnixNano())
		s.register(t, addr, nil)
		ue, _ := s.requestReset(t, map[string]any{"email": addr})
		require.Empty(t, ue)

		msg := mailpitFind(t, mpAPI, "to:"+addr)
		require.Contains(t, msg.Subject, "Reset your password")
		link, err := url.Parse(linkRE.FindString(msg.Text))
		require.NoError(t, err)
		require.Equal(t, addr, link.Query().Get("email"))

		ue = s.reset(t, map[string]any{"email": addr, "token": link.Query().Get("token"), "newPassword": resetPassword})
		require.Empty(t, ue)
		require.Empty(t, s.login(t, addr, resetPassword))
	})
}
