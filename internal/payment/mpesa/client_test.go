package mpesa_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/payment"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa/mpesatest"
)

const storeCallback = "https://shop.example/webhooks/mpesa"

// clock is a settable clock shared by a client and the local Daraja.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClient(t *testing.T, d *mpesatest.Server, adjust func(*mpesa.Config), opts ...mpesa.Option) *mpesa.Client {
	t.Helper()
	cfg := d.Config(storeCallback)
	cfg.Timeout = 2 * time.Second
	if adjust != nil {
		adjust(&cfg)
	}
	c, err := mpesa.New(cfg, opts...)
	require.NoError(t, err)
	return c
}

func order() payment.Request {
	return payment.Request{
		Amount:    payment.Money{Minor: 129900, Currency: "KES"},
		Phone:     "+254712345678",
		Reference: "SV-000123",
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := func() mpesa.Config {
		return mpesa.Config{
			BaseURL:        mpesa.SandboxBaseURL,
			ConsumerKey:    "key",
			ConsumerSecret: "secret",
			ShortCode:      "174379",
			PassKey:        "passkey",
			CallbackURL:    storeCallback,
			CallbackSecret: mpesatest.CallbackSecret,
		}
	}
	tests := []struct {
		name   string
		change func(*mpesa.Config)
		want   []string // variables named in the error; none means valid
	}{
		{"valid pay bill", func(*mpesa.Config) {}, nil},
		{"valid buy goods", func(c *mpesa.Config) { c.TransactionType, c.TillNumber = mpesa.BuyGoods, "5123456" }, nil},
		{"loopback http", func(c *mpesa.Config) {
			c.BaseURL, c.CallbackURL = "http://127.0.0.1:9999", "http://localhost:8080/webhooks/mpesa"
		}, nil},
		{"everything missing", func(c *mpesa.Config) { *c = mpesa.Config{} }, []string{
			"MPESA_BASE_URL", "MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE",
			"MPESA_PASSKEY", "MPESA_CALLBACK_URL", "MPESA_CALLBACK_SECRET",
		}},
		{"http to a remote host", func(c *mpesa.Config) { c.BaseURL = "http://sandbox.safaricom.co.ke" }, []string{"MPESA_BASE_URL"}},
		{"relative callback", func(c *mpesa.Config) { c.CallbackURL = "/webhooks/mpesa" }, []string{"MPESA_CALLBACK_URL"}},
		{"callback with query", func(c *mpesa.Config) { c.CallbackURL = storeCallback + "?x=1" }, []string{"MPESA_CALLBACK_URL"}},
		{"short code not digits", func(c *mpesa.Config) { c.ShortCode = "17A379" }, []string{"MPESA_SHORTCODE"}},
		{"guessable secret", func(c *mpesa.Config) { c.CallbackSecret = "secret" }, []string{"MPESA_CALLBACK_SECRET"}},
		{"secret with a slash", func(c *mpesa.Config) { c.CallbackSecret = strings.Repeat("a", 30) + "/b" }, []string{"MPESA_CALLBACK_SECRET"}},
		{"buy goods without till", func(c *mpesa.Config) { c.TransactionType = mpesa.BuyGoods }, []string{"MPESA_TILL_NUMBER"}},
		{"unknown transaction type", func(c *mpesa.Config) { c.TransactionType = "CustomerPayBill" }, []string{"MPESA_TRANSACTION_TYPE"}},
		{"negative timeout", func(c *mpesa.Config) { c.Timeout = -time.Second }, []string{"MPESA_TIMEOUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid()
			tt.change(&cfg)
			err := cfg.Validate()
			_, newErr := mpesa.New(cfg)
			if tt.want == nil {
				require.NoError(t, err)
				require.NoError(t, newErr)
				return
			}
			require.ErrorIs(t, err, mpesa.ErrInvalidConfig)
			require.ErrorIs(t, newErr, mpesa.ErrInvalidConfig)
			for _, v := range tt.want {
				require.Contains(t, err.Error(), v+":")
			}
			require.Len(t, strings.Split(err.Error(), "\n"), len(tt.want), "one line per problem: %v", err)
		})
	}
}

func TestCallbackEndpointAndSecret(t *testing.T) {
	t.Parallel()
	cfg := mpesa.Config{CallbackURL: storeCallback + "/", CallbackSecret: mpesatest.CallbackSecret}
	require.Equal(t, storeCallback+"/"+mpesatest.CallbackSecret, cfg.CallbackEndpoint())
	require.True(t, cfg.CallbackSecretMatches(mpesatest.CallbackSecret))
	require.False(t, cfg.CallbackSecretMatches(mpesatest.CallbackSecret[:10]))
	require.False(t, cfg.CallbackSecretMatches(""))
	require.False(t, mpesa.Config{}.CallbackSecretMatches(""), "no secret configured matches nothing")
}

func TestStartRefusesWhatCannotBeCharged(t *testing.T) {
	t.Parallel()
	d := mpesatest.New(t)
	c := newClient(t, d, nil)
	tests := []struct {
		name   string
		change func(*payment.Request)
		want   error
	}{
		{"cents", func(r *payment.Request) { r.Amount.Minor = 129950 }, payment.ErrInvalidAmount},
		{"one cent", func(r *payment.Request) { r.Amount.Minor = 1 }, payment.ErrInvalidAmount},
		{"zero", func(r *payment.Request) { r.Amount.Minor = 0 }, payment.ErrInvalidAmount},
		{"negative", func(r *payment.Request) { r.Amount.Minor = -100 }, payment.ErrInvalidAmount},
		{"above the limit", func(r *payment.Request) { r.Amount.Minor = (mpesa.DefaultMaxAmount + 1) * 100 }, payment.ErrInvalidAmount},
		{"dollars", func(r *payment.Request) { r.Amount.Currency = "USD" }, payment.ErrUnsupportedCurrency},
		{"no currency", func(r *payment.Request) { r.Amount.Currency = "" }, payment.ErrUnsupportedCurrency},
		{"no phone", func(r *payment.Request) { r.Phone = "" }, payment.ErrInvalidPhone},
		{"foreign phone", func(r *payment.Request) { r.Phone = "+255712345678" }, payment.ErrInvalidPhone},
		{"landline", func(r *payment.Request) { r.Phone = "+254202345678" }, payment.ErrInvalidPhone},
		{"too short", func(r *payment.Request) { r.Phone = "+25471234567" }, payment.ErrInvalidPhone},
		{"too long", func(r *payment.Request) { r.Phone = "+2547123456789" }, payment.ErrInvalidPhone},
		{"letters", func(r *payment.Request) { r.Phone = "+25471234567a" }, payment.ErrInvalidPhone},
		{"no reference", func(r *payment.Request) { r.Reference = " " }, payment.ErrInvalidReference},
		{"reference over 12", func(r *payment.Request) { r.Reference = "SV-0000000001" }, payment.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := order()
			tt.change(&req)
			_, err := c.Start(context.Background(), req)
			require.ErrorIs(t, err, tt.want)
			require.NotErrorIs(t, err, payment.ErrTransient)
		})
	}
	require.Zero(t, d.Requests(mpesatest.EndpointToken), "nothing was sent for refused requests")
	require.Zero(t, d.Requests(mpesatest.EndpointPush))
}

