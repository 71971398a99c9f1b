package mpesa

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Daraja's base URLs.
const (
	SandboxBaseURL = "https://sandbox.safaricom.co.ke"
	LiveBaseURL    = "https://api.safaricom.co.ke"
)

// TransactionType is Daraja's STK push transaction type: it decides whether
// the money goes to a pay bill or to a till (Buy Goods).
type TransactionType string

// The two STK push transaction types.
const (
	PayBill  TransactionType = "CustomerPayBillOnline"
	BuyGoods TransactionType = "CustomerBuyGoodsOnline"
)

// DefaultTimeout bounds every HTTP exchange with Daraja when Config.Timeout
// is zero. Daraja usually answers within a second or two; a checkout must
// not hang on it.
const DefaultTimeout = 15 * time.Second

// DefaultMaxAmount is the largest amount, in whole shillings, that one
// M-Pesa transaction may carry (Safaricom's per-transaction limit).
const DefaultMaxAmount = 250_000

// ErrInvalidConfig is wrapped by every error of Config.Validate.
var ErrInvalidConfig = errors.New("invalid m-pesa configuration")

// Config is what a deployment sets to take M-Pesa payments. The comment of
// each field names the environment variable suggested for it.
type Config struct {
	// BaseURL is Daraja's base URL, SandboxBaseURL or LiveBaseURL
	// (MPESA_BASE_URL). Plain http is accepted only for loopback hosts,
	// which is what tests use.
	BaseURL string
	// ConsumerKey and ConsumerSecret are the Daraja app's credentials
	// (MPESA_CONSUMER_KEY, MPESA_CONSUMER_SECRET).
	ConsumerKey, ConsumerSecret string
	// ShortCode is the business short code (MPESA_SHORTCODE): the pay bill
	// number, or the head office store number for Buy Goods.
	ShortCode string
	// PassKey is the Lipa na M-Pesa Online pass key (MPESA_PASSKEY).
	PassKey string
	// TransactionType is PayBill (the default) or BuyGoods
	// (MPESA_TRANSACTION_TYPE).
	TransactionType TransactionType
	// TillNumber receives the money for BuyGoods (MPESA_TILL_NUMBER); unused
	// for PayBill, where ShortCode receives it.
	TillNumber string
	// CallbackURL is the public URL of the result webhook without its
	// secret segment, e.g. https://shop.example/webhooks/mpesa
	// (MPESA_CALLBACK_URL).
	CallbackURL string
	// CallbackSecret is the unguessable path segment appended to
	// CallbackURL (MPESA_CALLBACK_SECRET). Daraja does not sign callbacks,
	// so this secret, with matching IDs and amounts, is what keeps forged
	// results out.
	CallbackSecret string
	// Timeout bounds each HTTP exchange with Daraja (MPESA_TIMEOUT);
	// DefaultTimeout when zero.
	Timeout time.Duration
	// MaxAmount is the largest amount in whole shillings one push may ask
	// for; DefaultMaxAmount when zero.
	MaxAmount int64
}

var (
	digits5to7   = regexp.MustCompile(`^[0-9]{5,7}$`)
	secretFormat = regexp.MustCompile(`^[A-Za-z0-9_-]{24,128}$`)
)

// Validate reports every problem of c at once, each naming its suggested
// environment variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, env, fmt.Sprintf(format, args...)))
	}
	if err := checkURL(c.BaseURL); err != nil {
		bad("MPESA_BASE_URL", "%v", err)
	}
	if strings.TrimSpace(c.ConsumerKey) == "" {
		bad("MPESA_CONSUMER_KEY", "required")
	}
	if strings.TrimSpace(c.ConsumerSecret) == "" {
		bad("MPESA_CONSUMER_SECRET", "required")
	}
	if !digits5to7.MatchString(c.ShortCode) {
		bad("MPESA_SHORTCODE", "must be 5 to 7 digits")
	}
	if strings.TrimSpace(c.PassKey) == "" {
		bad("MPESA_PASSKEY", "required")
	}
	switch c.transactionType() {
	case PayBill:
	case BuyGoods:
		if !digits5to7.MatchString(c.TillNumber) {
			bad("MPESA_TILL_NUMBER", "must be 5 to 7 digits for %s", BuyGoods)
		}
	default:
		bad("MPESA_TRANSACTION_TYPE", "must be %s or %s", PayBill, BuyGoods)
	}
	if err := checkURL(c.CallbackURL); err != nil {
		bad("MPESA_CALLBACK_URL", "%v", err)
	} else if u, _ := url.Parse(c.CallbackURL); u.RawQuery != "" || u.Fragment != "" {
		bad("MPESA_CALLBACK_URL", "must not have a query or fragment")
	}
	if !secretFormat.MatchString(c.CallbackSecret) {
		bad("MPESA_CALLBACK_SECRET", "must be 24 to 128 characters of A-Z, a-z, 0-9, '-' or '_'")
	}
	if c.Timeout < 0 {
		bad("MPESA_TIMEOUT", "must not be negative")
	}
	if c.MaxAmount < 0 {
		bad("MaxAmount", "must not be negative")
	}
	return errors.Join(errs...)
}

// CallbackEndpoint is the full URL Daraja posts results to: CallbackURL
// followed by the secret segment.
func (c Config) CallbackEndpoint() string {
	return strings.TrimRight(c.CallbackURL, "/") + "/" + c.CallbackSecret
}

// CallbackSecretMatches reports, in constant time, whether a path segment
// received by the webhook is the configured secret.
func (c Config) CallbackSecretMatches(segment string) bool {
	if c.CallbackSecret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(segment), []byte(c.CallbackSecret)) == 1
}

func (c Config) transactionType() TransactionType {
	if c.TransactionType == "" {
		return PayBill
	}
	return c.TransactionType
}

// partyB is who receives the money: the pay bill itself, or the till.
func (c Config) partyB() string {
	if c.transactionType() == BuyGoods {
		return c.TillNumber
	}
	return c.ShortCode
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c Config) maxAmount() int64 {
	if c.MaxAmount == 0 {
		return DefaultMaxAmount
	}
	return c.MaxAmount
}

// checkURL accepts absolute https URLs, and http only towards loopback
// addresses so that credentials never travel in clear over a network.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return errors.New("must use https (http only for loopback)")
	default:
		return errors.New("must use https")
	}
}
