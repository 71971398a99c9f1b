package mpesa_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/payment"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa/mpesatest"
)

// darajaSuccess is the callback from Daraja's documentation, verbatim in
// shape: numbers for amount, date and phone, a Balance without a value.
const darajaSuccess = `{
  "Body": {
    "stkCallback": {
      "MerchantRequestID": "29115-34620561-1",
      "CheckoutRequestID": "ws_CO_191220191020363925",
      "ResultCode": 0,
      "ResultDesc": "The service request is processed successfully.",
      "CallbackMetadata": {
        "Item": [
          {"Name": "Amount", "Value": 1.00},
          {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
          {"Name": "Balance"},
          {"Name": "TransactionDate", "Value": 20191219102115},
          {"Name": "PhoneNumber", "Value": 254708374149}
        ]
      }
    }
  }
}`

func TestParseCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    mpesa.Callback
		state   payment.State
		reason  payment.Reason
		invalid bool
	}{
		{
			name: "success",
			body: darajaSuccess,
			want: mpesa.Callback{
				MerchantRequestID: "29115-34620561-1",
				CheckoutRequestID: "ws_CO_191220191020363925",
				ResultCode:        0,
				ResultDesc:        "The service request is processed successfully.",
				Amount:            payment.Money{Minor: 100, Currency: "KES"},
				Receipt:           "NLJ7RT61SV",
				Phone:             "+254708374149",
				TransactionDate:   time.Date(2019, 12, 19, 7, 21, 15, 0, time.UTC),
			},
			state: payment.StateSucceeded,
		},
		{
			name: "success with string values and a masked phone",
			body: `{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_1","ResultCode":"0","ResultDesc":"ok",
				"CallbackMetadata":{"Item":[{"Name":"Amount","Value":"1299.50"},{"Name":"MpesaReceiptNumber","Value":"SKL1ABC2DE"},
				{"Name":"Balance","Value":""},{"Name":"TransactionDate","Value":"20261125013005"},{"Name":"PhoneNumber","Value":"2547******678"}]}}}}`,
			want: mpesa.Callback{
				MerchantRequestID: "m",
				CheckoutRequestID: "ws_CO_1",
				ResultDesc:        "ok",
				Amount:            payment.Money{Minor: 129950, Currency: "KES"},
				Receipt:           "SKL1ABC2DE",
				Phone:             "2547******678",
				TransactionDate:   time.Date(2026, 11, 24, 22, 30, 5, 0, time.UTC),
			},
			state: payment.StateSucceeded,
		},
		{
			name: "cancelled",
			body: `{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_2","ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}`,
			want: mpesa.Callback{
				MerchantRequestID: "m", CheckoutRequestID: "ws_CO_2", ResultCode: 1032, ResultDesc: "Request cancelled by user",
			},
			state:  payment.StateFailed,
			reason: payment.ReasonCancelled,
		},
		{
			name: "failure ignores whatever metadata it carries",
			body: `{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_3","ResultCode":1,"ResultDesc":"The balance is insufficient",
				"CallbackMetadata":{"Item":[{"Name":"Amount","Value":5}]}}}}`,
			want: mpesa.Callback{
				MerchantRequestID: "m", CheckoutRequestID: "ws_CO_3", ResultCode: 1, ResultDesc: "The balance is insufficient",
			},
			state:  payment.StateFailed,
			reason: payment.ReasonInsufficientFunds,
		},
		{name: "not JSON", body: `ResultCode=0`, invalid: true},
		{name: "empty", body: ``, invalid: true},
		{name: "another shape", body: `{"TransactionType":"Pay Bill","TransID":"RKTQDM7W6S"}`, invalid: true},
		{name: "no checkout id", body: `{"Body":{"stkCallback":{"ResultCode":0}}}`, invalid: true},
		{name: "no result code", body: `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_4"}}}`, invalid: true},
		{name: "result code not a number", body: `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_4","ResultCode":"zero"}}}`, invalid: true},
		{name: "success without metadata", body: `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_5","ResultCode":0}}}`, invalid: true},
		{
			name:    "success without receipt",
			body:    `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_6","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":10}]}}}}`,
			invalid: true,
		},
		{
			name:    "success without amount",
			body:    `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_7","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"MpesaReceiptNumber","Value":"X"}]}}}}`,
			invalid: true,
		},
		{
			name:    "fraction of a cent",
			body:    `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_8","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.005},{"Name":"MpesaReceiptNumber","Value":"X"}]}}}}`,
			invalid: true,
		},
		{
			name:    "negative amount",
			body:    `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_9","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":-1},{"Name":"MpesaReceiptNumber","Value":"X"}]}}}}`,
			invalid: true,
		},
		{
			name:    "bad date",
			body:    `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_10","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":1},{"Name":"MpesaReceiptNumber","Value":"X"},{"Name":"TransactionDate","Value":2019}]}}}}`,
			invalid: true,
		},
		{
			name:    "NUL in the receipt",
			body:    `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_11","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":1},{"Name":"MpesaReceiptNumber","Value":"NLJ\u0000"}]}}}}`,
			invalid: true,
		},
		{name: "control character in the checkout id", body: `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO\u001b12","ResultCode":1}}}`, invalid: true},
		{name: "too large", body: `{"Body":{"stkCallback":{"CheckoutRequestID":"` + strings.Repeat("x", 70_000) + `","ResultCode":1}}}`, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb, err := mpesa.ParseCallback([]byte(tt.body))
			if tt.invalid {
				require.ErrorIs(t, err, mpesa.ErrMalformedCallback)
				require.Zero(t, cb)
				return
			}
			require.NoError(t, err)
			require.True(t, tt.want.TransactionDate.Equal(cb.TransactionDate), cb.TransactionDate)
			tt.want.TransactionDate = cb.TransactionDate
			require.Equal(t, tt.want, cb)
			require.Equal(t, tt.state == payment.StateSucceeded, cb.Succeeded())

			res := cb.Result()
			require.Equal(t, tt.state, res.State)
			require.Equal(t, tt.reason, res.Reason)
			require.Equal(t, cb.CheckoutRequestID, res.RequestID)
			require.Equal(t, cb.Receipt, res.Reference)
			require.Equal(t, cb.Amount, res.Amount)
			require.Equal(t, cb.ResultDesc, res.Message)
		})
	}
}

