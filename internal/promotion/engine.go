// Package promotion is the one home of the store's promotion rules: which
// promotions and voucher codes apply to a cart, how they stack, what each
// takes off, and counting code uses when an order is placed. It fills the
// pricing engine's Discounter hook (internal/pricing), which allocates
// every discount to lines by largest remainder and taxes after discounts;
// checkout.Price plugs it in, so the Cart and placeOrder price alike.
//
// Two tiers. First the catalogue sale: the running catalogue promotions
// (IsCatalogue) stack among themselves and give each unit its sale price,
// the one the catalogue shows (SalePrice). Then the cart's promotions
// (codes, and promotions with cart conditions or cart-wide actions) stack
// among themselves and apply to those sale prices. So a cart never pays
// more than the price the catalogue showed: an EXCLUSIVE cart promotion
// is exclusive among cart promotions, and never takes a sale away.
//
// Stacking within a tier: if any applicable promotion is EXCLUSIVE, the
// one with the highest priority (then the oldest) applies alone.
// Otherwise the single BEST promotion that takes off the most applies,
// and every STACKABLE one adds to it, in priority order. Each works out
// its amount on its tier's unit prices, and is capped at what its lines
// (or the shipping charge, for SHIPPING) still cost, so nothing goes
// below zero.
package promotion

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/pricing"
)

// Reason says why a code does not apply.
type Reason string

// The reasons a code reports.
const (
	Applied           Reason = ""
	NotFound          Reason = "NOT_FOUND"
	Expired           Reason = "EXPIRED"
	NotStarted        Reason = "NOT_STARTED"
	NotApplicable     Reason = "NOT_APPLICABLE"
	MinimumNotMet     Reason = "MINIMUM_NOT_MET"
	UsageLimitReached Reason = "USAGE_LIMIT_REACHED"
	SignInRequired    Reason = "SIGN_IN_REQUIRED"
	FirstOrderOnly    Reason = "FIRST_ORDER_ONLY"
	NotCombinable     Reason = "NOT_COMBINABLE"
)

// Item is what the engine knows of one cart line, by its pricing line ID.
type Item struct {
	VariantID, ProductID int
	// Categories are the product's category and its ancestors.
	Categories []int
}

// Buyer is who the cart is priced for.
type Buyer struct {
	SignedIn bool
	// FirstOrder: a signed-in customer with no order that counts (one
	// not cancelled).
	FirstOrder bool
	// Key identifies the buyer for per-customer limits ("c:<id>" or
	// "g:<contact>"); empty while unknown (a guest's cart).
	Key string
}

// Offer is a promotion that may apply: on its own, or through a code.
type Offer struct {
	Promotion *ent.Promotion
	// Voucher is the code's voucher (nil: no code), and BuyerUses the
	// buyer's uses of it so far.
	Voucher   *ent.Voucher
	BuyerUses int
}

// CodeStatus is what became of one code the shopper entered.
type CodeStatus struct {
	Code string
	// Reason is Applied ("") when the code took something off.
	Reason Reason
	// Promotion is the code's promotion (nil: NotFound).
	Promotion *ent.Promotion
}

// Engine prices one cart's promotions: it is the cart's
// pricing.Discounter. It is pure; Load builds it.
type Engine struct {
	Now    time.Time
	Offers []Offer
	Items  map[int]Item
	Buyer  Buyer
	// Codes are the cart's codes, normalised, in the order entered; a
	// code without an offer is NotFound.
	Codes []string
}

// candidate is one offer evaluated against the lines.
type candidate struct {
	offer     int
	discounts []pricing.Discount
	amount    int64
	reason    Reason
}

// Discounts implements pricing.Discounter: the discounts of the offers
// chosen by stacking, the catalogue tier's first, each with Ref naming
// its offer.
func (e *Engine) Discounts(lines []pricing.Line, shippingMinor int64) []pricing.Discount {
	var out []pricing.Discount
	for _, c := range e.choose(lines, shippingMinor) {
		if c.reason == Applied {
			out = append(out, c.discounts...)
		}
	}
	return out
}

