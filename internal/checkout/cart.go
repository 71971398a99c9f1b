package checkout

import (
	"context"
	"fmt"
	"strconv"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/cartline"
	"github.com/savannah-commerce/savannah/ent/predicate"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// LineInput adds quantity units of a variant to a cart.
type LineInput struct {
	VariantID int
	Quantity  int
}

// LineUpdate sets a cart line's quantity; 0 removes the line.
type LineUpdate struct {
	LineID   int
	Quantity int
}

// Cart returns the cart with token, its lines and their variants, or nil
// when no such cart exists for the viewer: a guest cart is found by anyone
// holding its token, a customer's only by that customer (the privacy
// rules filter the query).
func (s *Service) Cart(ctx context.Context, token string) (*ent.Cart, error) {
	c, err := s.loadCart(ctx, s.db(ctx), cart.Token(token))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// loadCart reads one cart with its lines (oldest first), their variants
// and the variants' products, as the viewer sees it: four statements
// however many lines, which is everything the contract's CartFields ask.
func (s *Service) loadCart(ctx context.Context, c *ent.Client, where ...predicate.Cart) (*ent.Cart, error) {
	return c.Cart.Query().
		Where(where...).
		WithLines(func(q *ent.CartLineQuery) {
			q.Order(ent.Asc(cartline.FieldID)).WithVariant(func(q *ent.ProductVariantQuery) { q.WithProduct() })
		}).
		Only(ctx)
}

// CreateCart starts a cart with lines. A signed-in customer has one cart:
// if they have one already, the lines are added to it and it is returned.
func (s *Service) CreateCart(ctx context.Context, lines []LineInput) (*ent.Cart, error) {
	if err := s.checkLines(lines, "lines"); err != nil {
		return nil, err
	}
	var id int
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.SystemContext(ctx)
		var crt *ent.Cart
		if v, ok := viewer.From(ctx); ok {
			own, err := s.customerCart(sys, c, v.CustomerID)
			if err != nil {
				return err
			}
			crt = own
		} else {
			created, err := c.Cart.Create().
				SetCurrency(s.cfg.Currency).
				SetExpiresAt(s.cfg.Now().Add(s.cfg.CartTTL)).
				Save(sys)
			if err != nil {
				return fmt.Errorf("create cart: %w", err)
			}
			crt = created
		}
		id = crt.ID
		return s.addLines(sys, c, crt, lines, "lines")
	})
	if err != nil {
		return nil, err
	}
	return s.loadCart(ctx, s.db(ctx), cart.ID(id))
}

// customerCart returns the customer's cart, creating it if they have none.
func (s *Service) customerCart(sys context.Context, c *ent.Client, customerID int) (*ent.Cart, error) {
	own, err := c.Cart.Query().
		Where(cart.CustomerID(customerID)).
		Order(ent.Asc(cart.FieldID)).
		First(sys)
	if err == nil {
		return own, nil
	}
	if !ent.IsNotFound(err) {
		return nil, fmt.Errorf("find customer's cart: %w", err)
	}
	own, err = c.Cart.Create().
		SetCustomerID(customerID).
		SetCurrency(s.cfg.Currency).
		SetExpiresAt(s.cfg.Now().Add(s.cfg.CartTTL)).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("create customer's cart: %w", err)
	}
	return own, nil
}

// AddLines adds lines to the cart with token; a variant already in the
// cart gets the quantities added up.
func (s *Service) AddLines(ctx context.Context, token string, lines []LineInput) (*ent.Cart, error) {
	if err := s.checkLines(lines, "lines"); err != nil {
		return nil, err
	}
	return s.writeCart(ctx, token, func(sys context.Context, c *ent.Client, crt *ent.Cart) error {
		return s.addLines(sys, c, crt, lines, "lines")
	})
}

