// Package mpesatest runs a local Daraja for tests: an HTTP server on
// 127.0.0.1 that speaks the JSON of Daraja's OAuth, STK push and STK query
// endpoints, checks credentials, tokens and STK passwords the way Daraja
// does, records every push, and lets the test decide each push's outcome
// and deliver (or lose, or repeat) its result callback.
//
// A typical end-to-end test:
//
//	d := mpesatest.New(t)
//	client, _ := mpesa.New(d.Config("http://127.0.0.1:PORT/webhooks/mpesa"))
//	started, _ := client.Start(ctx, req)             // recorded as d.Push(started.RequestID)
//	d.Decide(started.RequestID, mpesatest.Success("NLJ7RT61SV"))
//	d.Deliver(ctx, started.RequestID)                // POSTs the callback; call twice for a duplicate
//
// Leaving a decided push undelivered simulates a lost callback: the STK
// query then reports its outcome. Failures are injected per endpoint with
// FailNext (5xx, an expired token, a slow answer).
package mpesatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
)

// Credentials the server accepts unless options change them.
const (
	ConsumerKey    = "test-consumer-key"
	ConsumerSecret = "test-consumer-secret"
	ShortCode      = "174379"
	PassKey        = "test-pass-key"
	CallbackSecret = "test-callback-secret-0123456789"
)

// Endpoint names one of the Daraja endpoints the server serves.
type Endpoint string

// The served endpoints.
const (
	EndpointToken Endpoint = "/oauth/v1/generate"
	EndpointPush  Endpoint = "/mpesa/stkpush/v1/processrequest"
	EndpointQuery Endpoint = "/mpesa/stkpushquery/v1/query"
)

// Fault is an injected failure for one request to an endpoint.
type Fault struct {
	// Status is the HTTP status to answer; 0 with a Delay means "answer
	// normally, late".
	Status int
	// ErrorCode and ErrorMessage fill Daraja's error body.
	ErrorCode, ErrorMessage string
	// Delay holds the answer back (or until the client gives up).
	Delay time.Duration
}

// ServerError is a Daraja internal error (HTTP 500).
func ServerError() Fault {
	return Fault{Status: http.StatusInternalServerError, ErrorCode: "500.003.02", ErrorMessage: "System is busy. Please try again in few minutes."}
}

// Unavailable is a gateway outage (HTTP 503).
func Unavailable() Fault {
	return Fault{Status: http.StatusServiceUnavailable, ErrorCode: "503.001.01", ErrorMessage: "Service Unavailable"}
}

// ExpiredToken is Daraja's answer to a token it no longer accepts (HTTP
// 401).
func ExpiredToken() Fault {
	return Fault{Status: http.StatusUnauthorized, ErrorCode: "404.001.03", ErrorMessage: "Invalid Access Token"}
}

// BadRequest is a validation refusal (HTTP 400).
func BadRequest(message string) Fault {
	return Fault{Status: http.StatusBadRequest, ErrorCode: "400.002.02", ErrorMessage: "Bad Request - " + message}
}

// Slow delays the normal answer by d.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// Outcome is how a push ends, as the customer's phone would decide it.
type Outcome struct {
	// ResultCode is Daraja's result code (0 success).
	ResultCode int
	// ResultDesc is the text Daraja sends with it.
	ResultDesc string
	// Receipt is the M-Pesa receipt number of a success.
	Receipt string
	// PaidShillings overrides the amount reported by a success callback;
	// zero means the amount pushed. Tests use it to forge a mismatch.
	PaidShillings float64
}

// Success is a completed payment with the given receipt number.
func Success(receipt string) Outcome {
	return Outcome{ResultCode: 0, ResultDesc: "The service request is processed successfully.", Receipt: receipt}
}

// Cancelled is the customer dismissing the prompt (1032).
func Cancelled() Outcome {
	return Outcome{ResultCode: 1032, ResultDesc: "Request cancelled by user"}
}

// TimedOut is a prompt nobody answered, or an unreachable phone (1037).
func TimedOut() Outcome {
	return Outcome{ResultCode: 1037, ResultDesc: "DS timeout user cannot be reached"}
}

