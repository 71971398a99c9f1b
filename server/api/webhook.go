package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
)

// maxWebhookBody caps a callback's body; Daraja's are under a kilobyte.
const maxWebhookBody = 64 << 10

// mpesaWebhook takes Daraja's STK push results at
// POST /webhooks/mpesa/{secret}. Daraja does not sign callbacks, so three
// things keep forged results out: the unguessable per-deployment secret in
// the path (compared in constant time), the CheckoutRequestID, which must
// be one this store issued, and the amount, which must equal the one
// asked for. Applying a result is idempotent, so Daraja's repeated
// deliveries confirm an order once. Every callback that reached the right
// secret is acknowledged (ResultCode 0), even one that cannot be applied:
// Daraja resending it cannot fix it, and the log says why.
func (s *Server) mpesaWebhook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.cfg.MpesaSecretMatches == nil || !s.cfg.MpesaSecretMatches(r.PathValue("secret")) {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"ResultCode": 1, "ResultDesc": "body too large"})
		return
	}
	cb, err := mpesa.ParseCallback(body)
	if err != nil {
		s.log.WarnContext(ctx, "m-pesa callback malformed", slog.String("request_id", RequestID(ctx)), slog.Any("err", err))
		writeJSON(w, http.StatusBadRequest, map[string]any{"ResultCode": 1, "ResultDesc": "malformed callback"})
		return
	}
	err = s.svc.Checkout.ApplyResult(ctx, cb.Result())
	switch {
	case err == nil:
	case errors.Is(err, checkout.ErrLatePayment):
		s.log.ErrorContext(ctx, "m-pesa payment succeeded for a payment given up: refund or reinstate the order",
			slog.String("request_id", RequestID(ctx)), slog.String("checkout_request_id", cb.CheckoutRequestID), slog.Any("err", err))
	case errors.Is(err, checkout.ErrUnknownPayment), errors.Is(err, checkout.ErrAmountMismatch):
		s.log.WarnContext(ctx, "m-pesa callback not applied",
			slog.String("request_id", RequestID(ctx)), slog.String("checkout_request_id", cb.CheckoutRequestID), slog.Any("err", err))
	default:
		// A database failure: let Daraja retry later.
		s.log.ErrorContext(ctx, "m-pesa callback failed", slog.String("request_id", RequestID(ctx)), slog.Any("err", err))
		writeJSON(w, http.StatusInternalServerError, map[string]any{"ResultCode": 1, "ResultDesc": "try again"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ResultCode": 0, "ResultDesc": "Accepted"})
}
