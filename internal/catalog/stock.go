package catalog

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/productvariant"
)

// MaxReasonLen is the longest stock-movement reason, as the schema allows.
const MaxReasonLen = 500

// AdjustStock changes a variant's stock on hand by delta and records the
// change, with its reason, actor and resulting level, in the stock ledger,
// in one transaction. The change is one conditional UPDATE: it applies only
// if the result stays at or above both zero and what placed orders reserve,
// and at or below MaxStock (the bounds of creation), so concurrent
// adjustments and reservations can never take stock out of them; otherwise
// it answers INSUFFICIENT_STOCK (or INVALID, above MaxStock) and changes
// nothing.
func (s *Service) AdjustStock(ctx context.Context, variantID, delta int, reason string, actorID *int) (*ent.ProductVariant, error) {
	var ps problems
	reason = strings.TrimSpace(reason)
	switch {
	case delta == 0:
		ps.Add(ErrInvalid, "delta must not be zero", "delta")
	case delta < -MaxStock || delta > MaxStock:
		ps.Add(ErrInvalid, fmt.Sprintf("delta must be between -%d and %d", MaxStock, MaxStock), "delta")
	}
	switch {
	case reason == "":
		ps.Add(ErrRequired, "a reason is required", "reason")
	case len(reason) > MaxReasonLen: // bytes, as the schema counts
		ps.Add(ErrInvalid, fmt.Sprintf("a reason is at most %d bytes", MaxReasonLen), "reason")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.ProductVariant
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		n, err := c.ProductVariant.Update().
			Where(productvariant.ID(variantID), stockAllows(delta)).
			AddStockOnHand(delta).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("adjust stock: %w", err)
		}
		if n == 0 {
			v, err := c.ProductVariant.Get(ctx, variantID)
			if ent.IsNotFound(err) {
				return fail(ErrNotFound, "no such variant", "variantId")
			}
			if err != nil {
				return fmt.Errorf("read variant: %w", err)
			}
			if v.StockOnHand+delta > MaxStock {
				return fail(ErrInvalid, fmt.Sprintf(
					"stock on hand is %d; it cannot change by %d, as it is at most %d", v.StockOnHand, delta, MaxStock), "delta")
			}
			return fail(ErrInsufficientStock, fmt.Sprintf(
				"stock on hand is %d with %d reserved; it cannot change by %d", v.StockOnHand, v.Reserved, delta), "delta")
		}
		// The UPDATE holds the row's lock until commit, so this reads the
		// level this adjustment produced.
		out, err = c.ProductVariant.Get(ctx, variantID)
		if err != nil {
			return fmt.Errorf("read variant: %w", err)
		}
		err = c.StockMovement.Create().
			SetVariantID(variantID).
			SetDelta(delta).
			SetReason(reason).
			SetResultingLevel(out.StockOnHand).
			SetNillableActorID(actorID).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("record stock movement: %w", err)
		}
		return nil
	})
	return out, err
}

// stockAllows matches a variant whose stock on hand may change by delta:
// the result is neither negative, nor below the reserved quantity, nor
// above MaxStock.
func stockAllows(delta int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(productvariant.FieldStockOnHand)).WriteString(" + ").Arg(delta).WriteString(" >= ").Ident(s.C(productvariant.FieldReserved))
		}))
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(productvariant.FieldStockOnHand)).WriteString(" + ").Arg(delta).WriteString(" >= 0")
		}))
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(productvariant.FieldStockOnHand)).WriteString(" + ").Arg(delta).WriteString(" <= ").Arg(MaxStock)
		}))
	}
}