// Statuses reports each of the cart's codes, for a shipping charge of
// shippingMinor (a SHIPPING code takes nothing off, NOT_APPLICABLE, while
// there is no charge).
func (e *Engine) Statuses(lines []pricing.Line, shippingMinor int64) []CodeStatus {
	cands := e.choose(lines, shippingMinor)
	out := make([]CodeStatus, 0, len(e.Codes))
	for _, code := range e.Codes {
		st := CodeStatus{Code: code, Reason: NotFound}
		for _, c := range cands {
			o := e.Offers[c.offer]
			if o.Voucher != nil && o.Voucher.Code == code {
				st = CodeStatus{Code: code, Reason: c.reason, Promotion: o.Promotion}
			}
		}
		out = append(out, st)
	}
	return out
}

// Applied is what the priced totals took off per offer, for the order's
// snapshot (voucher uses are counted from it; Redeem).
func (e *Engine) Applied(t pricing.Totals) []schematype.AppliedPromotion {
	var out []schematype.AppliedPromotion
	for _, d := range t.Discounts {
		i, err := strconv.Atoi(d.Ref)
		if err != nil || i < 0 || i >= len(e.Offers) {
			continue
		}
		o := e.Offers[i]
		if n := len(out); n > 0 && out[n-1].PromotionID == o.Promotion.ID && sameVoucher(out[n-1], o) {
			out[n-1].AmountMinor += d.AppliedMinor
			continue
		}
		ap := schematype.AppliedPromotion{PromotionID: o.Promotion.ID, Name: o.Promotion.Name, AmountMinor: d.AppliedMinor, Shipping: d.Shipping}
		if o.Voucher != nil {
			ap.Code, ap.VoucherID, ap.Buyer = o.Voucher.Code, o.Voucher.ID, e.Buyer.Key
		}
		out = append(out, ap)
	}
	return out
}

// OnSale is the lines (by pricing line ID) that the catalogue sale took
// something off in t: their unit price is the compare-at price the
// catalogue showed beside the sale price.
func (e *Engine) OnSale(t pricing.Totals) map[int]bool {
	out := map[int]bool{}
	for _, d := range t.Discounts {
		i, err := strconv.Atoi(d.Ref)
		if err != nil || i < 0 || i >= len(e.Offers) || d.AppliedMinor == 0 || !e.catalogueTier(i) {
			continue
		}
		for _, id := range d.LineIDs {
			out[id] = true
		}
	}
	return out
}

// Without takes the uses a placed order counted (its applied promotions)
// off the offers' counts, so that the order can be priced again as if it
// had not been placed (a staff preview); nothing is written.
func (e *Engine) Without(applied []schematype.AppliedPromotion) {
	for _, a := range applied {
		seen := map[*ent.Promotion]bool{}
		for i := range e.Offers {
			o := &e.Offers[i]
			if o.Promotion.ID == a.PromotionID && !seen[o.Promotion] {
				seen[o.Promotion] = true
				o.Promotion.Uses = max(o.Promotion.Uses-1, 0)
			}
			if v := o.Voucher; v != nil && a.VoucherID != 0 && v.ID == a.VoucherID {
				v.Uses = max(v.Uses-1, 0)
				if a.Buyer != "" && a.Buyer == e.Buyer.Key {
					o.BuyerUses = max(o.BuyerUses-1, 0)
				}
			}
		}
	}
}

func sameVoucher(a schematype.AppliedPromotion, o Offer) bool {
	if o.Voucher == nil {
		return a.VoucherID == 0
	}
	return a.VoucherID == o.Voucher.ID
}

// catalogueTier reports whether offer i is part of the catalogue sale.
func (e *Engine) catalogueTier(i int) bool {
	return e.Offers[i].Voucher == nil && IsCatalogue(e.Offers[i].Promotion)
}

