// Package inventory is the one home of stock. Every change to a variant's
// stock on hand or reserved units is a method of Inventory (Reserve,
// Release, Ship, Adjust, and the opening stock of a new variant), used by
// checkout and the catalogue alike, and what a shopper may still buy is
// derived here (Available, InStock, Covers).
//
// The invariant is 0 <= reserved <= stock_on_hand <= MaxStock. Every move
// is one conditional UPDATE whose WHERE is that invariant after the move
// (fits), so concurrent moves can never break it on either database: the
// UPDATE re-checks the locked, current row (PostgreSQL re-evaluates the
// WHERE after waiting for a concurrent writer; SQLite has one writer). The
// database holds the invariant too, as the CHECK constraint
// schema.StockCheck; should any writer ever reach it, the violation comes
// back as ErrStockRule (INSUFFICIENT_STOCK), never as SQL text.
//
// Methods run in the transaction ctx carries (ent.FromContext), which the
// calling service opens as its unit of work; outside one, a method that
// writes more than one row opens its own. They write with ctx's viewer:
// the caller decides whose rights a move runs with.
package inventory

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/schema"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/input"
)

// MaxStock bounds a variant's stock on hand, on creation and after any
// adjustment.
const MaxStock = 1_000_000

// MaxReasonLen is the longest stock-movement reason, as the schema allows.
const MaxReasonLen = 500

// OpeningReason is the ledger reason of a new variant's opening stock.
const OpeningReason = "initial stock"

// ErrStockRule is a move the database refused because it would break
// 0 <= reserved <= stock_on_hand: nothing moved. It is an
// INSUFFICIENT_STOCK problem, so it reaches a shopper as one.
var ErrStockRule = input.Fail(input.ErrInsufficientStock, "not that much stock; nothing changed")

// Inventory moves stock.
type Inventory struct {
	client *ent.Client
}

// New returns the inventory over client (used when ctx carries no
// transaction).
func New(client *ent.Client) *Inventory {
	return &Inventory{client: client}
}

// Available is how many units of pv shoppers may still buy: stock on hand
// less what placed orders reserve, never below zero (whether or not
// inventory is tracked; see Covers).
func Available(pv *ent.ProductVariant) int {
	return pv.QuantityAvailable()
}

// Covers reports whether quantity units of pv can be sold now: always when
// its inventory is not tracked, else when that many are available.
func Covers(pv *ent.ProductVariant, quantity int) bool {
	return !pv.TrackInventory || quantity <= Available(pv)
}

// InStock reports whether at least one unit of pv can be sold now.
func InStock(pv *ent.ProductVariant) bool { return Covers(pv, 1) }

// Cap is the most units of pv one sale may take, at most limit: limit
// itself when inventory is not tracked.
func Cap(pv *ent.ProductVariant, limit int) int {
	if pv.TrackInventory {
		return min(limit, Available(pv))
	}
	return limit
}

// Reserve holds quantity units of a tracked variant for a placed order.
// It reports false, writing nothing, when fewer are available; a variant
// whose inventory is not tracked reserves nothing and reports true.
func (i *Inventory) Reserve(ctx context.Context, pv *ent.ProductVariant, quantity int) (bool, error) {
	if !pv.TrackInventory {
		return true, nil
	}
	return i.move(ctx, i.db(ctx), pv.ID, 0, quantity, true)
}

// Release gives back quantity units an order reserved (on cancellation).
// A variant that is not tracked (or holds fewer reserved, which the
// invariant says cannot happen for an order's own lines) is left as is.
func (i *Inventory) Release(ctx context.Context, variantID, quantity int) error {
	_, err := i.move(ctx, i.db(ctx), variantID, 0, -quantity, true)
	return err
}

// Ship turns quantity reserved units of a tracked variant into stock
// leaving with an order: on hand and reserved both go down, and the ledger
// records the movement against the order. A variant that is not tracked
// reserved nothing, and nothing moves.
func (i *Inventory) Ship(ctx context.Context, variantID, quantity int, o *ent.Order) error {
	return database.InTx(ctx, i.client, func(ctx context.Context) error {
		c := ent.FromContext(ctx)
		ok, err := i.move(ctx, c, variantID, -quantity, -quantity, true)
		if err != nil || !ok {
			return err
		}
		_, err = i.record(ctx, c, variantID, -quantity, "shipped in order "+o.Number, nil, &o.ID)
		return err
	})
}

