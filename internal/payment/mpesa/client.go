package mpesa

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/savannah-commerce/savannah/internal/money"
	"github.com/savannah-commerce/savannah/internal/payment"
)

// Daraja's limits on STK push fields.
const (
	maxAccountReference = 12
	maxTransactionDesc  = 13
)

// maxBody caps what the client reads from a Daraja answer; real answers
// are a few hundred bytes.
const maxBody = 64 << 10

// Nairobi is East Africa Time (UTC+3, no daylight saving), the zone of
// Daraja's timestamps. A fixed zone avoids depending on the host's or the
// embedded time zone database.
var Nairobi = time.FixedZone("EAT", 3*60*60)

// TimestampLayout is Daraja's YYYYMMDDHHmmss timestamp format.
const TimestampLayout = "20060102150405"

// Password is the STK password for a request sent at timestamp:
// base64(shortCode + passKey + timestamp).
func Password(shortCode, passKey, timestamp string) string {
	return base64.StdEncoding.EncodeToString([]byte(shortCode + passKey + timestamp))
}

// Client is the Daraja client and the M-Pesa payment.Provider. It is safe
// for concurrent use; build it with New.
type Client struct {
	cfg  Config
	http *http.Client
	now  func() time.Time

	// tokenSem holds the cached token: whoever sends into it may read or
	// refresh token and expiry, so at most one refresh runs at a time and
	// waiters can still give up with their context.
	tokenSem chan struct{}
	token    string
	expiry   time.Time
}

var _ payment.Provider = (*Client)(nil)

// Option adjusts a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (its Transport, proxies, TLS). The
// client's own Timeout is left as is; Config.Timeout applies per request
// regardless.
func WithHTTPClient(c *http.Client) Option { return func(cl *Client) { cl.http = c } }

// WithClock sets the clock used for timestamps and token expiry.
func WithClock(now func() time.Time) Option { return func(cl *Client) { cl.now = now } }

// New validates cfg and returns a client.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{
		cfg:      cfg,
		http:     &http.Client{},
		now:      time.Now,
		tokenSem: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Method reports payment.MethodMpesa.
func (c *Client) Method() payment.Method { return payment.MethodMpesa }

// Start sends an STK push for req and returns its CheckoutRequestID as
// Started.RequestID. Invalid amounts, phones and references are refused
// before anything is sent.
func (c *Client) Start(ctx context.Context, req payment.Request) (payment.Started, error) {
	shillings, err := c.shillings(req.Amount)
	if err != nil {
		return payment.Started{}, err
	}
	msisdn, err := MSISDN(req.Phone)
	if err != nil {
		return payment.Started{}, err
	}
	ref := strings.TrimSpace(req.Reference)
	if ref == "" || utf8.RuneCountInString(ref) > maxAccountReference {
		return payment.Started{}, fmt.Errorf("%w: %q must be 1 to %d characters", payment.ErrInvalidReference, req.Reference, maxAccountReference)
	}
	desc := strings.TrimSpace(req.Description)
	if desc == "" {
		// The order number says it all when "Order " does not fit.
		desc = "Order " + ref
		if utf8.RuneCountInString(desc) > maxTransactionDesc {
			desc = ref
		}
	}
	desc = truncate(desc, maxTransactionDesc)
	callback := req.CallbackURL
	if callback == "" {
		callback = c.cfg.CallbackEndpoint()
	}

	ts := c.now().In(Nairobi).Format(TimestampLayout)
	body := stkPushRequest{
		BusinessShortCode: c.cfg.ShortCode,
		Password:          Password(c.cfg.ShortCode, c.cfg.PassKey, ts),
		Timestamp:         ts,
		TransactionType:   string(c.cfg.transactionType()),
		Amount:            shillings,
		PartyA:            msisdn,
		PartyB:            c.cfg.partyB(),
		PhoneNumber:       msisdn,
		CallBackURL:       callback,
		AccountReference:  ref,
		TransactionDesc:   desc,
	}
	var res stkPushResponse
	if err := c.call(ctx, "mpesa stk push", "/mpesa/stkpush/v1/processrequest", body, &res); err != nil {
		return payment.Started{}, err
	}
	if res.ResponseCode != "0" {
		return payment.Started{}, &payment.ProviderError{Op: "mpesa stk push", HTTPStatus: http.StatusOK, Code: res.ResponseCode, Message: res.ResponseDescription}
	}
	if res.CheckoutRequestID == "" {
		// Accepted but unidentifiable: the push may be on its way, and
		// nothing can track it. Say so as a transient failure.
		return payment.Started{}, &payment.ProviderError{Transient: true, Op: "mpesa stk push", HTTPStatus: http.StatusOK, Message: "answer without CheckoutRequestID"}
	}
	return payment.Started{
		RequestID:       res.CheckoutRequestID,
		State:           payment.StatePending,
		CustomerMessage: res.CustomerMessage,
	}, nil
}