// UpdateLines sets the quantities of lines of the cart with token.
func (s *Service) UpdateLines(ctx context.Context, token string, updates []LineUpdate) (*ent.Cart, error) {
	var ps problems
	if len(updates) == 0 {
		ps.Add(ErrRequired, "give at least one line", "lines")
	}
	for i, u := range updates {
		if u.Quantity < 0 || u.Quantity > s.cfg.MaxLineQuantity {
			ps.Add(ErrInvalid, fmt.Sprintf("quantity must be between 0 and %d", s.cfg.MaxLineQuantity), "lines", strconv.Itoa(i), "quantity")
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s.writeCart(ctx, token, func(sys context.Context, c *ent.Client, crt *ent.Cart) error {
		var ps problems
		for i, u := range updates {
			at := []string{"lines", strconv.Itoa(i)}
			l, err := c.CartLine.Query().
				Where(cartline.ID(u.LineID), cartline.CartID(crt.ID)).
				WithVariant(func(q *ent.ProductVariantQuery) { q.WithProduct() }).
				Only(sys)
			if ent.IsNotFound(err) {
				ps.Add(ErrNotFound, "no such line in this cart", append(at, "lineId")...)
				continue
			}
			if err != nil {
				return fmt.Errorf("read cart line: %w", err)
			}
			if u.Quantity == 0 {
				if err := c.CartLine.DeleteOneID(l.ID).Exec(sys); err != nil {
					return fmt.Errorf("delete cart line: %w", err)
				}
				continue
			}
			if u.Quantity > l.Quantity {
				// Only growing a line needs stock; a shopper may always
				// lower a quantity, even below a level now out of stock.
				if p := s.checkVariant(l.Edges.Variant, u.Quantity, append(at, "quantity")); p != nil {
					ps = append(ps, *p)
					continue
				}
			}
			if err := c.CartLine.UpdateOneID(l.ID).SetQuantity(u.Quantity).Exec(sys); err != nil {
				return fmt.Errorf("update cart line: %w", err)
			}
		}
		return ps.Err()
	})
}

// RemoveLines removes lines from the cart with token.
func (s *Service) RemoveLines(ctx context.Context, token string, lineIDs []int) (*ent.Cart, error) {
	if len(lineIDs) == 0 {
		return nil, fail(ErrRequired, "give at least one line", "lineIds")
	}
	return s.writeCart(ctx, token, func(sys context.Context, c *ent.Client, crt *ent.Cart) error {
		var ps problems
		for i, id := range lineIDs {
			n, err := c.CartLine.Delete().Where(cartline.ID(id), cartline.CartID(crt.ID)).Exec(sys)
			if err != nil {
				return fmt.Errorf("delete cart line: %w", err)
			}
			if n == 0 {
				ps.Add(ErrNotFound, "no such line in this cart", "lineIds", strconv.Itoa(i))
			}
		}
		return ps.Err()
	})
}

// MergeCart folds the guest cart with guestToken into the signed-in
// customer's cart and deletes the guest cart. Quantities of the same
// variant add up, capped by what is available and by the line maximum;
// variants no longer sold are dropped. Merging is what a storefront does
// on sign-in, so it never fails on stock.
func (s *Service) MergeCart(ctx context.Context, guestToken string) (*ent.Cart, error) {
	v, ok := viewer.From(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	var id int
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.SystemContext(ctx)
		guest, err := c.Cart.Query().
			Where(cart.Token(guestToken), cart.CustomerIDIsNil()).
			WithLines(func(q *ent.CartLineQuery) {
				q.Order(ent.Asc(cartline.FieldID)).WithVariant(func(q *ent.ProductVariantQuery) { q.WithProduct() })
			}).
			Only(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such guest cart", "guestCartId")
		}
		if err != nil {
			return fmt.Errorf("read guest cart: %w", err)
		}
		own, err := s.customerCart(sys, c, v.CustomerID)
		if err != nil {
			return err
		}
		id = own.ID
		for _, gl := range guest.Edges.Lines {
			pv := gl.Edges.Variant
			if pv.Edges.Product == nil || pv.Edges.Product.Status != product.StatusACTIVE {
				continue
			}
			existing, err := c.CartLine.Query().
				Where(cartline.CartID(own.ID), cartline.VariantID(pv.ID)).
				Only(sys)
			if err != nil && !ent.IsNotFound(err) {
				return fmt.Errorf("read cart line: %w", err)
			}
			have := 0
			if existing != nil {
				have = existing.Quantity
			}
			want := min(have+gl.Quantity, s.cfg.MaxLineQuantity)
			if pv.TrackInventory {
				want = min(want, pv.QuantityAvailable())
			}
			switch {
			case want <= have:
				continue
			case existing != nil:
				err = c.CartLine.UpdateOneID(existing.ID).SetQuantity(want).Exec(sys)
			default:
				err = c.CartLine.Create().SetCartID(own.ID).SetVariantID(pv.ID).SetQuantity(want).Exec(sys)
			}
			if err != nil {
				return fmt.Errorf("merge cart line: %w", err)
			}
		}
		if _, err := c.CartLine.Delete().Where(cartline.CartID(guest.ID)).Exec(sys); err != nil {
			return fmt.Errorf("empty guest cart: %w", err)
		}
		if err := c.Cart.DeleteOneID(guest.ID).Exec(sys); err != nil {
			return fmt.Errorf("delete guest cart: %w", err)
		}
		return s.touch(sys, c, own.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.loadCart(ctx, s.db(ctx), cart.ID(id))
}

// writeCart finds the cart with token as the viewer sees it (NOT_FOUND at
// cartId otherwise), runs fn on it with system rights, renews the cart's
// idle expiry, and returns the cart as it is now.
func (s *Service) writeCart(ctx context.Context, token string, fn func(sys context.Context, c *ent.Client, crt *ent.Cart) error) (*ent.Cart, error) {
	var id int
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		crt, err := c.Cart.Query().Where(cart.Token(token)).Only(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such cart", "cartId")
		}
		if err != nil {
			return fmt.Errorf("read cart: %w", err)
		}
		id = crt.ID
		sys := viewer.SystemContext(ctx)
		if err := fn(sys, c, crt); err != nil {
			return err
		}
		return s.touch(sys, c, crt.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.loadCart(ctx, s.db(ctx), cart.ID(id))
}

// touch renews a cart's idle expiry (and its updatedAt).
func (s *Service) touch(sys context.Context, c *ent.Client, id int) error {
	if err := c.Cart.UpdateOneID(id).SetExpiresAt(s.cfg.Now().Add(s.cfg.CartTTL)).Exec(sys); err != nil {
		return fmt.Errorf("touch cart: %w", err)
	}
	return nil
}

// checkLines validates line inputs before anything is read.
func (s *Service) checkLines(lines []LineInput, root string) error {
	var ps problems
	for i, l := range lines {
		if l.Quantity < 1 || l.Quantity > s.cfg.MaxLineQuantity {
			ps.Add(ErrInvalid, fmt.Sprintf("quantity must be between 1 and %d", s.cfg.MaxLineQuantity), root, strconv.Itoa(i), "quantity")
		}
	}
	return ps.Err()
}

// addLines adds lines to crt, adding up quantities of a variant already
// there (and repeated in lines); every line is checked before any write.
func (s *Service) addLines(sys context.Context, c *ent.Client, crt *ent.Cart, lines []LineInput, root string) error {
	type want struct {
		index    int // the first input line naming the variant, for error paths
		quantity int
		existing *ent.CartLine
		variant  *ent.ProductVariant
	}
	var (
		ps    problems
		order []int
		wants = map[int]*want{}
	)
	for i, l := range lines {
		if w, ok := wants[l.VariantID]; ok {
			w.quantity += l.Quantity
			continue
		}
		wants[l.VariantID] = &want{index: i, quantity: l.Quantity}
		order = append(order, l.VariantID)
	}
	for _, vid := range order {
		w := wants[vid]
		at := []string{root, strconv.Itoa(w.index)}
		pv, err := c.ProductVariant.Query().
			Where(productvariant.ID(vid)).
			WithProduct().
			Only(sys)
		if ent.IsNotFound(err) {
			ps.Add(ErrNotFound, "no such variant", append(at, "variantId")...)
			continue
		}
		if err != nil {
			return fmt.Errorf("read variant: %w", err)
		}
		w.variant = pv
		existing, err := c.CartLine.Query().Where(cartline.CartID(crt.ID), cartline.VariantID(vid)).Only(sys)
		if err != nil && !ent.IsNotFound(err) {
			return fmt.Errorf("read cart line: %w", err)
		}
		total := w.quantity
		if existing != nil {
			w.existing = existing
			total += existing.Quantity
		}
		if total > s.cfg.MaxLineQuantity {
			ps.Add(ErrInvalid, fmt.Sprintf("a cart holds at most %d of one variant", s.cfg.MaxLineQuantity), append(at, "quantity")...)
			continue
		}
		if p := s.checkVariant(pv, total, append(at, "quantity")); p != nil {
			if p.Kind == ErrNotFound {
				p.Field = append(at, "variantId")
			}
			ps = append(ps, *p)
		}
		w.quantity = total
	}
	if err := ps.Err(); err != nil {
		return err
	}
	for _, vid := range order {
		w := wants[vid]
		var err error
		if w.existing != nil {
			err = c.CartLine.UpdateOneID(w.existing.ID).SetQuantity(w.quantity).Exec(sys)
		} else {
			err = c.CartLine.Create().SetCartID(crt.ID).SetVariantID(vid).SetQuantity(w.quantity).Exec(sys)
		}
		if err != nil {
			return fmt.Errorf("write cart line: %w", err)
		}
	}
	return nil
}

// checkVariant says whether quantity units of pv (loaded with its product)
// may be in a cart: the product must be for sale and, when inventory is
// tracked, the units available.
func (s *Service) checkVariant(pv *ent.ProductVariant, quantity int, field []string) *Problem {
	if pv.Edges.Product == nil || pv.Edges.Product.Status != product.StatusACTIVE {
		return &Problem{Field: field, Kind: ErrNotFound, Message: "this product is not for sale"}
	}
	if pv.TrackInventory {
		if avail := pv.QuantityAvailable(); quantity > avail {
			return &Problem{Field: field, Kind: ErrInsufficientStock, Message: fmt.Sprintf("only %d of %s available", avail, pv.Sku)}
		}
	}
	return nil
}
