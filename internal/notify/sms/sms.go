// Package sms sends text messages through Africa's Talking's HTTP
// messaging API and classifies its answers into the permanent and
// transient failures of package notify.
//
// The API takes a form-encoded POST to {base}/version1/messaging with the
// account's username, the recipients, the message and an optional sender
// ID, authenticated by an apiKey header. It answers 201 with one status per
// recipient; a message is accepted only when that status is 100 Processed,
// 101 Sent or 102 Queued. The client sends to one recipient per call so
// that each notification has exactly one outcome to record.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/savannah-commerce/savannah/internal/notify"
)

// Base URLs of Africa's Talking's API.
const (
	LiveBaseURL    = "https://api.africastalking.com"
	SandboxBaseURL = "https://api.sandbox.africastalking.com"
)

// DefaultTimeout bounds one request when Config.Timeout is zero: long
// enough for a slow gateway, short enough that a hung one is retried by the
// job runner instead of holding a worker.
const DefaultTimeout = 15 * time.Second

// Config configures a Client.
type Config struct {
	// BaseURL is LiveBaseURL, SandboxBaseURL or a test server's URL.
	BaseURL string
	// Username is the Africa's Talking application username ("sandbox"
	// for the sandbox).
	Username string
	// APIKey authenticates every request; it is never logged or put in an
	// error.
	APIKey string
	// SenderID is the registered alphanumeric sender ID or short code;
	// empty uses the provider's default.
	SenderID string
	// Timeout bounds one request, including reading the answer; zero means
	// DefaultTimeout. A deadline on the context applies too.
	Timeout time.Duration
	// HTTPClient sends the requests; nil means a client of its own.
	HTTPClient *http.Client
}

// Client sends SMS through Africa's Talking. It is safe for concurrent use.
type Client struct {
	endpoint string
	cfg      Config
	http     *http.Client
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("sms: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Username == "" {
		return nil, errors.New("sms: username is required")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("sms: API key is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/version1/messaging",
		cfg:      cfg,
		http:     hc,
	}, nil
}

// e164 is a phone number in international form: a plus, a country code not
// starting with 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// StatusError is a failure reported by Africa's Talking: either an HTTP
// status other than success, or a per-recipient status other than
// Processed, Sent or Queued. It unwraps to notify.ErrPermanent or
// notify.ErrTransient.
type StatusError struct {
	// HTTPStatus is the HTTP status code of the answer.
	HTTPStatus int
	// StatusCode is the recipient's statusCode (0 when the request failed
	// as a whole).
	StatusCode int
	// Status is the provider's status or message text ("InvalidPhoneNumber").
	Status string
	// Permanent tells whether retrying can help.
	Permanent bool
}

// Error describes the failure without the request's credentials.
func (e *StatusError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("africa's talking: recipient status %d %s", e.StatusCode, e.Status)
	}
	if e.Status != "" {
		return fmt.Sprintf("africa's talking: HTTP %d: %s", e.HTTPStatus, e.Status)
	}
	return fmt.Sprintf("africa's talking: HTTP %d", e.HTTPStatus)
}

// Unwrap lets errors.Is find the classification.
func (e *StatusError) Unwrap() error {
	if e.Permanent {
		return notify.ErrPermanent
	}
	return notify.ErrTransient
}

// Per-recipient status codes of the messaging API.
const (
	StatusProcessed             = 100
	StatusSent                  = 101
	StatusQueued                = 102
	StatusRiskHold              = 401
	StatusInvalidSenderID       = 402
	StatusInvalidPhoneNumber    = 403
	StatusUnsupportedNumberType = 404
	StatusInsufficientBalance   = 405
	StatusUserInBlacklist       = 406
	StatusCouldNotRoute         = 407
	StatusDoNotDisturbRejection = 409
	StatusInternalServerError   = 500
	StatusGatewayError          = 501
	StatusRejectedByGateway     = 502
)

