package checkout

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/promotion"
)

// SetDiscountCodes replaces the voucher codes on the cart with token:
// trimmed, upper-cased (codes are case-insensitive) and without repeats,
// at most promotion.MaxCodes. Any code is kept: the Cart says of each
// whether it applies and why not (promotion.Reason), as placeOrder will
// price it.
func (s *Service) SetDiscountCodes(ctx context.Context, token string, codes []string) (*ent.Cart, error) {
	var ps problems
	seen := map[string]bool{}
	var norm []string
	for i, c := range codes {
		n := promotion.Normalize(c)
		switch {
		case n == "" || len(n) > 64:
			ps.Add(ErrInvalid, "a code is 1 to 64 characters", "codes", fmt.Sprint(i))
		case !seen[n]:
			seen[n] = true
			norm = append(norm, n)
		}
	}
	if len(norm) > promotion.MaxCodes {
		ps.Add(ErrInvalid, fmt.Sprintf("a cart holds at most %d codes", promotion.MaxCodes), "codes")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s.writeCart(ctx, token, func(sys context.Context, c *ent.Client, crt *ent.Cart) error {
		upd := c.Cart.UpdateOneID(crt.ID)
		if len(norm) == 0 {
			upd.ClearDiscountCodes()
		} else {
			upd.SetDiscountCodes(norm)
		}
		if err := upd.Exec(sys); err != nil {
			return fmt.Errorf("set cart codes: %w", err)
		}
		return nil
	})
}

// PreviewCart prices the cart with token as the viewer sees it (staff:
// any cart), as the Cart would be priced now, within ctx's unit of work:
// a promotion dry run (promotion.Service.Preview) prices it there.
func (s *Service) PreviewCart(ctx context.Context, token string) (CartPrice, error) {
	crt, err := s.Cart(ctx, token)
	if err != nil {
		return CartPrice{}, err
	}
	if crt == nil {
		return CartPrice{}, fail(ErrNotFound, "no such cart", "cartId")
	}
	tax, err := s.Tax(ctx)
	if err != nil {
		return CartPrice{}, err
	}
	return s.PriceCart(ctx, crt, tax)
}
