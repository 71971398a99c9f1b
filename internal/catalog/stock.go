package catalog

import (
	"context"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/inventory"
)

// MaxReasonLen is the longest stock-movement reason, as the schema allows.
const MaxReasonLen = inventory.MaxReasonLen

// AdjustStock changes a variant's stock on hand by delta and records the
// change, with its reason and actor, in the stock ledger, as one unit:
// inventory.Adjust, which refuses (changing nothing) a level below zero,
// below what placed orders reserve, or above MaxStock.
func (s *Service) AdjustStock(ctx context.Context, variantID, delta int, reason string, actorID *int) (*ent.ProductVariant, error) {
	var out *ent.ProductVariant
	err := s.inTx(ctx, func(ctx context.Context, _ *ent.Client) error {
		v, err := s.inventory.Adjust(ctx, variantID, delta, reason, actorID)
		out = v
		return err
	})
	return out, err
}
