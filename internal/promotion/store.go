package promotion

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	stdsql "database/sql"
	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/predicate"
	"github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/voucher"
	"github.com/savannah-commerce/savannah/ent/voucheruse"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// ErrUsageLimitReached: a code's limit was reached between pricing the
// cart and placing the order; nothing was placed.
var ErrUsageLimitReached = errors.New("promotion: usage limit reached")

// LimitError names the code, or the promotion without a code, whose limit
// was reached.
type LimitError struct{ Code, Promotion string }

func (e *LimitError) Error() string {
	if e.Code == "" {
		return "the promotion " + e.Promotion + " has reached its usage limit"
	}
	return "the code " + e.Code + " has reached its usage limit"
}

// Unwrap makes a LimitError an ErrUsageLimitReached.
func (e *LimitError) Unwrap() error { return ErrUsageLimitReached }

// MaxCodes is how many codes a cart holds.
const MaxCodes = 5

// BuyerOf is the buyer for a signed-in customer (customerID non-nil) or a
// guest with a contact ("" while unknown).
func BuyerOf(customerID *int, guestContact string) Buyer {
	switch {
	case customerID != nil:
		return Buyer{SignedIn: true, Key: "c:" + strconv.Itoa(*customerID)}
	case guestContact != "":
		return Buyer{Key: "g:" + strings.ToLower(guestContact)}
	}
	return Buyer{}
}

// Load builds the engine for a cart's lines (loaded with their variants
// and the variants' products) at now, for buyer and the cart's codes. It
// reads as the system, with c (a transaction's client at placeOrder): one
// statement for the running promotions, and, only when needed, two for
// the codes, one for the buyer's uses, one for category paths and one for
// whether this is the customer's first order.
func Load(ctx context.Context, c *ent.Client, now time.Time, lines []*ent.CartLine, codes []string, customerID *int, buyer Buyer) (*Engine, error) {
	sys := viewer.System(ctx, "promotion: price a cart's promotions and codes")
	e := &Engine{Now: now, Buyer: buyer, Codes: codes, Items: make(map[int]Item, len(lines))}
	running, err := c.Promotion.Query().
		Where(promotion.Active(true), promotion.RequiresCode(false), Running(now)).
		All(sys)
	if err != nil {
		return nil, fmt.Errorf("read promotions: %w", err)
	}
	for _, p := range running {
		e.Offers = append(e.Offers, Offer{Promotion: p})
	}
	if len(codes) > 0 {
		vs, err := c.Voucher.Query().Where(voucher.CodeIn(codes...)).WithPromotion().All(sys)
		if err != nil {
			return nil, fmt.Errorf("read vouchers: %w", err)
		}
		uses := map[int]int{}
		if buyer.Key != "" && len(vs) > 0 {
			ids := make([]int, len(vs))
			for i, v := range vs {
				ids[i] = v.ID
			}
			us, err := c.VoucherUse.Query().Where(voucheruse.VoucherIDIn(ids...), voucheruse.Buyer(buyer.Key)).All(sys)
			if err != nil {
				return nil, fmt.Errorf("read voucher uses: %w", err)
			}
			for _, u := range us {
				uses[u.VoucherID] = u.Uses
			}
		}
		for _, v := range vs {
			e.Offers = append(e.Offers, Offer{Promotion: v.Edges.Promotion, Voucher: v, BuyerUses: uses[v.ID]})
		}
	}
	var byCategory, firstOrder bool
	for _, o := range e.Offers {
		byCategory = byCategory || len(o.Promotion.CategoryIds) > 0
		firstOrder = firstOrder || o.Promotion.FirstOrder
	}
	var catIDs []int
	for _, l := range lines {
		it := Item{VariantID: l.VariantID}
		if v := l.Edges.Variant; v != nil && v.Edges.Product != nil {
			it.ProductID = v.ProductID
			it.Categories = []int{v.Edges.Product.CategoryID}
			catIDs = append(catIDs, v.Edges.Product.CategoryID)
		}
		e.Items[l.ID] = it
	}
	if byCategory && len(catIDs) > 0 {
		cats, err := c.Category.Query().Where(category.IDIn(catIDs...)).Select(category.FieldPath).All(sys)
		if err != nil {
			return nil, fmt.Errorf("read categories: %w", err)
		}
		ancestors := map[int][]int{}
		for _, ct := range cats {
			for _, part := range strings.Split(strings.Trim(ct.Path, "/"), "/") {
				if id, err := strconv.Atoi(part); err == nil {
					ancestors[ct.ID] = append(ancestors[ct.ID], id)
				}
			}
		}
		for id, it := range e.Items {
			if len(it.Categories) == 1 {
				it.Categories = append(it.Categories, ancestors[it.Categories[0]]...)
				e.Items[id] = it
			}
		}
	}
	if firstOrder && customerID != nil {
		n, err := c.Order.Query().Where(order.CustomerID(*customerID), order.StatusNEQ(order.StatusCANCELLED)).Count(sys)
		if err != nil {
			return nil, fmt.Errorf("count orders: %w", err)
		}
		e.Buyer.FirstOrder = n == 0
	}
	return e, nil
}