// InsufficientFunds is a balance too low for the amount (1).
func InsufficientFunds() Outcome {
	return Outcome{ResultCode: 1, ResultDesc: "The balance is insufficient for the transaction"}
}

// WrongPIN is a wrong PIN entered on the prompt (2001).
func WrongPIN() Outcome {
	return Outcome{ResultCode: 2001, ResultDesc: "The initiator information is invalid."}
}

// Push is one accepted STK push as the server received it.
type Push struct {
	// MerchantRequestID and CheckoutRequestID are the IDs the server
	// issued; CheckoutRequestID is the client's payment.Started.RequestID.
	MerchantRequestID, CheckoutRequestID string
	// BusinessShortCode, Password and Timestamp authenticate the push.
	BusinessShortCode, Password, Timestamp string
	// TransactionType is CustomerPayBillOnline or CustomerBuyGoodsOnline.
	TransactionType string
	// Amount is in whole shillings.
	Amount int64
	// PartyA and PhoneNumber are the payer (2547XXXXXXXX); PartyB receives.
	PartyA, PartyB, PhoneNumber string
	// CallBackURL is where the result goes.
	CallBackURL string
	// AccountReference (the order number) and TransactionDesc are shown to
	// the customer.
	AccountReference, TransactionDesc string
	// Outcome is set once the test decided it, at CompletedAt.
	Outcome     *Outcome
	CompletedAt time.Time
	// Deliveries counts the callbacks delivered for this push.
	Deliveries int
}

// Server is the local Daraja. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, for Config.BaseURL.
	URL string

	srv      *httptest.Server
	callback *http.Client

	mu            sync.Mutex
	now           func() time.Time
	key, secret   string
	shortCode     string
	passKey       string
	tokenTTL      time.Duration
	tokens        map[string]time.Time
	tokenRequests int
	requests      map[Endpoint]int
	faults        map[Endpoint][]Fault
	pushes        map[string]*Push
	order         []string
	seq           int
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the server's clock, for token expiry and the timestamp
// window; share it with the client's to test expiry without waiting.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithTokenTTL sets the lifetime of issued tokens (Daraja: 3599 s).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		callback:  &http.Client{Timeout: 10 * time.Second},
		now:       time.Now,
		key:       ConsumerKey,
		secret:    ConsumerSecret,
		shortCode: ShortCode,
		passKey:   PassKey,
		tokenTTL:  3599 * time.Second,
		tokens:    map[string]time.Time{},
		requests:  map[Endpoint]int{},
		faults:    map[Endpoint][]Fault{},
		pushes:    map[string]*Push{},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+string(EndpointToken), s.handleToken)
	mux.HandleFunc("POST "+string(EndpointPush), s.handlePush)
	mux.HandleFunc("POST "+string(EndpointQuery), s.handleQuery)
	s.srv = httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mpesatest: listen: %v", err)
	}
	s.srv.Listener = ln
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; requests in flight are cut off.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Config is a client configuration that this server accepts, with results
// sent to callbackURL (plus CallbackSecret).
func (s *Server) Config(callbackURL string) mpesa.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mpesa.Config{
		BaseURL:        s.URL,
		ConsumerKey:    s.key,
		ConsumerSecret: s.secret,
		ShortCode:      s.shortCode,
		PassKey:        s.passKey,
		CallbackURL:    callbackURL,
		CallbackSecret: CallbackSecret,
	}
}

// FailNext makes the next requests to e fail, one fault per request, in
// order, before normal service resumes.
func (s *Server) FailNext(e Endpoint, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[e] = append(s.faults[e], faults...)
}

// ExpireTokens revokes every issued token, as if they had all expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// TokenRequests counts the token requests answered with a token.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Requests counts every request received by e, failed or not.
func (s *Server) Requests(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[e]
}

// Pushes returns the accepted pushes in arrival order.
func (s *Server) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Push, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.pushes[id].copy())
	}
	return out
}