// Status queries the STK push known as checkoutRequestID. Daraja answers
// "still processing" with an error; that is reported as pending.
func (c *Client) Status(ctx context.Context, checkoutRequestID string) (payment.Result, error) {
	if checkoutRequestID == "" {
		return payment.Result{}, &payment.ProviderError{Op: "mpesa stk query", Message: "empty CheckoutRequestID"}
	}
	ts := c.now().In(Nairobi).Format(TimestampLayout)
	body := stkQueryRequest{
		BusinessShortCode: c.cfg.ShortCode,
		Password:          Password(c.cfg.ShortCode, c.cfg.PassKey, ts),
		Timestamp:         ts,
		CheckoutRequestID: checkoutRequestID,
	}
	var res stkQueryResponse
	err := c.call(ctx, "mpesa stk query", "/mpesa/stkpushquery/v1/query", body, &res)
	var pe *payment.ProviderError
	if errors.As(err, &pe) && pe.Code == CodeProcessing {
		return payment.Result{RequestID: checkoutRequestID, State: payment.StatePending, Message: pe.Message}, nil
	}
	if err != nil {
		return payment.Result{}, err
	}
	if res.ResponseCode != "" && res.ResponseCode != "0" {
		return payment.Result{}, &payment.ProviderError{Op: "mpesa stk query", HTTPStatus: http.StatusOK, Code: res.ResponseCode, Message: res.ResponseDescription}
	}
	code, ok := res.ResultCode.int()
	if !ok {
		return payment.Result{}, &payment.ProviderError{Transient: true, Op: "mpesa stk query", HTTPStatus: http.StatusOK, Message: "answer without a numeric ResultCode"}
	}
	r := resultFor(code, res.ResultDesc)
	r.RequestID = checkoutRequestID
	return r, nil
}

// CodeProcessing is Daraja's error code for an STK push that has no
// result yet ("The transaction is being processed").
const CodeProcessing = "500.001.1001"

// codeInvalidToken is what Daraja sometimes answers, with HTTP 404, for an
// expired or unknown access token.
const codeInvalidToken = "404.001.03"

// Daraja's STK result codes that have a specific meaning.
const (
	ResultSuccess           = 0
	ResultInsufficientFunds = 1
	ResultInvalidPIN        = 2001
	ResultCancelled         = 1032
	ResultTimeout           = 1037
	// resultStillProcessing is answered by the query for some pushes
	// still in flight.
	resultStillProcessing = 4999
)

// resultFor maps a Daraja ResultCode to a payment result.
func resultFor(code int, desc string) payment.Result {
	r := payment.Result{Message: desc}
	switch code {
	case ResultSuccess:
		r.State = payment.StateSucceeded
		return r
	case resultStillProcessing:
		r.State = payment.StatePending
		return r
	case ResultCancelled:
		r.Reason = payment.ReasonCancelled
	case ResultTimeout:
		r.Reason = payment.ReasonTimeout
	case ResultInsufficientFunds:
		r.Reason = payment.ReasonInsufficientFunds
	case ResultInvalidPIN:
		r.Reason = payment.ReasonInvalidPIN
	default:
		r.Reason = payment.ReasonDeclined
	}
	r.State = payment.StateFailed
	return r
}

