package graph

import (
	"context"
	"sync"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

// cartPrices memoizes each cart's price (checkout.PriceCart) for one
// operation, so the cart's totals, tax lines, shipping options and every
// line's share of the tax come from one pricing. It is keyed by the
// loaded cart: a mutation that writes a cart returns a fresh one, priced
// afresh.
type cartPrices struct {
	mu     sync.Mutex
	byCart map[*ent.Cart]*cartPrice
}

type cartPrice struct {
	once  sync.Once
	price checkout.CartPrice
	err   error
}

// cartPrice prices the cart once per operation, with the operation's tax
// setup.
// A line resolved without its cart (none is) has nothing to share.
func (r *Resolver) cartPrice(ctx context.Context, c *ent.Cart) (checkout.CartPrice, error) {
	if c == nil {
		return checkout.CartPrice{}, nil
	}
	m := &r.loadersFrom(ctx).cartPrices
	m.mu.Lock()
	if m.byCart == nil {
		m.byCart = map[*ent.Cart]*cartPrice{}
	}
	p, ok := m.byCart[c]
	if !ok {
		p = &cartPrice{}
		m.byCart[c] = p
	}
	m.mu.Unlock()
	p.once.Do(func() {
		tax, err := r.taxOf(ctx)
		if err != nil {
			p.err = err
			return
		}
		p.price, p.err = r.checkout.PriceCart(ctx, c, tax)
	})
	return p.price, p.err
}