// Push returns the push known as checkoutRequestID.
func (s *Server) Push(checkoutRequestID string) (Push, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pushes[checkoutRequestID]
	if !ok {
		return Push{}, false
	}
	return p.copy(), true
}

func (p *Push) copy() Push {
	c := *p
	if p.Outcome != nil {
		o := *p.Outcome
		c.Outcome = &o
	}
	return c
}

// PushesFor returns the accepted pushes whose AccountReference is
// reference (an order number), oldest first: how an end-to-end test finds
// the push its payOrder caused.
func (s *Server) PushesFor(reference string) []Push {
	var out []Push
	for _, p := range s.Pushes() {
		if p.AccountReference == reference {
			out = append(out, p)
		}
	}
	return out
}

// Resolve decides a push's outcome and delivers its callback times times
// (0: a lost callback, 2 or more: duplicates). It stops at the first
// delivery error or status other than 200.
func (s *Server) Resolve(ctx context.Context, checkoutRequestID string, o Outcome, times int) error {
	if err := s.Decide(checkoutRequestID, o); err != nil {
		return err
	}
	for range times {
		status, err := s.Deliver(ctx, checkoutRequestID)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("mpesatest: callback for %q answered %d", checkoutRequestID, status)
		}
	}
	return nil
}

// Decide settles a push's outcome, once. Nothing is delivered: call Deliver, or
// leave the callback lost and let an STK query find the outcome.
func (s *Server) Decide(checkoutRequestID string, o Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pushes[checkoutRequestID]
	if !ok {
		return fmt.Errorf("mpesatest: no push %q", checkoutRequestID)
	}
	if p.Outcome != nil {
		return fmt.Errorf("mpesatest: push %q is already decided", checkoutRequestID)
	}
	if o.ResultCode == 0 && o.Receipt == "" {
		o.Receipt = receipt()
	}
	p.Outcome, p.CompletedAt = &o, s.now()
	return nil
}

// CallbackBody is the JSON Daraja would post for a decided push.
func (s *Server) CallbackBody(checkoutRequestID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pushes[checkoutRequestID]
	if !ok {
		return nil, fmt.Errorf("mpesatest: no push %q", checkoutRequestID)
	}
	if p.Outcome == nil {
		return nil, fmt.Errorf("mpesatest: push %q is not decided", checkoutRequestID)
	}
	return json.Marshal(s.callbackEnvelope(p))
}

// Deliver posts the callback of a decided push to its CallBackURL and
// returns the HTTP status the store answered. Calling it again delivers a
// duplicate, as Daraja sometimes does.
func (s *Server) Deliver(ctx context.Context, checkoutRequestID string) (int, error) {
	p, ok := s.Push(checkoutRequestID)
	if !ok {
		return 0, fmt.Errorf("mpesatest: no push %q", checkoutRequestID)
	}
	return s.DeliverTo(ctx, checkoutRequestID, p.CallBackURL)
}

