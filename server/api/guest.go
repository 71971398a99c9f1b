package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/savannah-commerce/savannah/graph"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// OrderTokenHeader carries a guest's order-access token (see README,
// "Guest checkout").
const OrderTokenHeader = "X-Order-Token"

// OrderGrants resolves an order-access token to the order it grants:
// checkout.Service.OrderGrant.
type OrderGrants interface {
	OrderGrant(ctx context.Context, token string) (int, error)
}

// withOrderGrant reads the X-Order-Token header and lets the request read
// the one order it grants (viewer.WithOrderGrant; ent privacy does the
// rest). A token that is wrong or expired is refused with 401, the same
// answer for both, rather than served as if it were absent: the guest
// must learn that the link no longer works.
func withOrderGrant(log *slog.Logger, grants OrderGrants, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.Header.Get(OrderTokenHeader)
		if raw == "" {
			next.ServeHTTP(w, r)
			return
		}
		id, err := grants.OrderGrant(r.Context(), raw)
		switch {
		case errors.Is(err, checkout.ErrInvalidOrderToken):
			w.Header().Set("Cache-Control", "no-store")
			graph.WriteRequestError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", checkout.ErrInvalidOrderToken.Error())
			return
		case err != nil:
			log.ErrorContext(r.Context(), "resolve order token", slog.Any("err", err))
			w.Header().Set("Cache-Control", "no-store")
			graph.WriteRequestError(w, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal server error")
			return
		}
		next.ServeHTTP(w, r.WithContext(viewer.WithOrderGrant(r.Context(), id)))
	})
}