// kes is the currency M-Pesa charges: Daraja takes whole shillings, the
// store keeps KES in minor units of the currency's exponent (cents).
func kes() money.Currency {
	c, err := money.ParseCurrency("KES")
	if err != nil {
		panic(err) // the currency library always knows KES
	}
	return c
}

// shillings converts amount to the whole shillings Daraja takes, refusing
// what cannot be charged exactly.
func (c *Client) shillings(amount payment.Money) (int64, error) {
	if amount.Currency != "KES" {
		return 0, fmt.Errorf("%w: m-pesa charges KES, not %q", payment.ErrUnsupportedCurrency, amount.Currency)
	}
	if amount.Minor <= 0 {
		return 0, fmt.Errorf("%w: %s is not positive", payment.ErrInvalidAmount, amount)
	}
	scale := kes().Scale()
	if amount.Minor%scale != 0 {
		return 0, fmt.Errorf("%w: %s has cents; m-pesa takes whole shillings", payment.ErrInvalidAmount, amount)
	}
	if s := amount.Minor / scale; s <= c.cfg.maxAmount() {
		return s, nil
	}
	return 0, fmt.Errorf("%w: %s is above the m-pesa limit of KES %d", payment.ErrInvalidAmount, amount, c.cfg.maxAmount())
}

// MSISDN converts a Safaricom mobile number to Daraja's 2547XXXXXXXX form.
// It accepts E.164 (+254712345678, +254112345678), the same without "+",
// and the local forms 0712345678 and 0112345678; spaces and dashes are
// ignored.
func MSISDN(phone string) (string, error) {
	p := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(phone))
	switch {
	case strings.HasPrefix(p, "+254"):
		p = p[1:]
	case strings.HasPrefix(p, "254"):
	case strings.HasPrefix(p, "0"):
		p = "254" + p[1:]
	default:
		return "", fmt.Errorf("%w: %q is not a Kenyan mobile number", payment.ErrInvalidPhone, phone)
	}
	if len(p) != 12 || (p[3] != '7' && p[3] != '1') {
		return "", fmt.Errorf("%w: %q is not a Kenyan mobile number", payment.ErrInvalidPhone, phone)
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("%w: %q is not a Kenyan mobile number", payment.ErrInvalidPhone, phone)
		}
	}
	return p, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// call POSTs body as JSON to path with a bearer token and decodes a 200
// answer into out. An unauthorised answer costs one token refresh and one
// retry.
func (c *Client) call(ctx context.Context, op, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", op, err)
	}
	token, err := c.accessToken(ctx, "")
	if err != nil {
		return err
	}
	err = c.post(ctx, op, path, token, payload, out)
	var pe *payment.ProviderError
	if !errors.As(err, &pe) || !(pe.HTTPStatus == http.StatusUnauthorized || pe.Code == codeInvalidToken) {
		return err
	}
	if token, err = c.accessToken(ctx, token); err != nil {
		return err
	}
	// A fresh token refused again means wrong credentials or app
	// permissions: the second answer stands, as a permanent error.
	return c.post(ctx, op, path, token, payload, out)
}

func (c *Client) post(ctx context.Context, op, path, token string, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.do(req, op, out)
}

// do sends req and decodes a 200 answer into out; anything else becomes a
// *payment.ProviderError of the right class.
func (c *Client) do(req *http.Request, op string, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		// Network failure, refused connection, or a timeout (ours or the
		// caller's): all worth retrying later.
		return &payment.ProviderError{Transient: true, Op: op, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &payment.ProviderError{Transient: true, Op: op, HTTPStatus: resp.StatusCode, Err: unwrapURLError(err)}
	}
	if resp.StatusCode != http.StatusOK {
		var e errorResponse
		_ = json.Unmarshal(raw, &e) // a non-JSON error page keeps the status only
		return &payment.ProviderError{
			Transient:  resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			Op:         op,
			HTTPStatus: resp.StatusCode,
			Code:       e.ErrorCode,
			Message:    e.ErrorMessage,
		}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &payment.ProviderError{Transient: true, Op: op, HTTPStatus: resp.StatusCode, Message: "undecodable answer", Err: err}
	}
	return nil
}