func TestMSISDN(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+254712345678", "254712345678"},
		{"254712345678", "254712345678"},
		{"0712345678", "254712345678"},
		{"+254 712 345 678", "254712345678"},
		{"0712-345-678", "254712345678"},
		{"+254112345678", "254112345678"},
		{"0112345678", "254112345678"},
		{"+254812345678", ""},
		{"712345678", ""},
		{"+1 415 555 0100", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := mpesa.MSISDN(tt.in)
		if tt.want == "" {
			require.ErrorIs(t, err, payment.ErrInvalidPhone, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestStartSendsAnSTKPush(t *testing.T) {
	t.Parallel()
	d := mpesatest.New(t)
	c := newClient(t, d, nil)
	require.Equal(t, payment.MethodMpesa, c.Method())

	req := order()
	req.Phone = "0712 345 678"
	before := time.Now()
	started, err := c.Start(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, payment.StatePending, started.State)
	require.NotEmpty(t, started.RequestID)
	require.NotEmpty(t, started.CustomerMessage)

	p, ok := d.Push(started.RequestID)
	require.True(t, ok)
	require.Equal(t, int64(1299), p.Amount, "whole shillings")
	require.Equal(t, "254712345678", p.PartyA)
	require.Equal(t, "254712345678", p.PhoneNumber)
	require.Equal(t, mpesatest.ShortCode, p.PartyB, "a pay bill receives the money itself")
	require.Equal(t, mpesatest.ShortCode, p.BusinessShortCode)
	require.Equal(t, string(mpesa.PayBill), p.TransactionType)
	require.Equal(t, "SV-000123", p.AccountReference)
	require.Equal(t, "SV-000123", p.TransactionDesc, "\"Order SV-000123\" is over Daraja's 13 characters")
	require.Equal(t, storeCallback+"/"+mpesatest.CallbackSecret, p.CallBackURL)

	// The timestamp is Nairobi wall time, and the password binds it.
	require.Regexp(t, regexp.MustCompile(`^\d{14}$`), p.Timestamp)
	ts, err := time.ParseInLocation(mpesa.TimestampLayout, p.Timestamp, mpesa.Nairobi)
	require.NoError(t, err)
	require.WithinRange(t, ts, before.Truncate(time.Second), time.Now())
	raw, err := base64.StdEncoding.DecodeString(p.Password)
	require.NoError(t, err)
	require.Equal(t, mpesatest.ShortCode+mpesatest.PassKey+p.Timestamp, string(raw))
	require.Equal(t, p.Password, mpesa.Password(mpesatest.ShortCode, mpesatest.PassKey, p.Timestamp))
}

func TestPasswordFormat(t *testing.T) {
	t.Parallel()
	// The sandbox's published pair of short code and pass key gives this
	// well-known password for 2016-02-16 16:56:27.
	const sandboxPassKey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
	require.Equal(t,
		"MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3",
		mpesa.Password("174379", sandboxPassKey, "20160216165627"))
	at := time.Date(2026, 11, 24, 22, 30, 5, 0, time.UTC)
	require.Equal(t, "20261125013005", at.In(mpesa.Nairobi).Format(mpesa.TimestampLayout), "past midnight in Nairobi")
}

func TestStartBuyGoodsPaysTheTill(t *testing.T) {
	t.Parallel()
	d := mpesatest.New(t)
	c := newClient(t, d, func(cfg *mpesa.Config) { cfg.TransactionType, cfg.TillNumber = mpesa.BuyGoods, "5123456" })
	req := order()
	req.Description = "Savannah Commerce order"
	req.CallbackURL = "https://other.example/hook/abc"
	started, err := c.Start(context.Background(), req)
	require.NoError(t, err)
	p, ok := d.Push(started.RequestID)
	require.True(t, ok)
	require.Equal(t, string(mpesa.BuyGoods), p.TransactionType)
	require.Equal(t, "5123456", p.PartyB)
	require.Equal(t, mpesatest.ShortCode, p.BusinessShortCode)
	require.Equal(t, "Savannah Comm", p.TransactionDesc, "cut to Daraja's 13 characters")
	require.Equal(t, "https://other.example/hook/abc", p.CallBackURL, "a per-request callback wins")
}

func TestTokenIsFetchedOnceForConcurrentPushes(t *testing.T) {
	t.Parallel()
	d := mpesatest.New(t)
	c := newClient(t, d, nil)
	const buyers = 40
	var wg sync.WaitGroup
	errs := make(chan error, buyers)
	for range buyers {
		wg.Go(func() {
			_, err := c.Start(context.Background(), order())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, d.TokenRequests())
	require.Equal(t, 1, d.Requests(mpesatest.EndpointToken))
	require.Len(t, d.Pushes(), buyers)
}

func TestTokenIsRefreshedBeforeItExpires(t *testing.T) {
	t.Parallel()
	clk := newClock()
	d := mpesatest.New(t, mpesatest.WithClock(clk.Now))
	c := newClient(t, d, nil, mpesa.WithClock(clk.Now))
	ctx := context.Background()

	_, err := c.Start(ctx, order())
	require.NoError(t, err)
	clk.Advance(55 * time.Minute)
	_, err = c.Status(ctx, d.Pushes()[0].CheckoutRequestID)
	require.NoError(t, err)
	require.Equal(t, 1, d.TokenRequests(), "55 minutes into a 3599 s token it is still used")

	clk.Advance(4*time.Minute + 30*time.Second) // 30 s before expiry
	_, err = c.Start(ctx, order())
	require.NoError(t, err)
	require.Equal(t, 2, d.TokenRequests(), "a token about to expire is replaced before use")
	require.Equal(t, 3, d.Requests(mpesatest.EndpointPush)+d.Requests(mpesatest.EndpointQuery), "no request was refused and retried")
}

func TestUnauthorizedRefreshesTheTokenAndRetriesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, nil)
		_, err := c.Start(ctx, order())
		require.NoError(t, err)
		d.ExpireTokens()
		_, err = c.Start(ctx, order())
		require.NoError(t, err)
		require.Equal(t, 2, d.TokenRequests())
		require.Equal(t, 3, d.Requests(mpesatest.EndpointPush), "one refused, one retried")
		require.Len(t, d.Pushes(), 2)
	})
	t.Run("refused twice", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, nil)
		d.FailNext(mpesatest.EndpointPush, mpesatest.ExpiredToken(), mpesatest.ExpiredToken(), mpesatest.ExpiredToken())
		_, err := c.Start(ctx, order())
		require.ErrorIs(t, err, payment.ErrRejected)
		var pe *payment.ProviderError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, http.StatusUnauthorized, pe.HTTPStatus)
		require.Equal(t, 2, d.Requests(mpesatest.EndpointPush), "exactly one retry")
		require.Equal(t, 2, d.TokenRequests())
		require.Empty(t, d.Pushes())
	})
	t.Run("query", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, nil)
		started, err := c.Start(ctx, order())
		require.NoError(t, err)
		require.NoError(t, d.Decide(started.RequestID, mpesatest.Success("NLJ7RT61SV")))
		d.ExpireTokens()
		res, err := c.Status(ctx, started.RequestID)
		require.NoError(t, err)
		require.Equal(t, payment.StateSucceeded, res.State)
		require.Equal(t, 2, d.TokenRequests())
	})
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		endpoint  mpesatest.Endpoint
		fault     mpesatest.Fault
		transient bool
		code      string
	}{
		{"push 500", mpesatest.EndpointPush, mpesatest.ServerError(), true, "500.003.02"},
		{"push 503", mpesatest.EndpointPush, mpesatest.Unavailable(), true, "503.001.01"},
		{"push 502 without an error code", mpesatest.EndpointPush, mpesatest.Fault{Status: http.StatusBadGateway}, true, ""},
		{"push 429", mpesatest.EndpointPush, mpesatest.Fault{Status: http.StatusTooManyRequests, ErrorCode: "429.001.01", ErrorMessage: "Spike arrest"}, true, "429.001.01"},
		{"push 400", mpesatest.EndpointPush, mpesatest.BadRequest("Invalid PhoneNumber"), false, "400.002.02"},
		{"push 403", mpesatest.EndpointPush, mpesatest.Fault{Status: http.StatusForbidden, ErrorCode: "403.001.01", ErrorMessage: "Forbidden"}, false, "403.001.01"},
		{"token 500", mpesatest.EndpointToken, mpesatest.ServerError(), true, "500.003.02"},
		{"token 400", mpesatest.EndpointToken, mpesatest.Fault{Status: http.StatusBadRequest, ErrorCode: "400.008.01", ErrorMessage: "Invalid Authentication passed"}, false, "400.008.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mpesatest.New(t)
			c := newClient(t, d, nil)
			d.FailNext(tt.endpoint, tt.fault)
			_, err := c.Start(context.Background(), order())
			require.Error(t, err)
			var pe *payment.ProviderError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.fault.Status, pe.HTTPStatus)
			require.Equal(t, tt.code, pe.Code)
			if tt.transient {
				require.ErrorIs(t, err, payment.ErrTransient)
				require.NotErrorIs(t, err, payment.ErrRejected)
			} else {
				require.ErrorIs(t, err, payment.ErrRejected)
				require.NotErrorIs(t, err, payment.ErrTransient)
			}
			require.Empty(t, d.Pushes())

			// The fault was one request: the next attempt goes through.
			_, err = c.Start(context.Background(), order())
			require.NoError(t, err)
		})
	}

	t.Run("wrong credentials", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, func(cfg *mpesa.Config) { cfg.ConsumerSecret = "wrong" })
		_, err := c.Start(context.Background(), order())
		require.ErrorIs(t, err, payment.ErrRejected)
		require.Empty(t, d.Pushes())
	})
	t.Run("wrong pass key", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, func(cfg *mpesa.Config) { cfg.PassKey = "wrong" })
		_, err := c.Start(context.Background(), order())
		require.ErrorIs(t, err, payment.ErrRejected)
		require.Contains(t, err.Error(), "Invalid Password")
		require.Empty(t, d.Pushes())
	})
	t.Run("clock in the wrong zone", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		// A client whose clock is three hours off sends what a client
		// formatting UTC as Nairobi time would send.
		c := newClient(t, d, nil, mpesa.WithClock(func() time.Time { return time.Now().Add(-3 * time.Hour) }))
		_, err := c.Start(context.Background(), order())
		require.ErrorIs(t, err, payment.ErrRejected)
		require.Contains(t, err.Error(), "Invalid Timestamp")
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		d := mpesatest.New(t)
		c := newClient(t, d, func(cfg *mpesa.Config) { cfg.BaseURL = "http://" + addr })
		_, err = c.Start(context.Background(), order())
		require.ErrorIs(t, err, payment.ErrTransient)
		require.NotContains(t, err.Error(), "http://", "no URL in the error")
	})
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		outcome *mpesatest.Outcome
		state   payment.State
		reason  payment.Reason
	}{
		{"undecided is pending", nil, payment.StatePending, ""},
		{"success", ptr(mpesatest.Success("NLJ7RT61SV")), payment.StateSucceeded, ""},
		{"cancelled", ptr(mpesatest.Cancelled()), payment.StateFailed, payment.ReasonCancelled},
		{"timeout", ptr(mpesatest.TimedOut()), payment.StateFailed, payment.ReasonTimeout},
		{"insufficient funds", ptr(mpesatest.InsufficientFunds()), payment.StateFailed, payment.ReasonInsufficientFunds},
		{"wrong PIN", ptr(mpesatest.WrongPIN()), payment.StateFailed, payment.ReasonInvalidPIN},
		{"other failure", &mpesatest.Outcome{ResultCode: 1025, ResultDesc: "An error occurred while sending a push request"}, payment.StateFailed, payment.ReasonDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mpesatest.New(t)
			c := newClient(t, d, nil)
			ctx := context.Background()
			started, err := c.Start(ctx, order())
			require.NoError(t, err)
			if tt.outcome != nil {
				require.NoError(t, d.Decide(started.RequestID, *tt.outcome))
			}
			res, err := c.Status(ctx, started.RequestID)
			require.NoError(t, err)
			require.Equal(t, started.RequestID, res.RequestID)
			require.Equal(t, tt.state, res.State)
			require.Equal(t, tt.reason, res.Reason)
			require.NotEmpty(t, res.Message)
			require.Empty(t, res.Reference, "a query carries no receipt")
		})
	}

	t.Run("unknown request", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, nil)
		_, err := c.Status(context.Background(), "ws_CO_unknown")
		require.ErrorIs(t, err, payment.ErrRejected)
		_, err = c.Status(context.Background(), "")
		require.ErrorIs(t, err, payment.ErrRejected)
	})
	t.Run("outage", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, nil)
		started, err := c.Start(context.Background(), order())
		require.NoError(t, err)
		d.FailNext(mpesatest.EndpointQuery, mpesatest.ServerError())
		_, err = c.Status(context.Background(), started.RequestID)
		require.ErrorIs(t, err, payment.ErrTransient, "a 500 that is not 'being processed' is an outage, not pending")
	})
}