// webhook is a stand-in for the store's callback route: it checks the
// secret segment and parses every body it accepts.
type webhook struct {
	cfg mpesa.Config

	mu        sync.Mutex
	callbacks []mpesa.Callback
	refused   int
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secret, ok := strings.CutPrefix(r.URL.Path, "/webhooks/mpesa/")
	if !ok || !h.cfg.CallbackSecretMatches(secret) {
		h.mu.Lock()
		h.refused++
		h.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	cb, err := mpesa.ParseCallback(body)
	if err != nil {
		http.Error(w, "bad callback", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.callbacks = append(h.callbacks, cb)
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (h *webhook) received() ([]mpesa.Callback, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]mpesa.Callback(nil), h.callbacks...), h.refused
}

// serveLoopback serves h on 127.0.0.1 until the test ends and returns its
// base URL.
func serveLoopback(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCallbacksDeliveredByTheLocalDaraja(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := mpesatest.New(t)
	h := &webhook{}
	cfg := d.Config(serveLoopback(t, h) + "/webhooks/mpesa")
	h.cfg = cfg
	c, err := mpesa.New(cfg)
	require.NoError(t, err)

	t.Run("success, delivered twice", func(t *testing.T) {
		started, err := c.Start(ctx, order())
		require.NoError(t, err)
		require.NoError(t, d.Resolve(ctx, started.RequestID, mpesatest.Success("NLJ7RT61SV"), 2))
		got, _ := h.received()
		require.Len(t, got, 2)
		require.Equal(t, got[0], got[1], "a duplicate is the same callback, so applying it is idempotent by CheckoutRequestID")
		require.Equal(t, started.RequestID, got[0].CheckoutRequestID)
		require.Equal(t, payment.Money{Minor: 129900, Currency: "KES"}, got[0].Amount)
		require.Equal(t, "NLJ7RT61SV", got[0].Receipt)
		require.Equal(t, "+254712345678", got[0].Phone)
		p, _ := d.Push(started.RequestID)
		require.Equal(t, 2, p.Deliveries)
	})

	t.Run("cancelled", func(t *testing.T) {
		started, err := c.Start(ctx, order())
		require.NoError(t, err)
		require.NoError(t, d.Decide(started.RequestID, mpesatest.Cancelled()))
		_, err = d.Deliver(ctx, started.RequestID)
		require.NoError(t, err)
		got, _ := h.received()
		last := got[len(got)-1]
		require.Equal(t, started.RequestID, last.CheckoutRequestID)
		require.Equal(t, payment.StateFailed, last.Result().State)
		require.Equal(t, payment.ReasonCancelled, last.Result().Reason)
	})

	t.Run("lost, recovered by a status query", func(t *testing.T) {
		req := order()
		req.Reference = "SV-LOST"
		started, err := c.Start(ctx, req)
		require.NoError(t, err)
		pushes := d.PushesFor("SV-LOST")
		require.Len(t, pushes, 1)
		require.Equal(t, started.RequestID, pushes[0].CheckoutRequestID)
		before, _ := h.received()
		res, err := c.Status(ctx, started.RequestID)
		require.NoError(t, err)
		require.Equal(t, payment.StatePending, res.State)

		require.NoError(t, d.Resolve(ctx, started.RequestID, mpesatest.Success(""), 0))
		require.Error(t, d.Decide(started.RequestID, mpesatest.Cancelled()), "an outcome is final")
		res, err = c.Status(ctx, started.RequestID)
		require.NoError(t, err)
		require.Equal(t, payment.StateSucceeded, res.State)
		after, _ := h.received()
		require.Len(t, after, len(before), "nothing was delivered")
		_, err = d.Deliver(ctx, "ws_CO_unknown")
		require.Error(t, err)
	})

	t.Run("forged amount is visible to the webhook", func(t *testing.T) {
		started, err := c.Start(ctx, order())
		require.NoError(t, err)
		require.NoError(t, d.Decide(started.RequestID, mpesatest.Outcome{ResultCode: 0, ResultDesc: "ok", Receipt: "ABC", PaidShillings: 1}))
		_, err = d.Deliver(ctx, started.RequestID)
		require.NoError(t, err)
		got, _ := h.received()
		require.Equal(t, int64(100), got[len(got)-1].Amount.Minor, "the webhook must compare it with KES 1299")
	})

	t.Run("wrong secret", func(t *testing.T) {
		started, err := c.Start(ctx, order())
		require.NoError(t, err)
		require.NoError(t, d.Decide(started.RequestID, mpesatest.Success("")))
		status, err := d.DeliverTo(ctx, started.RequestID, cfg.CallbackURL+"/guessed-secret-0000000000000")
		require.NoError(t, err)
		require.Equal(t, http.StatusNotFound, status)
		_, refused := h.received()
		require.Equal(t, 1, refused)
	})

	t.Run("undecided push has no callback", func(t *testing.T) {
		started, err := c.Start(ctx, order())
		require.NoError(t, err)
		_, err = d.CallbackBody(started.RequestID)
		require.Error(t, err)
	})
}
