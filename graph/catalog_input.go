package graph

import (
	"context"
	"errors"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// This file translates the catalogue's admin inputs to the service's and
// its problems to userErrors, so the resolvers stay one call each.

// errorCode maps the catalogue's kinds of problem to the contract's codes.
func errorCode(kind error) model.ErrorCode {
	switch {
	case errors.Is(kind, catalog.ErrRequired):
		return model.ErrorCodeRequired
	case errors.Is(kind, catalog.ErrTaken):
		return model.ErrorCodeTaken
	case errors.Is(kind, catalog.ErrNotFound):
		return model.ErrorCodeNotFound
	case errors.Is(kind, catalog.ErrInsufficientStock):
		return model.ErrorCodeInsufficientStock
	default:
		return model.ErrorCodeInvalid
	}
}

// ids decodes the global IDs an admin input refers to. An ID this server
// did not issue cannot name anything, so it is reported as NOT_FOUND at
// its field, beside every other such ID, rather than as a top-level error.
type ids struct {
	problems []catalog.Problem
}

func (d *ids) decode(s string, field ...string) int {
	id, err := scalar.DecodeID(s)
	if err != nil {
		d.problems = append(d.problems, catalog.Problem{Field: field, Kind: catalog.ErrNotFound, Message: "no such object: " + err.Error()})
	}
	return id
}

func (d *ids) decodeOpt(s *string, field ...string) *int {
	if s == nil {
		return nil
	}
	id := d.decode(*s, field...)
	return &id
}

// err is the problems found, as the service would report them.
func (d *ids) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return &catalog.InputError{Problems: d.problems}
}

func options(in []*model.VariantOptionInput) []schematype.VariantOption {
	if in == nil {
		return nil
	}
	out := make([]schematype.VariantOption, len(in))
	for i, o := range in {
		out[i] = schematype.VariantOption{Name: o.Name, Value: o.Value}
	}
	return out
}

func createVariantInput(in *model.CreateProductVariantInput) catalog.VariantInput {
	return catalog.VariantInput{
		SKU:         &in.Sku,
		Name:        &in.Name,
		Price:       &in.Price,
		StockOnHand: in.StockOnHand,
		Options:     options(in.Options),
		OptionsSet:  true,
	}
}

// catalogWrite runs a catalogue write once the IDs it names decoded, and
// splits what the user can fix (userErrors, with a nil result) from
// failures (for the error presenter).
func catalogWrite[T any](d *ids, write func() (T, error)) (T, []*model.UserError, error) {
	var zero T
	err := d.err()
	if err == nil {
		var v T
		v, err = write()
		if err == nil {
			return v, nil, nil
		}
	}
	ue, err := userErrors(err)
	return zero, ue, err
}

// actorID is the signed-in member of staff a catalogue write is recorded
// against in the stock ledger; nil when the system acts.
func actorID(ctx context.Context) *int {
	if v, ok := viewer.From(ctx); ok {
		return &v.CustomerID
	}
	return nil
}