func ptr[T any](v T) *T { return &v }

func TestClientTimeoutIsHonoured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		endpoint mpesatest.Endpoint
	}{{mpesatest.EndpointToken}, {mpesatest.EndpointPush}, {mpesatest.EndpointQuery}}
	for _, tt := range tests {
		t.Run(string(tt.endpoint), func(t *testing.T) {
			t.Parallel()
			d := mpesatest.New(t)
			c := newClient(t, d, func(cfg *mpesa.Config) { cfg.Timeout = 200 * time.Millisecond })
			ctx := context.Background()
			id := "ws_CO_none"
			if tt.endpoint == mpesatest.EndpointQuery {
				started, err := c.Start(ctx, order())
				require.NoError(t, err)
				id = started.RequestID
			}
			d.FailNext(tt.endpoint, mpesatest.Slow(time.Minute))
			begin := time.Now()
			var err error
			if tt.endpoint == mpesatest.EndpointQuery {
				_, err = c.Status(ctx, id)
			} else {
				_, err = c.Start(ctx, order())
			}
			require.Less(t, time.Since(begin), 5*time.Second, "gave up long before the server answered")
			require.ErrorIs(t, err, payment.ErrTransient)
			require.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}

	t.Run("caller's context", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, nil) // 2 s per request
		d.FailNext(mpesatest.EndpointPush, mpesatest.Slow(time.Minute))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Start(ctx, order())
		require.ErrorIs(t, err, payment.ErrTransient)
		require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled), err)
	})
	t.Run("waiting for another caller's token", func(t *testing.T) {
		t.Parallel()
		d := mpesatest.New(t)
		c := newClient(t, d, func(cfg *mpesa.Config) { cfg.Timeout = 500 * time.Millisecond })
		d.FailNext(mpesatest.EndpointToken, mpesatest.Slow(time.Minute))
		first := make(chan error, 1)
		go func() {
			_, err := c.Start(context.Background(), order())
			first <- err
		}()
		// Once the slow token request is in flight, a second caller with a
		// short deadline must not wait for it.
		require.Eventually(t, func() bool { return d.Requests(mpesatest.EndpointToken) == 1 }, 5*time.Second, time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Start(ctx, order())
		require.ErrorIs(t, err, payment.ErrTransient)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, <-first, payment.ErrTransient, "the first caller times out after its own 500 ms")
	})
}