// choose evaluates every offer, the catalogue tier on the lines' prices
// and the cart tier on the sale prices that leaves, and marks those
// stacking leaves out; the catalogue tier's come first.
func (e *Engine) choose(lines []pricing.Line, shippingMinor int64) []candidate {
	cat := e.stack(lines, shippingMinor, func(i int) bool { return e.catalogueTier(i) })
	// What the sale takes off each line: per unit (its actions take per
	// unit), capped at the line.
	off := map[int]int64{}
	for _, c := range cat {
		if c.reason == Applied {
			for _, d := range c.discounts {
				for _, id := range d.LineIDs {
					off[id] += d.AmountMinor
				}
			}
		}
	}
	sale := make([]pricing.Line, len(lines))
	for k, l := range lines {
		sale[k] = l
		if o := off[l.ID]; o > 0 && l.Quantity > 0 {
			sale[k].UnitMinor = max(l.UnitMinor-o/int64(l.Quantity), 0)
		}
	}
	return append(cat, e.stack(sale, shippingMinor, func(i int) bool { return !e.catalogueTier(i) })...)
}

// stack evaluates the offers of one tier (in reports which) and marks
// those stacking leaves out.
func (e *Engine) stack(lines []pricing.Line, shippingMinor int64, in func(i int) bool) []candidate {
	var cands []candidate
	for i := range e.Offers {
		if in(i) {
			cands = append(cands, e.evaluate(i, lines, shippingMinor))
		}
	}
	// Order of precedence: priority, then the older promotion.
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		pa, pb := e.Offers[cands[order[a]].offer].Promotion, e.Offers[cands[order[b]].offer].Promotion
		if pa.Priority != pb.Priority {
			return pa.Priority > pb.Priority
		}
		return pa.ID < pb.ID
	})
	excl, best := -1, -1
	for _, i := range order {
		c := cands[i]
		if c.reason != Applied {
			continue
		}
		switch e.Offers[c.offer].Promotion.Stacking {
		case promotion.StackingEXCLUSIVE:
			if excl < 0 {
				excl = i
			}
		case promotion.StackingBEST:
			if best < 0 || c.amount > cands[best].amount {
				best = i
			}
		}
	}
	var chosen []candidate
	for _, i := range order {
		c := cands[i]
		if c.reason == Applied {
			keep := false
			switch st := e.Offers[c.offer].Promotion.Stacking; {
			case excl >= 0:
				keep = i == excl
			case st == promotion.StackingBEST:
				keep = i == best
			default:
				keep = true
			}
			if !keep {
				c.reason = NotCombinable
			}
		}
		chosen = append(chosen, c)
	}
	// Back in offer order for Statuses; Discounts keeps precedence order.
	return chosen
}