// transientStatus lists the failure statuses worth retrying. RiskHold is
// documented as "retry later"; InsufficientBalance clears when the account
// is topped up; 500–502 are the provider's and its gateways' outages.
// Everything else is about the number, the sender ID or the recipient's
// choices and fails again.
var transientStatus = map[int]bool{
	StatusRiskHold:            true,
	StatusInsufficientBalance: true,
	StatusInternalServerError: true,
	StatusGatewayError:        true,
	StatusRejectedByGateway:   true,
}

// response is the messaging API's answer.
type response struct {
	SMSMessageData struct {
		Message    string `json:"Message"`
		Recipients []struct {
			StatusCode int    `json:"statusCode"`
			Number     string `json:"number"`
			Status     string `json:"status"`
			Cost       string `json:"cost"`
			MessageID  string `json:"messageId"`
		} `json:"Recipients"`
	} `json:"SMSMessageData"`
}

// maxResponse caps how much of an answer is read: a single-recipient
// answer is a few hundred bytes.
const maxResponse = 1 << 20

// SendSMS sends body to the single E.164 number to and returns the
// provider's message ID. Errors wrap notify.ErrPermanent or
// notify.ErrTransient; a *StatusError carries the provider's status.
func (c *Client) SendSMS(ctx context.Context, to, body string) (notify.SendResult, error) {
	if !e164.MatchString(to) {
		return notify.SendResult{}, notify.Permanent(fmt.Errorf("sms: %q is not an E.164 phone number", to))
	}
	if strings.TrimSpace(body) == "" {
		return notify.SendResult{}, notify.Permanent(errors.New("sms: empty message"))
	}
	form := url.Values{"username": {c.cfg.Username}, "to": {to}, "message": {body}}
	if c.cfg.SenderID != "" {
		form.Set("from", c.cfg.SenderID)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return notify.SendResult{}, notify.Permanent(fmt.Errorf("sms: build request: %w", err))
	}
	req.Header.Set("apiKey", c.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	resp, err := c.http.Do(req)
	if err != nil {
		// Network errors and timeouts: the message may or may not have
		// left; the provider is down or slow, so try again later.
		return notify.SendResult{}, notify.Transient(fmt.Errorf("sms: %w", redact(err)))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return notify.SendResult{}, notify.Transient(fmt.Errorf("sms: read answer: %w", redact(err)))
	}

	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return notify.SendResult{}, httpError(resp.StatusCode, raw)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		// A success status with a body we cannot read: the message was
		// probably accepted, but without an ID we cannot know; a retry
		// risks a duplicate, giving up risks a loss. Retrying is the
		// lesser harm for order notifications.
		return notify.SendResult{}, notify.Transient(fmt.Errorf("sms: decode answer: %w", err))
	}
	recipients := r.SMSMessageData.Recipients
	if len(recipients) == 0 {
		// The API reports request-level rejections (such as
		// "InvalidSenderId") in Message with no recipients.
		return notify.SendResult{}, &StatusError{HTTPStatus: resp.StatusCode, Status: oneLine(r.SMSMessageData.Message), Permanent: true}
	}
	rc := recipients[0]
	switch rc.StatusCode {
	case StatusProcessed, StatusSent, StatusQueued:
		return notify.SendResult{ProviderID: rc.MessageID, Cost: rc.Cost}, nil
	}
	return notify.SendResult{}, &StatusError{
		HTTPStatus: resp.StatusCode,
		StatusCode: rc.StatusCode,
		Status:     oneLine(rc.Status),
		Permanent:  !transientStatus[rc.StatusCode],
	}
}

// httpError classifies a non-success HTTP answer. Server errors, rate
// limiting and request timeouts are transient; bad credentials (401, 403)
// and every other client error are permanent, since resending the same
// request gets the same answer.
func httpError(status int, body []byte) error {
	transient := status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
	return &StatusError{HTTPStatus: status, Status: oneLine(string(body)), Permanent: !transient}
}

// oneLine shortens provider text for an error message and the delivery
// log: one line, at most 200 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// redact strips the URL from a *url.Error: it holds only the endpoint, but
// keeping errors free of URLs keeps them free of anything a future base URL
// might embed.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

var _ notify.SMSSender = (*Client)(nil)