// TestUnusualAnswers drives the client against a hand-written Daraja for
// answers the local one does not give.
func TestUnusualAnswers(t *testing.T) {
	t.Parallel()
	const token = `{"access_token":"tok","expires_in":3599}` // a number, not Daraja's usual string
	tests := []struct {
		name      string
		token     string
		push      string
		wantErr   error
		wantState payment.State
	}{
		{"numeric expires_in", token, `{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_1","ResponseCode":"0","CustomerMessage":"ok"}`, nil, payment.StatePending},
		{"token without expiry", `{"access_token":"tok"}`, ``, payment.ErrTransient, ""},
		{"token not JSON", `<html>`, ``, payment.ErrTransient, ""},
		{"push refused with 200", token, `{"ResponseCode":"1","ResponseDescription":"Rejected"}`, payment.ErrRejected, ""},
		{"push accepted without an ID", token, `{"ResponseCode":"0"}`, payment.ErrTransient, ""},
		{"push not JSON", token, `<html>`, payment.ErrTransient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /oauth/v1/generate", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tt.token)) })
			mux.HandleFunc("POST /mpesa/stkpush/v1/processrequest", func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer tok" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				_, _ = w.Write([]byte(tt.push))
			})
			base := serveLoopback(t, mux)
			d := mpesatest.New(t) // only for a valid configuration
			c := newClient(t, d, func(cfg *mpesa.Config) { cfg.BaseURL = base })
			started, err := c.Start(context.Background(), order())
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantState, started.State)
			require.Equal(t, "ws_CO_1", started.RequestID)
		})
	}
}