// Adjust changes a variant's stock on hand by delta (a count, a delivery,
// a write-off) and records it, with its reason and actor, in the ledger.
// It refuses, changing nothing, a change that would leave stock on hand
// below zero, below what placed orders reserve (INSUFFICIENT_STOCK) or
// above MaxStock (INVALID). Problems are reported at the names of
// adjustStock's arguments: variantId, delta, reason.
func (i *Inventory) Adjust(ctx context.Context, variantID, delta int, reason string, actorID *int) (*ent.ProductVariant, error) {
	var ps input.Problems
	reason = strings.TrimSpace(reason)
	switch {
	case delta == 0:
		ps.Add(input.ErrInvalid, "delta must not be zero", "delta")
	case delta < -MaxStock || delta > MaxStock:
		ps.Add(input.ErrInvalid, fmt.Sprintf("delta must be between -%d and %d", MaxStock, MaxStock), "delta")
	}
	switch {
	case reason == "":
		ps.Add(input.ErrRequired, "a reason is required", "reason")
	case len(reason) > MaxReasonLen: // bytes, as the schema counts
		ps.Add(input.ErrInvalid, fmt.Sprintf("a reason is at most %d bytes", MaxReasonLen), "reason")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.ProductVariant
	err := database.InTx(ctx, i.client, func(ctx context.Context) error {
		c := ent.FromContext(ctx)
		ok, err := i.move(ctx, c, variantID, delta, 0, false)
		if err != nil {
			return err
		}
		if !ok {
			v, err := c.ProductVariant.Get(ctx, variantID)
			if ent.IsNotFound(err) {
				return input.Fail(input.ErrNotFound, "no such variant", "variantId")
			}
			if err != nil {
				return fmt.Errorf("read variant: %w", err)
			}
			if v.StockOnHand+delta > MaxStock {
				return input.Fail(input.ErrInvalid, fmt.Sprintf(
					"stock on hand is %d; it cannot change by %d, as it is at most %d", v.StockOnHand, delta, MaxStock), "delta")
			}
			return input.Fail(input.ErrInsufficientStock, fmt.Sprintf(
				"stock on hand is %d with %d reserved; it cannot change by %d", v.StockOnHand, v.Reserved, delta), "delta")
		}
		out, err = i.record(ctx, c, variantID, delta, reason, actorID, nil)
		return err
	})
	return out, err
}

// Opening is the ledger entry of a new variant's opening stock, to save
// with the variant (alone, or in bulk by an import); nil when it opens
// with none.
func Opening(c *ent.Client, pv *ent.ProductVariant, reason string, actorID *int) *ent.StockMovementCreate {
	if pv.StockOnHand <= 0 {
		return nil
	}
	return c.StockMovement.Create().
		SetVariantID(pv.ID).
		SetDelta(pv.StockOnHand).
		SetResultingLevel(pv.StockOnHand).
		SetReason(reason).
		SetNillableActorID(actorID)
}

// db is the transaction's client when ctx carries one.
func (i *Inventory) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return i.client
}

// move adds onHand and reserved to a variant (only a tracked one, when
// tracked) in one conditional UPDATE, and reports whether it applied:
// false when the variant does not exist (or is not tracked) or the move
// would break the invariant (fits).
func (i *Inventory) move(ctx context.Context, c *ent.Client, variantID, onHand, reserved int, tracked bool) (bool, error) {
	u := c.ProductVariant.Update().Where(productvariant.ID(variantID), fits(onHand, reserved))
	if tracked {
		u.Where(productvariant.TrackInventory(true))
	}
	if onHand != 0 {
		u.AddStockOnHand(onHand)
	}
	if reserved != 0 {
		u.AddReserved(reserved)
	}
	n, err := u.Save(ctx)
	if err != nil {
		if isStockRule(err) {
			return false, ErrStockRule
		}
		return false, fmt.Errorf("move stock: %w", err)
	}
	return n > 0, nil
}

// record appends a movement of delta to the ledger, with the level the
// move produced: the UPDATE holds the row's lock until commit, so the read
// sees it.
func (i *Inventory) record(ctx context.Context, c *ent.Client, variantID, delta int, reason string, actorID, orderID *int) (*ent.ProductVariant, error) {
	pv, err := c.ProductVariant.Get(ctx, variantID)
	if err != nil {
		return nil, fmt.Errorf("read variant: %w", err)
	}
	err = c.StockMovement.Create().
		SetVariantID(variantID).
		SetDelta(delta).
		SetReason(reason).
		SetResultingLevel(pv.StockOnHand).
		SetNillableActorID(actorID).
		SetNillableOrderID(orderID).
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("record stock movement: %w", err)
	}
	return pv, nil
}

// fits matches a variant whose stock may move by onHand and reserved: the
// invariant 0 <= reserved <= stock_on_hand <= MaxStock holds after the
// move (stock on hand is then at least zero too). This is the one place
// the invariant is written as a predicate.
func fits(onHand, reserved int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		next := func(b *sql.Builder, col string, d int) *sql.Builder {
			return b.WriteByte('(').Ident(s.C(col)).WriteString(" + ").Arg(d).WriteByte(')')
		}
		s.Where(sql.P(func(b *sql.Builder) {
			next(b, productvariant.FieldReserved, reserved).WriteString(" >= 0 AND ")
			next(b, productvariant.FieldReserved, reserved).WriteString(" <= ")
			next(b, productvariant.FieldStockOnHand, onHand).WriteString(" AND ")
			next(b, productvariant.FieldStockOnHand, onHand).WriteString(" <= ").Arg(MaxStock)
		}))
	}
}

// isStockRule reports whether err is the database refusing a write that
// would break the stock CHECK constraint.
func isStockRule(err error) bool {
	return sqlgraph.IsCheckConstraintError(err) && strings.Contains(err.Error(), schema.StockCheck)
}

// stockColumn reports whether a stock move writes column: the two
// figures, and updated_at, which every update sets.
func stockColumn(column string) bool {
	switch column {
	case productvariant.FieldStockOnHand, productvariant.FieldReserved, productvariant.FieldUpdatedAt:
		return true
	}
	return false
}

// StockOnly reports whether m is an update of variants that changes
// nothing but their stock (and updatedAt): what every move of this
// package writes. Caches use it to keep answers that do not show stock
// (see cache.InvalidateOnWrite).
func StockOnly(m ent.Mutation) bool {
	vm, ok := m.(*ent.ProductVariantMutation)
	if !ok || !vm.Op().Is(ent.OpUpdate|ent.OpUpdateOne) {
		return false
	}
	if len(vm.ClearedFields()) > 0 || len(vm.AddedEdges()) > 0 || len(vm.RemovedEdges()) > 0 || len(vm.ClearedEdges()) > 0 {
		return false
	}
	for _, fields := range [][]string{vm.Fields(), vm.AddedFields()} {
		for _, f := range fields {
			if !stockColumn(f) {
				return false
			}
		}
	}
	return true
}