// DeliverTo posts the callback of a decided push to target instead of the
// push's CallBackURL (a forged or misrouted delivery).
func (s *Server) DeliverTo(ctx context.Context, checkoutRequestID, target string) (int, error) {
	body, err := s.CallbackBody(checkoutRequestID)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("mpesatest: callback request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.callback.Do(req)
	if err != nil {
		return 0, fmt.Errorf("mpesatest: deliver callback: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	s.mu.Lock()
	s.pushes[checkoutRequestID].Deliveries++
	s.mu.Unlock()
	return resp.StatusCode, nil
}

type metaItem struct {
	Name  string `json:"Name"`
	Value any    `json:"Value,omitempty"`
}

// callbackEnvelope builds Daraja's callback JSON; the caller holds s.mu.
func (s *Server) callbackEnvelope(p *Push) any {
	cb := map[string]any{
		"MerchantRequestID": p.MerchantRequestID,
		"CheckoutRequestID": p.CheckoutRequestID,
		"ResultCode":        p.Outcome.ResultCode,
		"ResultDesc":        p.Outcome.ResultDesc,
	}
	if p.Outcome.ResultCode == 0 {
		paid := float64(p.Amount)
		if p.Outcome.PaidShillings != 0 {
			paid = p.Outcome.PaidShillings
		}
		phone, _ := strconv.ParseInt(p.PhoneNumber, 10, 64)
		date, _ := strconv.ParseInt(p.CompletedAt.In(mpesa.Nairobi).Format(mpesa.TimestampLayout), 10, 64)
		cb["CallbackMetadata"] = map[string]any{"Item": []metaItem{
			{Name: "Amount", Value: paid},
			{Name: "MpesaReceiptNumber", Value: p.Outcome.Receipt},
			{Name: "Balance"},
			{Name: "TransactionDate", Value: date},
			{Name: "PhoneNumber", Value: phone},
		}}
	}
	return map[string]any{"Body": map[string]any{"stkCallback": cb}}
}

// begin counts a request and applies its pending fault, if any. It reports
// false when the fault answered the request.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, e Endpoint) bool {
	// Read the body up front: net/http notices a client hanging up (and
	// cancels r.Context) only once the body has been read, and a delayed
	// answer must end when the client gives up.
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.requests[e]++
	var f *Fault
	if q := s.faults[e]; len(q) > 0 {
		f, s.faults[e] = &q[0], q[1:]
	}
	s.mu.Unlock()
	if f == nil {
		return true
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		}
	}
	if f.Status == 0 {
		return true
	}
	writeError(w, f.Status, f.ErrorCode, f.ErrorMessage)
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"requestId": requestID(), "errorCode": code, "errorMessage": message})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.begin(w, r, EndpointToken) {
		return
	}
	if r.URL.Query().Get("grant_type") != "client_credentials" {
		writeError(w, http.StatusBadRequest, "400.008.02", "Invalid grant type passed")
		return
	}
	key, secret, ok := r.BasicAuth()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || key != s.key || secret != s.secret {
		writeError(w, http.StatusBadRequest, "400.008.01", "Invalid Authentication passed")
		return
	}
	token := randomString(28)
	s.tokens[token] = s.now().Add(s.tokenTTL)
	s.tokenRequests++
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": token,
		"expires_in":   strconv.Itoa(int(s.tokenTTL / time.Second)), // a string, as Daraja sends it
	})
}

// authorized checks the bearer token; the caller holds s.mu.
func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	exp, ok := s.tokens[token]
	return ok && s.now().Before(exp)
}

// checkPassword validates the STK password and its timestamp, which must
// be Nairobi time within five minutes of the server's clock; the caller
// holds s.mu.
func (s *Server) checkPassword(shortCode, password, timestamp string) string {
	if shortCode != s.shortCode {
		return "Invalid BusinessShortCode"
	}
	ts, err := time.ParseInLocation(mpesa.TimestampLayout, timestamp, mpesa.Nairobi)
	if err != nil || len(timestamp) != len(mpesa.TimestampLayout) {
		return "Invalid Timestamp"
	}
	if d := s.now().Sub(ts); d > 5*time.Minute || d < -5*time.Minute {
		return "Invalid Timestamp"
	}
	want := base64.StdEncoding.EncodeToString([]byte(shortCode + s.passKey + timestamp))
	if password != want {
		return "Invalid Password"
	}
	return ""
}

