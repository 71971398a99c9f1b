package graph

import (
	"context"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// This file translates the catalogue's admin inputs to the service's and
// its problems to userErrors, so the resolvers stay one call each.

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
		WeightGrams: in.WeightGrams,
	}
}

// actorID is the signed-in member of staff a catalogue write is recorded
// against in the stock ledger; nil when the system acts.
func actorID(ctx context.Context) *int {
	if v, ok := viewer.From(ctx); ok {
		return &v.CustomerID
	}
	return nil
}