func TestInvalidAccessTokenAnsweredWith404IsRefreshed(t *testing.T) {
	t.Parallel()
	d := mpesatest.New(t)
	c := newClient(t, d, nil)
	d.FailNext(mpesatest.EndpointPush, mpesatest.Fault{Status: http.StatusNotFound, ErrorCode: "404.001.03", ErrorMessage: "Invalid Access Token"})
	_, err := c.Start(context.Background(), order())
	require.NoError(t, err)
	require.Equal(t, 2, d.TokenRequests())
	require.Len(t, d.Pushes(), 1)
}

func TestShortLivedTokensAreRenewedATenthBeforeExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	d := mpesatest.New(t, mpesatest.WithClock(clk.Now), mpesatest.WithTokenTTL(30*time.Second))
	c := newClient(t, d, nil, mpesa.WithClock(clk.Now))
	ctx := context.Background()
	_, err := c.Start(ctx, order())
	require.NoError(t, err)
	clk.Advance(26 * time.Second)
	_, err = c.Start(ctx, order())
	require.NoError(t, err)
	require.Equal(t, 1, d.TokenRequests())
	clk.Advance(2 * time.Second) // 28 s: inside the last 3 s
	_, err = c.Start(ctx, order())
	require.NoError(t, err)
	require.Equal(t, 2, d.TokenRequests())
	require.Equal(t, 3, d.Requests(mpesatest.EndpointPush), "never sent an expired token")
}

// countingTransport counts the requests that go through it.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestOptionsAndLimits(t *testing.T) {
	t.Parallel()
	d := mpesatest.New(t)
	tr := &countingTransport{}
	c := newClient(t, d, func(cfg *mpesa.Config) { cfg.MaxAmount = 1000 }, mpesa.WithHTTPClient(&http.Client{Transport: tr}))
	req := order()
	req.Amount.Minor = 100_000
	_, err := c.Start(context.Background(), req)
	require.NoError(t, err, "KES 1000 is the configured limit")
	req.Amount.Minor = 100_100
	_, err = c.Start(context.Background(), req)
	require.ErrorIs(t, err, payment.ErrInvalidAmount)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	require.Equal(t, 2, tr.n, "one token and one push went through the given client")
}