// evaluate checks offer i's window, limits and conditions and works out
// what its action takes off the lines.
func (e *Engine) evaluate(i int, lines []pricing.Line, shippingMinor int64) candidate {
	o := e.Offers[i]
	p := o.Promotion
	c := candidate{offer: i}
	switch {
	case !p.Active || (p.EndsAt != nil && !e.Now.Before(*p.EndsAt)):
		c.reason = Expired
		return c
	case p.StartsAt != nil && e.Now.Before(*p.StartsAt):
		c.reason = NotStarted
		return c
	case p.RequiresCode && o.Voucher == nil:
		c.reason = NotApplicable
		return c
	}
	if p.UsageLimit != nil && p.Uses >= *p.UsageLimit {
		c.reason = UsageLimitReached
		return c
	}
	if v := o.Voucher; v != nil {
		if (v.UsageLimit != nil && v.Uses >= *v.UsageLimit) ||
			(v.PerCustomerLimit != nil && o.BuyerUses >= *v.PerCustomerLimit) {
			c.reason = UsageLimitReached
			return c
		}
	}
	if p.SignedIn && !e.Buyer.SignedIn {
		c.reason = SignInRequired
		return c
	}
	if p.FirstOrder && !e.Buyer.FirstOrder {
		c.reason = FirstOrderOnly
		return c
	}
	var match []pricing.Line
	var subtotal int64
	var qty int
	for _, l := range lines {
		if l.Quantity > 0 && e.matches(p, l.ID) {
			match = append(match, l)
			subtotal += l.UnitMinor * int64(l.Quantity)
			qty += l.Quantity
		}
	}
	if len(match) == 0 {
		c.reason = NotApplicable
		return c
	}
	if subtotal < p.MinSubtotalMinor || qty < p.MinQuantity {
		c.reason = MinimumNotMet
		return c
	}
	ref := strconv.Itoa(i)
	ids := func(ls []pricing.Line) []int {
		out := make([]int, len(ls))
		for k, l := range ls {
			out[k] = l.ID
		}
		return out
	}
	add := func(amount int64, lineIDs []int) {
		if amount > 0 {
			c.discounts = append(c.discounts, pricing.Discount{Name: p.Name, Ref: ref, AmountMinor: amount, LineIDs: lineIDs})
			c.amount += amount
		}
	}
	switch p.Action {
	case promotion.ActionPERCENTAGE:
		// Off each unit, rounded down per unit, so that a cart charges
		// exactly the sale price the catalogue shows (SalePrice) times
		// the quantity.
		for _, l := range match {
			add(l.UnitMinor*p.PercentBp/10000*int64(l.Quantity), []int{l.ID})
		}
	case promotion.ActionFIXED_AMOUNT:
		add(min(p.AmountMinor, subtotal), ids(match))
	case promotion.ActionFIXED_PRICE:
		for _, l := range match {
			if l.UnitMinor > p.AmountMinor {
				add((l.UnitMinor-p.AmountMinor)*int64(l.Quantity), []int{l.ID})
			}
		}
	case promotion.ActionBUY_X_GET_Y:
		// Of every buy+get units, the cheapest get units are discounted.
		group := p.BuyQuantity + p.GetQuantity
		free := qty / group * p.GetQuantity
		cheap := append([]pricing.Line(nil), match...)
		sort.SliceStable(cheap, func(a, b int) bool { return cheap[a].UnitMinor < cheap[b].UnitMinor })
		for _, l := range cheap {
			n := min(free, l.Quantity)
			free -= n
			add(int64(n)*l.UnitMinor*p.PercentBp/10000, []int{l.ID})
		}
	case promotion.ActionSHIPPING:
		// Off the shipping charge: a percentage (rounded down; 10000:
		// free shipping) or a fixed amount, at most the charge.
		off := p.AmountMinor
		if p.PercentBp > 0 {
			off = shippingMinor * p.PercentBp / 10000
		}
		if off = min(off, shippingMinor); off > 0 {
			c.discounts = append(c.discounts, pricing.Discount{Name: p.Name, Ref: ref, AmountMinor: off, Shipping: true})
			c.amount += off
		}
	}
	if c.amount == 0 {
		c.reason = NotApplicable
	}
	return c
}

// matches reports whether line id is one the promotion's conditions name
// (every line when it names none).
func (e *Engine) matches(p *ent.Promotion, id int) bool {
	if len(p.ProductIds) == 0 && len(p.CategoryIds) == 0 && len(p.VariantIds) == 0 {
		return true
	}
	it, ok := e.Items[id]
	if !ok {
		return false
	}
	for _, v := range p.VariantIds {
		if v == it.VariantID {
			return true
		}
	}
	for _, v := range p.ProductIds {
		if v == it.ProductID {
			return true
		}
	}
	for _, v := range p.CategoryIds {
		for _, c := range it.Categories {
			if v == c {
				return true
			}
		}
	}
	return false
}

// Normalize returns a code as stored: trimmed and upper-case.
func Normalize(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}