// unwrapURLError drops net/http's *url.Error wrapper, whose text repeats
// the request URL, and keeps the cause (context.DeadlineExceeded, a dial
// error...), which errors.Is can still see.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// accessToken returns a valid token, fetching one when none is cached, the
// cached one is about to expire, or the cached one is rejected (it equals
// stale). Concurrent callers share one fetch.
func (c *Client) accessToken(ctx context.Context, stale string) (string, error) {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return "", &payment.ProviderError{Transient: true, Op: "mpesa oauth", Err: ctx.Err()}
	}
	defer func() { <-c.tokenSem }()
	if c.token != "" && c.token != stale && c.now().Before(c.expiry) {
		return c.token, nil
	}
	c.token = ""
	token, ttl, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.token, c.expiry = token, c.now().Add(ttl-refreshMargin(ttl))
	return token, nil
}

// refreshMargin is how long before its expiry a token is replaced, so a
// request never carries a token that expires in flight.
func refreshMargin(ttl time.Duration) time.Duration {
	if m := ttl / 10; m < time.Minute {
		return m
	}
	return time.Minute
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	const op = "mpesa oauth"
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/oauth/v1/generate?grant_type=client_credentials", nil)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", op, err)
	}
	req.SetBasicAuth(c.cfg.ConsumerKey, c.cfg.ConsumerSecret)
	req.Header.Set("Accept", "application/json")
	var res tokenResponse
	if err := c.do(req, op, &res); err != nil {
		return "", 0, err
	}
	secs, ok := res.ExpiresIn.int()
	if res.AccessToken == "" || !ok || secs <= 0 {
		return "", 0, &payment.ProviderError{Transient: true, Op: op, HTTPStatus: http.StatusOK, Message: "answer without access_token or expires_in"}
	}
	return res.AccessToken, time.Duration(secs) * time.Second, nil
}

// flexInt decodes a JSON number or a string holding one: Daraja sends
// expires_in and ResultCode as strings on some endpoints and numbers on
// others.
type flexInt struct {
	raw string
	set bool
}

// UnmarshalJSON keeps the number's text.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	f.raw, f.set = strings.TrimSpace(s), true
	return nil
}

func (f flexInt) int() (int, bool) {
	if !f.set {
		return 0, false
	}
	n, err := strconv.Atoi(f.raw)
	return n, err == nil
}

type tokenResponse struct {
	AccessToken string  `json:"access_token"`
	ExpiresIn   flexInt `json:"expires_in"`
}

type errorResponse struct {
	RequestID    string `json:"requestId"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

type stkPushRequest struct {
	BusinessShortCode string `json:"BusinessShortCode"`
	Password          string `json:"Password"`
	Timestamp         string `json:"Timestamp"`
	TransactionType   string `json:"TransactionType"`
	Amount            int64  `json:"Amount"`
	PartyA            string `json:"PartyA"`
	PartyB            string `json:"PartyB"`
	PhoneNumber       string `json:"PhoneNumber"`
	CallBackURL       string `json:"CallBackURL"`
	AccountReference  string `json:"AccountReference"`
	TransactionDesc   string `json:"TransactionDesc"`
}

type stkPushResponse struct {
	MerchantRequestID   string `json:"MerchantRequestID"`
	CheckoutRequestID   string `json:"CheckoutRequestID"`
	ResponseCode        string `json:"ResponseCode"`
	ResponseDescription string `json:"ResponseDescription"`
	CustomerMessage     string `json:"CustomerMessage"`
}

type stkQueryRequest struct {
	BusinessShortCode string `json:"BusinessShortCode"`
	Password          string `json:"Password"`
	Timestamp         string `json:"Timestamp"`
	CheckoutRequestID string `json:"CheckoutRequestID"`
}

type stkQueryResponse struct {
	ResponseCode        string  `json:"ResponseCode"`
	ResponseDescription string  `json:"ResponseDescription"`
	MerchantRequestID   string  `json:"MerchantRequestID"`
	CheckoutRequestID   string  `json:"CheckoutRequestID"`
	ResultCode          flexInt `json:"ResultCode"`
	ResultDesc          string  `json:"ResultDesc"`
}
