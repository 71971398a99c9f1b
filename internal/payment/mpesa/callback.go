package mpesa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/payment"
)

// ErrMalformedCallback is wrapped by ParseCallback's errors: the body is not
// a Daraja STK callback, or a success lacks what a success must carry.
var ErrMalformedCallback = errors.New("malformed m-pesa callback")

// maxCallbackBody is the largest callback ParseCallback reads; real ones
// are under a kilobyte. The webhook should cap its request body the same.
const maxCallbackBody = 64 << 10

// Callback is the result of one STK push as Daraja posts it to the store.
type Callback struct {
	// MerchantRequestID and CheckoutRequestID identify the push; the
	// CheckoutRequestID is the payment's RequestID.
	MerchantRequestID, CheckoutRequestID string
	// ResultCode is Daraja's result: 0 success, 1032 cancelled, 1037
	// timeout, 1 insufficient funds, 2001 wrong PIN, others failures.
	ResultCode int
	// ResultDesc is Daraja's description of the result.
	ResultDesc string
	// Amount is what was paid, in KES minor units; zero on failure.
	Amount payment.Money
	// Receipt is the M-Pesa receipt number; empty on failure.
	Receipt string
	// Phone is the paying number as Daraja reports it, in E.164 when it
	// is a plain number (Daraja may mask part of it); empty on failure.
	Phone string
	// TransactionDate is when M-Pesa completed the payment; zero on
	// failure or when not reported.
	TransactionDate time.Time
}

// Succeeded reports whether the callback announces a completed payment.
func (cb Callback) Succeeded() bool { return cb.ResultCode == ResultSuccess }

// Result is the callback as a provider-neutral payment result.
func (cb Callback) Result() payment.Result {
	r := resultFor(cb.ResultCode, cb.ResultDesc)
	r.RequestID = cb.CheckoutRequestID
	r.Reference = cb.Receipt
	r.Amount = cb.Amount
	return r
}

// ParseCallback decodes the body of a Daraja STK callback. Metadata values
// may be numbers or strings; items without a value (Balance) are ignored.
// A success must carry a receipt and a positive whole-cent amount, so the
// webhook can match it.
func ParseCallback(body []byte) (Callback, error) {
	if len(body) > maxCallbackBody {
		return Callback{}, fmt.Errorf("%w: body of %d bytes", ErrMalformedCallback, len(body))
	}
	var env struct {
		Body *struct {
			StkCallback *struct {
				MerchantRequestID string   `json:"MerchantRequestID"`
				CheckoutRequestID string   `json:"CheckoutRequestID"`
				ResultCode        *flexInt `json:"ResultCode"`
				ResultDesc        string   `json:"ResultDesc"`
				CallbackMetadata  *struct {
					Item []struct {
						Name  string `json:"Name"`
						Value any    `json:"Value"`
					} `json:"Item"`
				} `json:"CallbackMetadata"`
			} `json:"stkCallback"`
		} `json:"Body"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep amounts and phone numbers exact
	if err := dec.Decode(&env); err != nil {
		return Callback{}, fmt.Errorf("%w: %v", ErrMalformedCallback, err)
	}
	if env.Body == nil || env.Body.StkCallback == nil {
		return Callback{}, fmt.Errorf("%w: no Body.stkCallback", ErrMalformedCallback)
	}
	s := env.Body.StkCallback
	if strings.TrimSpace(s.CheckoutRequestID) == "" {
		return Callback{}, fmt.Errorf("%w: no CheckoutRequestID", ErrMalformedCallback)
	}
	if s.ResultCode == nil {
		return Callback{}, fmt.Errorf("%w: no ResultCode", ErrMalformedCallback)
	}
	code, ok := s.ResultCode.int()
	if !ok {
		return Callback{}, fmt.Errorf("%w: ResultCode %q is not a number", ErrMalformedCallback, s.ResultCode.raw)
	}
	cb := Callback{
		MerchantRequestID: s.MerchantRequestID,
		CheckoutRequestID: s.CheckoutRequestID,
		ResultCode:        code,
		ResultDesc:        s.ResultDesc,
	}
	// Daraja's text obeys the store's one text rule, as a client's would.
	for _, f := range []*string{&cb.MerchantRequestID, &cb.CheckoutRequestID, &cb.ResultDesc} {
		clean, err := input.CleanText(*f, input.Text{Multiline: f == &cb.ResultDesc})
		if err != nil {
			return Callback{}, fmt.Errorf("%w: %w", ErrMalformedCallback, err)
		}
		*f = clean
	}
	if code != ResultSuccess {
		// A failure carries no metadata worth trusting.
		return cb, nil
	}
	if s.CallbackMetadata == nil {
		return Callback{}, fmt.Errorf("%w: success without CallbackMetadata", ErrMalformedCallback)
	}
	for _, it := range s.CallbackMetadata.Item {
		v, present := scalar(it.Value)
		if !present {
			continue
		}
		v, err := input.CleanText(v, input.Text{})
		if err != nil {
			return Callback{}, fmt.Errorf("%w: %s: %w", ErrMalformedCallback, it.Name, err)
		}
		switch it.Name {
		case "Amount":
			cur := kes()
			minor, err := cur.Parse(v)
			if err != nil || minor <= 0 {
				return Callback{}, fmt.Errorf("%w: Amount %q", ErrMalformedCallback, v)
			}
			cb.Amount = cur.Amount(minor)
		case "MpesaReceiptNumber":
			cb.Receipt = v
		case "PhoneNumber":
			cb.Phone = v
			if len(v) == 12 && strings.HasPrefix(v, "254") && strings.Trim(v, "0123456789") == "" {
				cb.Phone = "+" + v
			}
		case "TransactionDate":
			t, err := time.ParseInLocation(TimestampLayout, v, Nairobi)
			if err != nil {
				return Callback{}, fmt.Errorf("%w: TransactionDate %q", ErrMalformedCallback, v)
			}
			cb.TransactionDate = t
		}
	}
	if cb.Receipt == "" || cb.Amount.Minor == 0 {
		return Callback{}, fmt.Errorf("%w: success without receipt or amount", ErrMalformedCallback)
	}
	return cb, nil
}

// scalar renders a metadata value, a json.Number or a string, as text.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		return v.String(), true
	case string:
		s := strings.TrimSpace(v)
		return s, s != ""
	default:
		return "", false
	}
}
