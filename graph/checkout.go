package graph

import (
	"errors"
	"strconv"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

// checkoutCode maps a checkout problem's kind to the contract's code.
func checkoutCode(kind error) model.ErrorCode {
	switch {
	case errors.Is(kind, checkout.ErrRequired):
		return model.ErrorCodeRequired
	case errors.Is(kind, checkout.ErrNotFound):
		return model.ErrorCodeNotFound
	case errors.Is(kind, checkout.ErrInsufficientStock):
		return model.ErrorCodeInsufficientStock
	case errors.Is(kind, checkout.ErrInvalidTransition):
		return model.ErrorCodeInvalidTransition
	case errors.Is(kind, checkout.ErrCartEmpty):
		return model.ErrorCodeCartEmpty
	default:
		return model.ErrorCodeInvalid
	}
}

// checkoutIDs decodes the global IDs a checkout input names; an ID this
// server did not issue is NOT_FOUND at its field, as the service reports
// IDs that name nothing.
type checkoutIDs struct {
	problems []checkout.Problem
}

func (d *checkoutIDs) decode(s string, field ...string) int {
	id, err := scalar.DecodeID(s)
	if err != nil {
		d.problems = append(d.problems, checkout.Problem{Field: field, Kind: checkout.ErrNotFound, Message: "no such object"})
	}
	return id
}

func (d *checkoutIDs) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return &checkout.InputError{Problems: d.problems}
}

// checkoutWrite runs a checkout write once the IDs it names decoded, and
// splits what the user can fix (userErrors, with a nil result) from
// failures (for the error presenter).
func checkoutWrite[T any](d *checkoutIDs, write func() (T, error)) (T, []*model.UserError, error) {
	var zero T
	err := d.err()
	if err == nil {
		var v T
		if v, err = write(); err == nil {
			return v, []*model.UserError{}, nil
		}
	}
	ue, err := userErrors(err)
	return zero, ue, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// addressSnapshot is an order's copy of an address given at checkout.
func addressSnapshot(in *model.AddressInput) *schematype.AddressSnapshot {
	if in == nil {
		return nil
	}
	return &schematype.AddressSnapshot{
		Line1: in.Line1, Line2: deref(in.Line2), City: in.City, Region: deref(in.Region),
		PostalCode: deref(in.PostalCode), CountryCode: in.CountryCode, Phone: deref(in.Phone),
	}
}

// lineTotal is a cart line's price now: the catalogue's current price,
// never one remembered in the cart.
func lineTotal(l *ent.CartLine) int64 {
	if l.Edges.Variant == nil {
		return 0
	}
	return l.Edges.Variant.PriceMinor * int64(l.Quantity)
}

// cartLines decodes cart line inputs.
func cartLines(d *checkoutIDs, lines []*model.CartLineInput) []checkout.LineInput {
	out := make([]checkout.LineInput, len(lines))
	for i, l := range lines {
		out[i] = checkout.LineInput{VariantID: d.decode(l.VariantID, "lines", strconv.Itoa(i), "variantId"), Quantity: l.Quantity}
	}
	return out
}