var (
	msisdn  = regexp.MustCompile(`^254[17][0-9]{8}$`)
	numeric = regexp.MustCompile(`^[0-9]{5,7}$`)
)

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	if !s.begin(w, r, EndpointPush) {
		return
	}
	var req struct {
		BusinessShortCode, Password, Timestamp, TransactionType string
		Amount                                                  json.Number
		PartyA, PartyB, PhoneNumber, CallBackURL                string
		AccountReference, TransactionDesc                       string
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "404.001.03", "Invalid Access Token")
		return
	}
	if err := decode(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "400.002.05", "Invalid Request Payload")
		return
	}
	if msg := s.checkPassword(req.BusinessShortCode, req.Password, req.Timestamp); msg != "" {
		writeError(w, http.StatusBadRequest, "400.002.02", "Bad Request - "+msg)
		return
	}
	amount, err := strconv.ParseInt(req.Amount.String(), 10, 64)
	var msg string
	switch {
	case req.TransactionType != string(mpesa.PayBill) && req.TransactionType != string(mpesa.BuyGoods):
		msg = "Invalid TransactionType"
	case err != nil || amount < 1:
		msg = "Invalid Amount"
	case !msisdn.MatchString(req.PartyA):
		msg = "Invalid PartyA"
	case req.PhoneNumber != req.PartyA:
		msg = "Invalid PhoneNumber"
	case req.TransactionType == string(mpesa.PayBill) && req.PartyB != s.shortCode,
		req.TransactionType == string(mpesa.BuyGoods) && !numeric.MatchString(req.PartyB):
		msg = "Invalid PartyB"
	case !validCallbackURL(req.CallBackURL):
		msg = "Invalid CallBackURL"
	case req.AccountReference == "" || len([]rune(req.AccountReference)) > 12:
		msg = "Invalid AccountReference"
	case req.TransactionDesc == "" || len([]rune(req.TransactionDesc)) > 13:
		msg = "Invalid TransactionDesc"
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, "400.002.02", "Bad Request - "+msg)
		return
	}
	s.seq++
	p := &Push{
		MerchantRequestID: fmt.Sprintf("29115-%d-1", 34620560+s.seq),
		CheckoutRequestID: fmt.Sprintf("ws_CO_%s%06d", s.now().In(mpesa.Nairobi).Format("02012006150405"), s.seq),
		BusinessShortCode: req.BusinessShortCode,
		Password:          req.Password,
		Timestamp:         req.Timestamp,
		TransactionType:   req.TransactionType,
		Amount:            amount,
		PartyA:            req.PartyA,
		PartyB:            req.PartyB,
		PhoneNumber:       req.PhoneNumber,
		CallBackURL:       req.CallBackURL,
		AccountReference:  req.AccountReference,
		TransactionDesc:   req.TransactionDesc,
	}
	s.pushes[p.CheckoutRequestID] = p
	s.order = append(s.order, p.CheckoutRequestID)
	writeJSON(w, http.StatusOK, map[string]string{
		"MerchantRequestID":   p.MerchantRequestID,
		"CheckoutRequestID":   p.CheckoutRequestID,
		"ResponseCode":        "0",
		"ResponseDescription": "Success. Request accepted for processing",
		"CustomerMessage":     "Success. Request accepted for processing",
	})
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	if !s.begin(w, r, EndpointQuery) {
		return
	}
	var req struct {
		BusinessShortCode, Password, Timestamp, CheckoutRequestID string
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "404.001.03", "Invalid Access Token")
		return
	}
	if err := decode(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "400.002.05", "Invalid Request Payload")
		return
	}
	if msg := s.checkPassword(req.BusinessShortCode, req.Password, req.Timestamp); msg != "" {
		writeError(w, http.StatusBadRequest, "400.002.02", "Bad Request - "+msg)
		return
	}
	p, ok := s.pushes[req.CheckoutRequestID]
	if !ok {
		writeError(w, http.StatusBadRequest, "400.002.02", "Bad Request - Invalid CheckoutRequestID")
		return
	}
	if p.Outcome == nil {
		writeError(w, http.StatusInternalServerError, mpesa.CodeProcessing, "The transaction is being processed")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"ResponseCode":        "0",
		"ResponseDescription": "The service request has been accepted successsfully",
		"MerchantRequestID":   p.MerchantRequestID,
		"CheckoutRequestID":   p.CheckoutRequestID,
		"ResultCode":          strconv.Itoa(p.Outcome.ResultCode), // a string here, unlike in callbacks
		"ResultDesc":          p.Outcome.ResultDesc,
	})
}

func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return errors.New("not json")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(v)
}

func validCallbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// receipt makes an M-Pesa-like receipt number (10 characters).
func receipt() string { return randomString(10) }

func requestID() string { return randomString(8) + "-" + randomString(4) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}
