package checkout

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"strconv"

	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/cartline"
	"github.com/savannah-commerce/savannah/ent/predicate"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/inventory"
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
		sys := viewer.System(ctx, "checkout: create a cart")
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
// It takes the customer's lock first (lockCustomer), so two first carts of
// one customer cannot both be created: the second would hide the lines
// added to it.
func (s *Service) customerCart(sys context.Context, c *ent.Client, customerID int) (*ent.Cart, error) {
	if err := s.lockCustomer(sys, c, customerID); err != nil {
		return nil, err
	}
	own, err := c.Cart.Query().
		Where(cart.CustomerID(customerID)).
		Order(ent.Asc(cart.FieldID)).
		First(sys)
	if err == nil {
		return own, s.lockCart(sys, c, own.ID)
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
				WithVariant().
				Only(sys)
			if ent.IsNotFound(err) {
				ps.Add(ErrNotFound, "no such line in this cart", append(at, "lineId")...)
				continue
			}
			if err != nil {
				return fmt.Errorf("read cart line: %w", err)
			}
			if u.Quantity == 0 {
				// A line removed concurrently is removed all the same.
				if _, err := c.CartLine.Delete().Where(cartline.ID(l.ID)).Exec(sys); err != nil {
					return fmt.Errorf("delete cart line: %w", err)
				}
				continue
			}
			if u.Quantity > l.Quantity {
				// Only growing a line needs stock; a shopper may always
				// lower a quantity, even below a level now out of stock.
				if err := shopperProducts(sys, c, l.Edges.Variant); err != nil {
					return err
				}
				if p := s.checkVariant(l.Edges.Variant, u.Quantity, append(at, "quantity")); p != nil {
					ps = append(ps, *p)
					continue
				}
			}
			n, err := c.CartLine.Update().Where(cartline.ID(l.ID)).SetQuantity(u.Quantity).Save(sys)
			if err != nil {
				return fmt.Errorf("update cart line: %w", err)
			}
			if n == 0 {
				// Removed by a concurrent request since it was read.
				ps.Add(ErrNotFound, "no such line in this cart", append(at, "lineId")...)
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
// variants no longer sold are dropped; the guest cart's shipping address
// and choice carry over to a customer cart without an address. Merging
// is what a storefront does on sign-in, so it never fails on stock. Of concurrent merges of one
// guest cart, one wins; the others find no such guest cart.
func (s *Service) MergeCart(ctx context.Context, guestToken string) (*ent.Cart, error) {
	v, ok := viewer.From(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	var id int
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: merge a guest cart")
		// Claim the guest cart before reading it: a concurrent merge of
		// the same cart waits here until this one commits, then finds it
		// gone and is told so, instead of merging it twice.
		n, err := c.Cart.Update().
			Where(cart.Token(guestToken), cart.CustomerIDIsNil()).
			SetExpiresAt(s.cfg.Now().Add(s.cfg.CartTTL)).
			Save(sys)
		if err != nil {
			return fmt.Errorf("claim guest cart: %w", err)
		}
		if n == 0 {
			return fail(ErrNotFound, "no such guest cart", "guestCartId")
		}
		guest, err := c.Cart.Query().
			Where(cart.Token(guestToken), cart.CustomerIDIsNil()).
			WithLines(func(q *ent.CartLineQuery) {
				q.Order(ent.Asc(cartline.FieldID)).WithVariant()
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
		if err := shopperProducts(sys, c, variantsOf(guest.Edges.Lines)...); err != nil {
			return err
		}
		for _, gl := range guest.Edges.Lines {
			pv := gl.Edges.Variant
			if !forSale(pv) {
				continue
			}
			if _, _, err := s.upsertLine(sys, c, own.ID, pv, gl.Quantity, true); err != nil {
				return err
			}
		}
		if guest.ShippingAddress != nil && own.ShippingAddress == nil {
			// The shipping chosen signed out carries over (and is
			// checked again when priced and placed).
			err := c.Cart.UpdateOneID(own.ID).
				SetShippingAddress(guest.ShippingAddress).
				SetNillableShippingMethodID(guest.ShippingMethodID).
				SetNillablePickupPointID(guest.PickupPointID).
				Exec(sys)
			if err != nil {
				return fmt.Errorf("carry shipping over: %w", err)
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

// writeCart finds the cart with token as a shopper sees it (NOT_FOUND at
// cartId otherwise), runs fn on it with system rights, renews the cart's
// idle expiry, and returns the cart as it is now.
func (s *Service) writeCart(ctx context.Context, token string, fn func(sys context.Context, c *ent.Client, crt *ent.Cart) error) (*ent.Cart, error) {
	var id int
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		crt, err := c.Cart.Query().Where(cart.Token(token)).Only(viewer.AsShopper(ctx))
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such cart", "cartId")
		}
		if err != nil {
			return fmt.Errorf("read cart: %w", err)
		}
		id = crt.ID
		sys := viewer.System(ctx, "checkout: write a cart")
		if err := s.lockCart(sys, c, crt.ID, "cartId"); err != nil {
			return err
		}
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

// lockCart locks a cart's row until the transaction ends, with an UPDATE
// that changes nothing (as lockOrder does for orders). Every write to a
// cart's lines takes it first, and so does placeOrder before it reads the
// lines it then empties: a line added while a checkout runs waits for it
// and lands in the emptied cart, instead of being deleted unordered. A
// cart deleted since it was read (purged, merged) is NOT_FOUND at field.
func (s *Service) lockCart(ctx context.Context, c *ent.Client, id int, field ...string) error {
	res, err := c.ExecContext(ctx, "UPDATE carts SET updated_at = updated_at WHERE id = "+s.placeholder(1), id)
	if err != nil {
		return fmt.Errorf("lock cart: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("lock cart: %w", err)
	} else if n == 0 {
		return fail(ErrNotFound, "no such cart", field...)
	}
	return nil
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
// there (and repeated in lines). Every variant is checked before any write;
// each line is then one atomic upsert whose update only happens while the
// sum stays within the line's cap (the line maximum and, for tracked
// inventory, the units available), so concurrent adds neither lose units
// nor exceed the cap nor collide on a first insert.
func (s *Service) addLines(sys context.Context, c *ent.Client, crt *ent.Cart, lines []LineInput, root string) error {
	type want struct {
		index    int // the first input line naming the variant, for error paths
		quantity int
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
		// The variant is public; its product loads as a shopper sees it.
		pv, err := c.ProductVariant.Query().
			Where(productvariant.ID(vid)).
			WithProduct().
			Only(viewer.AsShopper(sys))
		if ent.IsNotFound(err) {
			ps.Add(ErrNotFound, "no such variant", append(at, "variantId")...)
			continue
		}
		if err != nil {
			return fmt.Errorf("read variant: %w", err)
		}
		w.variant = pv
		if p := s.lineProblem(pv, w.quantity, at); p != nil {
			ps = append(ps, *p)
		}
	}
	if err := ps.Err(); err != nil {
		return err
	}
	for _, vid := range order {
		w := wants[vid]
		at := []string{root, strconv.Itoa(w.index)}
		have, ok, err := s.upsertLine(sys, c, crt.ID, w.variant, w.quantity, false)
		if err != nil {
			return err
		}
		if !ok {
			p := s.lineProblem(w.variant, have+w.quantity, at)
			if p == nil {
				p = &Problem{Field: append(at, "quantity"), Kind: ErrInsufficientStock, Message: "not that many available"}
			}
			ps = append(ps, *p)
		}
	}
	return ps.Err()
}

// lineProblem says why quantity units of pv (loaded with its product)
// cannot be in one cart line, or nil when they can.
func (s *Service) lineProblem(pv *ent.ProductVariant, quantity int, at []string) *Problem {
	if quantity > s.cfg.MaxLineQuantity {
		return &Problem{Field: append(at, "quantity"), Kind: ErrInvalid, Message: fmt.Sprintf("a cart holds at most %d of one variant", s.cfg.MaxLineQuantity)}
	}
	p := s.checkVariant(pv, quantity, append(at, "quantity"))
	if p != nil && p.Kind == ErrNotFound {
		p.Field = append(at, "variantId")
	}
	return p
}

// lineCap is the most units of pv one cart line may hold.
func (s *Service) lineCap(pv *ent.ProductVariant) int {
	return inventory.Cap(pv, s.cfg.MaxLineQuantity)
}

// upsertLine adds quantity units of pv to the cart's line for it in one
// statement, creating the line if there is none. The line never exceeds
// lineCap: when the sum would, a strict add (clamp false) writes nothing
// and reports ok false, with have the line's quantity; a clamping add
// (merges) fills the line up to the cap instead. The database applies the
// addition to the row as it is when the statement runs, so concurrent adds
// all count, and a concurrent first insert turns into an add.
func (s *Service) upsertLine(sys context.Context, c *ent.Client, cartID int, pv *ent.ProductVariant, quantity int, clamp bool) (have int, ok bool, err error) {
	limit := s.lineCap(pv)
	insert := quantity
	if clamp {
		insert = min(quantity, limit)
	}
	if insert < 1 || insert > limit {
		have, err := s.lineQuantity(sys, c, cartID, pv.ID)
		return have, false, err
	}
	// The line's quantity as the statement finds it. ent qualifies the
	// identifiers of the conflict's WHERE with the table itself, not
	// those of the SET expression.
	qty := func(b *sql.Builder) *sql.Builder {
		return b.Ident(cartline.Table).WriteByte('.').Ident(cartline.FieldQuantity)
	}
	cur := func(b *sql.Builder) *sql.Builder { return b.Ident(cartline.FieldQuantity) }
	var (
		set   func(u *sql.UpdateSet)
		where *sql.Predicate
	)
	if clamp {
		set = func(u *sql.UpdateSet) {
			u.Set(cartline.FieldQuantity, sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("CASE WHEN ")
				qty(b).WriteString(" + ").Arg(quantity).WriteString(" > ").Arg(limit).WriteString(" THEN ").Arg(limit).WriteString(" ELSE ")
				qty(b).WriteString(" + ").Arg(quantity).WriteString(" END")
			}))
		}
		where = sql.P(func(b *sql.Builder) { cur(b).WriteString(" < ").Arg(limit) })
	} else {
		set = func(u *sql.UpdateSet) {
			u.Set(cartline.FieldQuantity, sql.ExprFunc(func(b *sql.Builder) { qty(b).WriteString(" + ").Arg(quantity) }))
		}
		where = sql.P(func(b *sql.Builder) { cur(b).WriteString(" + ").Arg(quantity).WriteString(" <= ").Arg(limit) })
	}
	_, err = c.CartLine.Create().
		SetCartID(cartID).
		SetVariantID(pv.ID).
		SetQuantity(insert).
		OnConflict(
			sql.ConflictColumns(cartline.FieldCartID, cartline.FieldVariantID),
			sql.ResolveWith(set),
			sql.UpdateWhere(where),
		).
		ID(sys)
	switch {
	case err == nil:
		return 0, true, nil
	case errors.Is(err, stdsql.ErrNoRows):
		// The line exists and the add would pass its cap: nothing written.
		have, err := s.lineQuantity(sys, c, cartID, pv.ID)
		return have, false, err
	default:
		return 0, false, fmt.Errorf("add to cart line: %w", err)
	}
}

// lineQuantity is the quantity of the cart's line for a variant, 0 if none.
func (s *Service) lineQuantity(sys context.Context, c *ent.Client, cartID, variantID int) (int, error) {
	l, err := c.CartLine.Query().Where(cartline.CartID(cartID), cartline.VariantID(variantID)).Only(sys)
	switch {
	case ent.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read cart line: %w", err)
	}
	return l.Quantity, nil
}

// checkVariant says whether quantity units of pv (loaded with its product
// as a shopper sees it) may be in a cart: the product must be for sale
// and, when inventory is tracked, the units available.
func (s *Service) checkVariant(pv *ent.ProductVariant, quantity int, field []string) *Problem {
	if !forSale(pv) {
		return &Problem{Field: field, Kind: ErrNotFound, Message: "this product is not for sale"}
	}
	if !inventory.Covers(pv, quantity) {
		return &Problem{Field: field, Kind: ErrInsufficientStock, Message: fmt.Sprintf("only %d of %s available", inventory.Available(pv), pv.Sku)}
	}
	return nil
}

// shopperProducts sets each variant's product edge to its product as a
// shopper sees it, read through privacy (viewer.AsShopper): nil when the
// Product read rule (ent/schema/access, the one home of product
// visibility) hides it from shoppers. One query for all of them.
func shopperProducts(ctx context.Context, c *ent.Client, pvs ...*ent.ProductVariant) error {
	if len(pvs) == 0 {
		return nil
	}
	ids := make([]int, len(pvs))
	for i, pv := range pvs {
		ids[i] = pv.ProductID
	}
	visible, err := c.Product.Query().Where(product.IDIn(ids...)).All(viewer.AsShopper(ctx))
	if err != nil {
		return fmt.Errorf("read products: %w", err)
	}
	byID := make(map[int]*ent.Product, len(visible))
	for _, p := range visible {
		byID[p.ID] = p
	}
	for _, pv := range pvs {
		pv.Edges.Product = byID[pv.ProductID]
	}
	return nil
}

// forSale reports whether a shopper may buy pv: its product, loaded as a
// shopper sees it (shopperProducts, or WithProduct under
// viewer.AsShopper), is visible to them.
func forSale(pv *ent.ProductVariant) bool { return pv.Edges.Product != nil }

// variantsOf is the variants of lines loaded with them.
func variantsOf(lines []*ent.CartLine) []*ent.ProductVariant {
	out := make([]*ent.ProductVariant, len(lines))
	for i, l := range lines {
		out[i] = l.Edges.Variant
	}
	return out
}
