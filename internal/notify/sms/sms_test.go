package sms_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
)

const customer = "+254711000001"

func newClient(t *testing.T, srv *smstest.Server, mod func(*sms.Config)) *sms.Client {
	t.Helper()
	cfg := sms.Config{BaseURL: srv.URL(), Username: smstest.Username, APIKey: smstest.APIKey, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := sms.New(cfg)
	require.NoError(t, err)
	return c
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	c := newClient(t, srv, func(c *sms.Config) { c.SenderID = "SAVANNAH" })
	body := "Savannah: order #1001 placed, total KES 1,299.00. Thank you, Wanjiru!"

	res, err := c.SendSMS(context.Background(), customer, body)
	require.NoError(t, err)
	require.Regexp(t, `^ATXid_\d+$`, res.ProviderID)
	require.Equal(t, "KES 0.8000", res.Cost)
	require.Equal(t, []smstest.Message{{To: customer, Body: body, From: "SAVANNAH", MessageID: res.ProviderID}}, srv.Messages())
}

func TestSendWithoutSenderIDOmitsFrom(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	_, err := newClient(t, srv, nil).SendSMS(context.Background(), customer, "hello")
	require.NoError(t, err)
	require.Empty(t, srv.Messages()[0].From)
}

func TestRecipientStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      int
		ok        bool
		permanent bool
	}{
		{sms.StatusProcessed, true, false},
		{sms.StatusSent, true, false},
		{sms.StatusQueued, true, false},
		{sms.StatusRiskHold, false, false},
		{sms.StatusInvalidSenderID, false, true},
		{sms.StatusInvalidPhoneNumber, false, true},
		{sms.StatusUnsupportedNumberType, false, true},
		{sms.StatusInsufficientBalance, false, false},
		{sms.StatusUserInBlacklist, false, true},
		{sms.StatusCouldNotRoute, false, true},
		{sms.StatusDoNotDisturbRejection, false, true},
		{sms.StatusInternalServerError, false, false},
		{sms.StatusGatewayError, false, false},
		{sms.StatusRejectedByGateway, false, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			srv := smstest.New(t)
			srv.RespondNext(1, tt.code)
			res, err := newClient(t, srv, nil).SendSMS(context.Background(), customer, "hello")
			if tt.ok {
				require.NoError(t, err)
				require.NotEmpty(t, res.ProviderID)
				require.Len(t, srv.Messages(), 1)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.permanent, notify.IsPermanent(err))
			require.Equal(t, !tt.permanent, errors.Is(err, notify.ErrTransient))
			var se *sms.StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.code, se.StatusCode)
			require.Equal(t, http.StatusCreated, se.HTTPStatus)
			require.Contains(t, err.Error(), strconv.Itoa(tt.code))
			require.Empty(t, res.ProviderID)
			require.Empty(t, srv.Messages())
		})
	}
}

func TestHTTPFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
		{http.StatusGatewayTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusForbidden, true},
		{http.StatusNotFound, true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			srv := smstest.New(t)
			srv.FailNext(1, tt.status)
			c := newClient(t, srv, nil)
			_, err := c.SendSMS(context.Background(), customer, "hello")
			require.Error(t, err)
			require.Equal(t, tt.permanent, notify.IsPermanent(err), err.Error())
			var se *sms.StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.status, se.HTTPStatus)
			require.Empty(t, srv.Messages())

			// The fault was for one request only: the next one goes out.
			res, err := c.SendSMS(context.Background(), customer, "hello")
			require.NoError(t, err)
			require.NotEmpty(t, res.ProviderID)
			require.Equal(t, 2, srv.Requests())
		})
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	tests := map[string]func(*sms.Config){
		"api key":  func(c *sms.Config) { c.APIKey = "wrong-key" },
		"username": func(c *sms.Config) { c.Username = "someone-else" },
	}
	for name, mod := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(t, srv, mod).SendSMS(context.Background(), customer, "hello")
			require.Error(t, err)
			require.True(t, notify.IsPermanent(err))
			require.NotContains(t, err.Error(), "wrong-key", "the key never appears in errors")
			var se *sms.StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, http.StatusUnauthorized, se.HTTPStatus)
		})
	}
	require.Empty(t, srv.Messages())
}

func TestTimeoutIsTransient(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	srv.HangNext(1)
	c := newClient(t, srv, func(c *sms.Config) { c.Timeout = 100 * time.Millisecond })

	start := time.Now()
	_, err := c.SendSMS(context.Background(), customer, "hello")
	require.Error(t, err)
	require.Less(t, time.Since(start), 2*time.Second, "the client gives up at its timeout")
	require.False(t, notify.IsPermanent(err))
	require.ErrorIs(t, err, notify.ErrTransient)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotContains(t, err.Error(), srv.URL())

	_, err = c.SendSMS(context.Background(), customer, "hello")
	require.NoError(t, err, "the provider recovered")
	require.Len(t, srv.WaitMessages(t, 1, time.Second), 1)
}

func TestCallerDeadline(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	srv.HangNext(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(t, srv, nil).SendSMS(ctx, customer, "hello")
	require.ErrorIs(t, err, notify.ErrTransient)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestNetworkErrorIsTransient(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	c := newClient(t, srv, nil)
	srv.Close()
	_, err := c.SendSMS(context.Background(), customer, "hello")
	require.Error(t, err)
	require.ErrorIs(t, err, notify.ErrTransient)
}

func TestRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	srv := smstest.New(t)
	c := newClient(t, srv, nil)
	for _, to := range []string{"0711000001", "254711000001", "+0711000001", "+2547110000011234", "+25471100000a", ""} {
		_, err := c.SendSMS(context.Background(), to, "hello")
		require.True(t, notify.IsPermanent(err), to)
	}
	_, err := c.SendSMS(context.Background(), customer, "  ")
	require.True(t, notify.IsPermanent(err))
	require.Zero(t, srv.Requests())
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := sms.Config{BaseURL: sms.SandboxBaseURL, Username: "sandbox", APIKey: "k"}
	_, err := sms.New(ok)
	require.NoError(t, err)
	for name, mod := range map[string]func(*sms.Config){
		"no base":     func(c *sms.Config) { c.BaseURL = "" },
		"bad scheme":  func(c *sms.Config) { c.BaseURL = "ftp://example.com" },
		"no username": func(c *sms.Config) { c.Username = "" },
		"no key":      func(c *sms.Config) { c.APIKey = "" },
	} {
		cfg := ok
		mod(&cfg)
		_, err := sms.New(cfg)
		require.Error(t, err, name)
	}
}