// Running is the window predicate: started by now and not yet ended.
func Running(now time.Time) predicate.Promotion {
	return promotion.And(
		promotion.Or(promotion.StartsAtIsNil(), promotion.StartsAtLTE(now)),
		promotion.Or(promotion.EndsAtIsNil(), promotion.EndsAtGT(now)),
	)
}

// Redeem counts the uses of what an order applied, in the order's
// transaction (c): each promotion's total uses, and each voucher's total
// and per-buyer uses, by conditional UPDATEs (uses < limit), so
// concurrent orders can never exceed a limit on either database (on
// PostgreSQL a concurrent UPDATE waits for the row and re-checks the
// condition). A limit reached is a *LimitError; the caller rolls the
// transaction back.
func Redeem(ctx context.Context, c *ent.Client, applied []schematype.AppliedPromotion) error {
	sys := viewer.System(ctx, "promotion: count the uses of an order's promotions")
	for _, a := range applied {
		n, err := c.Promotion.Update().
			Where(promotion.ID(a.PromotionID), promotion.Or(promotion.UsageLimitIsNil(), func(s *sql.Selector) {
				s.Where(sql.ColumnsLT(s.C(promotion.FieldUses), s.C(promotion.FieldUsageLimit)))
			})).
			AddUses(1).
			Save(sys)
		if err != nil {
			return fmt.Errorf("count promotion use: %w", err)
		}
		if n == 0 {
			return &LimitError{Code: a.Code, Promotion: a.Name}
		}
		if a.VoucherID == 0 {
			continue
		}
		n, err = c.Voucher.Update().
			Where(voucher.ID(a.VoucherID), voucher.Or(voucher.UsageLimitIsNil(), func(s *sql.Selector) {
				s.Where(sql.ColumnsLT(s.C(voucher.FieldUses), s.C(voucher.FieldUsageLimit)))
			})).
			AddUses(1).
			Save(sys)
		if err != nil {
			return fmt.Errorf("count voucher use: %w", err)
		}
		if n == 0 {
			return &LimitError{Code: a.Code}
		}
		if a.Buyer == "" {
			continue
		}
		v, err := c.Voucher.Get(sys, a.VoucherID)
		if err != nil {
			return fmt.Errorf("read voucher: %w", err)
		}
		if err := c.VoucherUse.Create().SetVoucherID(a.VoucherID).SetBuyer(a.Buyer).
			OnConflictColumns(voucheruse.FieldVoucherID, voucheruse.FieldBuyer).DoNothing().Exec(sys); err != nil && !errors.Is(err, stdsql.ErrNoRows) {
			return fmt.Errorf("record voucher buyer: %w", err)
		}
		upd := c.VoucherUse.Update().Where(voucheruse.VoucherID(a.VoucherID), voucheruse.Buyer(a.Buyer))
		if v.PerCustomerLimit != nil {
			upd.Where(voucheruse.UsesLT(*v.PerCustomerLimit))
		}
		n, err = upd.AddUses(1).Save(sys)
		if err != nil {
			return fmt.Errorf("count voucher buyer use: %w", err)
		}
		if n == 0 {
			return &LimitError{Code: a.Code}
		}
	}
	return nil
}

// Release gives back the uses Redeem counted for an order (it was
// cancelled), in the caller's transaction.
func Release(ctx context.Context, c *ent.Client, applied []schematype.AppliedPromotion) error {
	sys := viewer.System(ctx, "promotion: give back a cancelled order's uses")
	for _, a := range applied {
		if _, err := c.Promotion.Update().Where(promotion.ID(a.PromotionID), promotion.UsesGT(0)).AddUses(-1).Save(sys); err != nil {
			return fmt.Errorf("release promotion use: %w", err)
		}
		if a.VoucherID == 0 {
			continue
		}
		if _, err := c.Voucher.Update().Where(voucher.ID(a.VoucherID), voucher.UsesGT(0)).AddUses(-1).Save(sys); err != nil {
			return fmt.Errorf("release voucher use: %w", err)
		}
		if a.Buyer != "" {
			if _, err := c.VoucherUse.Update().
				Where(voucheruse.VoucherID(a.VoucherID), voucheruse.Buyer(a.Buyer), voucheruse.UsesGT(0)).
				AddUses(-1).Save(sys); err != nil {
				return fmt.Errorf("release voucher buyer use: %w", err)
			}
		}
	}
	return nil
}
