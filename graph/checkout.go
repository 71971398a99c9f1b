package graph

import (
	"strconv"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

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

// cartLines decodes cart line inputs.
func cartLines(d *ids, lines []*model.CartLineInput) []checkout.LineInput {
	out := make([]checkout.LineInput, len(lines))
	for i, l := range lines {
		out[i] = checkout.LineInput{VariantID: d.decode(l.VariantID, "lines", strconv.Itoa(i), "variantId"), Quantity: l.Quantity}
	}
	return out
}
