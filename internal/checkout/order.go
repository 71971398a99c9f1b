package checkout

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/address"
	"github.com/savannah-commerce/savannah/ent/cart"
	"github.com/savannah-commerce/savannah/ent/cartline"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderevent"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Limits of placeOrder's input, as the schema allows.
const (
	MaxIdempotencyKeyLen = 255
	MaxNoteLen           = 1000
	maxAddressFieldLen   = 200
)

// OrderNumberPrefix and orderNumberBase shape order numbers: SV-100001,
// SV-100002, … from the "order_number" sequence.
const (
	OrderNumberPrefix = "SV-"
	orderNumberBase   = 100000
	orderSequence     = "order_number"
)

// PlaceOrderInput is placeOrder's input with IDs decoded.
type PlaceOrderInput struct {
	CartToken string
	// Exactly one of Address (a new address) and AddressID (from the
	// customer's address book).
	Address        *schematype.AddressSnapshot
	AddressID      *int
	Method         payment.Method
	IdempotencyKey string
	Note           string
	// Contact is a guest's email or phone (guest.go); signed-in
	// customers give none.
	Contact *Contact
}

// check validates the input before anything is read.
func (in *PlaceOrderInput) check() error {
	var ps problems
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	switch {
	case in.IdempotencyKey == "":
		ps.Add(ErrRequired, "an idempotency key is required", "input", "idempotencyKey")
	case len(in.IdempotencyKey) > MaxIdempotencyKeyLen:
		ps.Add(ErrInvalid, fmt.Sprintf("an idempotency key is at most %d bytes", MaxIdempotencyKeyLen), "input", "idempotencyKey")
	}
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > MaxNoteLen {
		ps.Add(ErrInvalid, fmt.Sprintf("a note is at most %d bytes", MaxNoteLen), "input", "note")
	}
	if err := payment.MethodValidator(in.Method); err != nil {
		ps.Add(ErrInvalid, "unknown payment method", "input", "paymentMethod")
	}
	// No address is fine when the cart has one (cartSetShippingAddress);
	// placeOrder says so otherwise.
	checkAddress(&ps, in.Address, in.AddressID, false,
		[]string{"input", "shippingAddress"}, []string{"input", "shippingAddressId"})
	return ps.Err()
}

// checkAddress validates a choice of shipping address before anything is
// read: a new address (trimmed, checked and normalised in place, problems
// under addrAt) or an address-book ID (idAt), never both, and one of them
// when required. The address book's own rules are the Address schema's;
// these are an address given at checkout, for a cart or an order.
func checkAddress(ps *problems, a *schematype.AddressSnapshot, id *int, required bool, addrAt, idAt []string) {
	at := func(base []string, f ...string) []string { return append(append([]string{}, base...), f...) }
	switch {
	case a == nil && id == nil:
		if required {
			ps.Add(ErrRequired, "give a shipping address or an address from your book", addrAt...)
		}
	case a != nil && id != nil:
		ps.Add(ErrInvalid, "give either a new address or one from your book, not both", idAt...)
	case a != nil:
		for _, f := range []struct {
			name     string
			v        *string
			required bool
		}{
			{"line1", &a.Line1, true}, {"line2", &a.Line2, false}, {"city", &a.City, true},
			{"region", &a.Region, false}, {"postalCode", &a.PostalCode, false}, {"phone", &a.Phone, false},
			{"name", &a.Name, false},
		} {
			*f.v = strings.TrimSpace(*f.v)
			switch {
			case f.required && *f.v == "":
				ps.Add(ErrRequired, f.name+" is required", at(addrAt, f.name)...)
			case len(*f.v) > maxAddressFieldLen:
				ps.Add(ErrInvalid, fmt.Sprintf("%s is at most %d bytes", f.name, maxAddressFieldLen), at(addrAt, f.name)...)
			}
		}
		a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
		if !schematype.ValidCountryCode(a.CountryCode) {
			ps.Add(ErrInvalid, "countryCode must be an ISO 3166-1 alpha-2 code such as KE", at(addrAt, "countryCode")...)
		}
	}
}

// PlaceOrder turns the cart into an order in one unit of work: it reserves
// stock for every line with one conditional UPDATE each (so concurrent
// checkouts can never reserve more than is on hand, on either database),
// snapshots lines, prices and the address, numbers the order, records a
// PLACED event and a PENDING payment for the chosen method, and empties
// the cart. Any problem rolls all of it back.
//
// A guest checks out with a contact and gets an order-access token (see
// guest.go).
//
// The same key from the same customer (or the same guest cart) returns
// the same order, even when the requests race: on PostgreSQL, one
// buyer's checkouts are serialised by a transaction-scoped advisory lock
// before the key is looked up; SQLite has a single writer anyway.
func (s *Service) PlaceOrder(ctx context.Context, in PlaceOrderInput) (*ent.Order, error) {
	b, err := s.buyerOf(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if in.Method == payment.MethodMPESA && s.cfg.Mpesa == nil {
		return nil, fail(ErrInvalid, "M-Pesa is not configured on this store; choose another payment method", "input", "paymentMethod")
	}
	var (
		out    *ent.Order
		placed bool // a new order, not the replay of a key
	)
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.System(ctx, "checkout: place an order")
		if err := s.lock(ctx, c, b); err != nil {
			return err
		}
		prior, err := s.prior(ctx, c, b, in.IdempotencyKey)
		if err != nil || prior != nil {
			out = prior
			return err
		}
		o, err := s.placeOrder(ctx, sys, c, b, in)
		if err == nil && b.guest() {
			err = s.sendAccess(ctx, c, o, b)
		}
		out, placed = o, err == nil
		return err
	})
	if err != nil {
		return nil, err
	}
	if placed && s.metrics != nil {
		method := string(in.Method)
		afterCommit(ctx, func() { s.metrics.ordersPlaced.WithLabelValues(method).Inc() })
	}
	return out, nil
}

func (s *Service) placeOrder(ctx, sys context.Context, c *ent.Client, b buyer, in PlaceOrderInput) (*ent.Order, error) {
	// A shopper finds only their own cart or a guest cart (privacy).
	crt, err := c.Cart.Query().Where(cart.Token(in.CartToken)).Only(viewer.AsShopper(ctx))
	if ent.IsNotFound(err) {
		return nil, fail(ErrNotFound, "no such cart", "input", "cartId")
	}
	if err != nil {
		return nil, fmt.Errorf("read cart: %w", err)
	}
	if err := s.lockCart(ctx, c, crt.ID, "input", "cartId"); err != nil {
		return nil, err
	}
	// The cart's shipping as of the lock: a choice committed while this
	// waited for it counts, as lines added do.
	if crt, err = c.Cart.Get(sys, crt.ID); err != nil {
		return nil, fmt.Errorf("read cart: %w", err)
	}
	lines, err := c.CartLine.Query().
		Where(cartline.CartID(crt.ID)).
		WithVariant().
		All(sys)
	if err != nil {
		return nil, fmt.Errorf("read cart lines: %w", err)
	}
	if len(lines) == 0 {
		return nil, fail(ErrCartEmpty, "the cart is empty", "input", "cartId")
	}
	// Reserve in one global order (by variant) so that concurrent
	// checkouts of overlapping carts take row locks in the same order and
	// cannot deadlock on PostgreSQL.
	sort.Slice(lines, func(i, j int) bool { return lines[i].VariantID < lines[j].VariantID })

	if err := shopperProducts(sys, c, variantsOf(lines)...); err != nil {
		return nil, err
	}
	snapshot, err := s.orderAddress(ctx, c, crt, in)
	if err != nil {
		return nil, err
	}
	ship, err := s.orderShipping(ctx, c, crt, lines, snapshot)
	if err != nil {
		return nil, err
	}
	// The reads first: a reservation holds its variant's row lock until
	// commit, and a best-seller's row is every buyer's, so nothing that
	// only reads runs while it is held.
	email, phone, err := s.contactOf(sys, c, b, &snapshot)
	if err != nil {
		return nil, err
	}
	tax, err := s.tax(sys, c)
	if err != nil {
		return nil, err
	}
	promos, err := promotion.Load(ctx, c, s.cfg.Now(), lines, crt.DiscountCodes, b.customerID, promotion.BuyerOf(b.customerID, b.contact))
	if err != nil {
		return nil, err
	}
	var ps problems
	for _, l := range lines {
		pv := l.Edges.Variant
		if !forSale(pv) {
			ps.Add(ErrNotFound, pv.Name+" is no longer for sale; remove it from the cart", "input", "cartId")
			continue
		}
		ok, err := s.inventory.Reserve(sys, pv, l.Quantity)
		if err != nil {
			return nil, err
		}
		if !ok {
			ps.Add(ErrInsufficientStock, fmt.Sprintf("not enough %s (%s) in stock for %d", pv.Name, pv.Sku, l.Quantity), "input", "cartId")
			continue
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	for _, st := range promos.Statuses(linesOf(lines), ship.charge().PriceMinor) {
		if st.Reason == promotion.UsageLimitReached {
			return nil, fail(ErrUsageLimitReached, "the code "+st.Code+" has reached its usage limit; remove it to check out", "input", "cartId")
		}
	}
	totals := Price(lines, tax, ship.charge(), promos)
	applied := promos.Applied(totals)
	if err := promotion.Redeem(ctx, c, applied); err != nil {
		if le := (*promotion.LimitError)(nil); errors.As(err, &le) {
			if le.Code == "" {
				return nil, fail(ErrUsageLimitReached, le.Error()+"; the cart's prices have changed, check them again", "input", "cartId")
			}
			return nil, fail(ErrUsageLimitReached, le.Error()+"; remove it to check out", "input", "cartId")
		}
		return nil, err
	}
	taxLines := make([]schematype.TaxLine, len(totals.Taxes))
	for i, tl := range totals.Taxes {
		taxLines[i] = schematype.TaxLine{
			RateID: tl.ID, Name: tl.Name, ClassName: tl.ClassName, BasisPoints: tl.BasisPoints,
			BaseMinor: tl.BaseMinor, TaxMinor: tl.TaxMinor,
		}
	}
	// Emptying the cart needs no order: done before the number.
	if _, err := c.CartLine.Delete().Where(cartline.CartID(crt.ID)).Exec(sys); err != nil {
		return nil, fmt.Errorf("empty cart: %w", err)
	}
	// The number last: its row lock is held until commit, so every write
	// that does not need the order (reservations, promotion usage, the
	// cart) is done before it is taken. What follows needs the order's
	// row, and the row needs its number (unique, immutable, set when it
	// is created); see nextNumber.
	number, err := s.nextNumber(ctx, c)
	if err != nil {
		return nil, err
	}
	create := s.own(c.Order.Create(), b)
	if snap := ship.snapshot(); snap != nil {
		create.SetShippingMethod(snap)
	}
	o, err := create.
		SetNumber(number).
		SetCurrency(s.cfg.Currency).
		SetSubtotalMinor(totals.SubtotalMinor).
		SetShippingMinor(totals.Shipping.Gross - shippingTaxAdded(totals)).
		SetTotalMinor(totals.Total.Gross).
		SetPricesIncludeTax(totals.PricesIncludeTax).
		SetDiscountMinor(totals.DiscountMinor).
		SetTaxMinor(totals.Total.Tax).
		SetShippingTaxMinor(totals.Shipping.Tax).
		SetShippingDiscountMinor(totals.ShippingDiscountMinor).
		SetTaxLines(taxLines).
		SetPromotions(applied).
		SetEmail(email).
		SetPhone(phone).
		SetShippingAddress(snapshot).
		SetNote(in.Note).
		SetIdempotencyKey(in.IdempotencyKey).
		SetPlacedAt(s.cfg.Now()).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("create order: %w", err)
	}
	onSale := promos.OnSale(totals)
	creates := make([]*ent.OrderLineCreate, len(lines))
	for i, l := range lines {
		pv, priced := l.Edges.Variant, totals.Lines[i]
		creates[i] = c.OrderLine.Create().
			SetOrderID(o.ID).
			SetVariantID(pv.ID).
			SetProductName(pv.Edges.Product.Name).
			SetVariantName(pv.Name).
			SetSku(pv.Sku).
			SetQuantity(priced.Quantity).
			SetUnitPriceMinor(priced.UnitMinor).
			SetLineTotalMinor(priced.TotalMinor).
			SetDiscountMinor(priced.DiscountMinor).
			SetTaxMinor(priced.Amount.Tax).
			SetGrossMinor(priced.Amount.Gross).
			SetTaxClass(tax.ClassNames[priced.ClassID])
		if onSale[priced.ID] {
			creates[i].SetCompareAtPriceMinor(priced.UnitMinor)
		}
	}
	if err := c.OrderLine.CreateBulk(creates...).Exec(sys); err != nil {
		return nil, fmt.Errorf("create order lines: %w", err)
	}
	err = c.OrderEvent.Create().
		SetOrderID(o.ID).
		SetType(orderevent.TypePLACED).
		SetToStatus(string(order.StatusPENDING)).
		SetMessage("Order " + number + " placed").
		SetNillableActorID(b.customerID).
		Exec(sys)
	if err != nil {
		return nil, fmt.Errorf("record order event: %w", err)
	}
	err = c.Payment.Create().
		SetOrderID(o.ID).
		SetMethod(in.Method).
		SetAmountMinor(o.TotalMinor).
		SetCurrency(o.Currency).
		SetPhone(phone).
		Exec(sys)
	if err != nil {
		return nil, fmt.Errorf("create payment: %w", err)
	}
	return o, nil
}

// orderAddress returns the order's address snapshot: the input's, a copy
// of an address from the customer's book, or else the cart's
// (cartSetShippingAddress). Without any, the address is REQUIRED.
func (s *Service) orderAddress(ctx context.Context, c *ent.Client, crt *ent.Cart, in PlaceOrderInput) (schematype.AddressSnapshot, error) {
	if in.Address == nil && in.AddressID == nil {
		if crt.ShippingAddress == nil {
			return schematype.AddressSnapshot{}, fail(ErrRequired, "give a shipping address or an address from your book", "input", "shippingAddress")
		}
		return *crt.ShippingAddress, nil
	}
	return s.shippingAddress(ctx, c, in.Address, in.AddressID, "input", "shippingAddressId")
}

// shippingAddress returns the snapshot of a checked address choice
// (checkAddress): the new address, or a copy of an address from the
// customer's own book (read through privacy as the customer: another's
// address, or any for a guest, is NOT_FOUND at idAt).
func (s *Service) shippingAddress(ctx context.Context, c *ent.Client, a *schematype.AddressSnapshot, id *int, idAt ...string) (schematype.AddressSnapshot, error) {
	if a != nil {
		return *a, nil
	}
	book, err := c.Address.Query().
		Where(address.ID(*id)).
		Only(viewer.AsShopper(ctx))
	if ent.IsNotFound(err) {
		return schematype.AddressSnapshot{}, fail(ErrNotFound, "no such address in your address book", idAt...)
	}
	if err != nil {
		return schematype.AddressSnapshot{}, fmt.Errorf("read address: %w", err)
	}
	return schematype.AddressSnapshot{
		Line1: book.Line1, Line2: book.Line2, City: book.City, Region: book.Region,
		PostalCode: book.PostalCode, CountryCode: book.CountryCode, Phone: book.Phone,
	}, nil
}

// advisoryKey is the PostgreSQL advisory lock key of name (FNV-64a).
func advisoryKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return int64(h.Sum64())
}

// orderSequenceLock is the advisory lock checkouts queue on for the
// order-number row (nextNumber).
var orderSequenceLock = advisoryKey("sequence:" + orderSequence)

// lockCustomer serialises one customer's checkouts and first carts on
// PostgreSQL until the transaction ends, so that the idempotency key
// lookup sees a racing request's committed order instead of placing a
// second one, and a racing first cart is found instead of made twice.
func (s *Service) lockCustomer(ctx context.Context, c *ent.Client, customerID int) error {
	if s.cfg.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", advisoryKey("checkout:"+strconv.Itoa(customerID))); err != nil {
		return fmt.Errorf("lock customer's checkout: %w", err)
	}
	return nil
}

// nextNumber takes the next order number from the sequence row, creating
// the row on first use. The UPDATE holds the row's lock until commit, so
// numbers are unique and, since a rolled-back checkout gives its number
// back, without gaps. It is taken last in placeOrder to hold the lock
// briefly.
//
// On PostgreSQL the checkouts queue for the row on a transaction-scoped
// advisory lock, taken in the same statement just before the row's: a
// released advisory lock goes to the next waiter alone, in arrival order,
// whereas a committed row lock wakes the checkouts waiting on it to race
// for the row again (bench/checkout.sh: Lock:tuple and LWLock:LockManager
// waits gone, p99 a third, throughput the same). The row's lock stays
// what makes numbers gapless; the advisory lock only orders the queue,
// and goes when the row's does.
func (s *Service) nextNumber(ctx context.Context, c *ent.Client) (string, error) {
	update, args := "UPDATE sequences SET value = value + 1 WHERE name = ? RETURNING value", []any{orderSequence}
	if s.cfg.Dialect == dialect.Postgres {
		update = "WITH queue AS (SELECT pg_advisory_xact_lock($2)) " +
			"UPDATE sequences SET value = value + 1 FROM queue WHERE name = $1 RETURNING value"
		args = append(args, orderSequenceLock)
	}
	next := func() (int64, bool, error) {
		rows, err := c.QueryContext(ctx, update, args...)
		if err != nil {
			return 0, false, fmt.Errorf("next order number: %w", err)
		}
		defer rows.Close()
		if !rows.Next() {
			return 0, false, rows.Err()
		}
		var n int64
		if err := rows.Scan(&n); err != nil {
			return 0, false, fmt.Errorf("next order number: %w", err)
		}
		return n, true, rows.Err()
	}
	n, ok, err := next()
	if err != nil {
		return "", err
	}
	if !ok {
		if _, err := c.ExecContext(ctx,
			"INSERT INTO sequences (name, value) VALUES ("+s.placeholder(1)+", 0) ON CONFLICT (name) DO NOTHING", orderSequence); err != nil {
			return "", fmt.Errorf("create order number sequence: %w", err)
		}
		if n, ok, err = next(); err != nil {
			return "", err
		}
		if !ok {
			return "", errors.New("next order number: sequence row missing")
		}
	}
	return OrderNumberPrefix + strconv.FormatInt(orderNumberBase+n, 10), nil
}

// Order returns the order with id as the viewer sees it (their own; staff
// any), or nil.
func (s *Service) Order(ctx context.Context, id int) (*ent.Order, error) {
	o, err := s.db(ctx).Order.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return o, err
}

// shippingTaxAdded is the tax added on top of the shipping price in a
// tax-exclusive store (0 when prices include tax): the order keeps the
// shipping price as quoted, in the store's price mode.
func shippingTaxAdded(t pricing.Totals) int64 {
	if t.PricesIncludeTax {
		return 0
	}
	return t.Shipping.Tax
}

// OrderAmounts are a placed order's taxed figures, from its snapshot.
type OrderAmounts struct {
	Items, Shipping, Total pricing.Amount
}

// AmountsOf derives the taxed figures of a placed order from what it
// snapshotted (internal/pricing's rules: in a tax-inclusive order the
// price is the gross, else the net), so every figure is exact and none
// depends on today's rates.
func AmountsOf(o *ent.Order) OrderAmounts {
	itemsPrice := o.SubtotalMinor - o.DiscountMinor
	a := OrderAmounts{
		Items:    snapAmount(o.PricesIncludeTax, itemsPrice, o.TaxMinor-o.ShippingTaxMinor),
		Shipping: snapAmount(o.PricesIncludeTax, o.ShippingMinor, o.ShippingTaxMinor),
	}
	a.Total = a.Items.Add(a.Shipping)
	return a
}

// LineAmount is a placed order line's taxed figure, as it was placed.
func LineAmount(l *ent.OrderLine) pricing.Amount {
	gross := l.LineTotalMinor
	if l.GrossMinor != nil {
		gross = *l.GrossMinor
	}
	return pricing.Amount{Net: gross - l.TaxMinor, Tax: l.TaxMinor, Gross: gross}
}

func snapAmount(inclusive bool, price, tax int64) pricing.Amount {
	if inclusive {
		return pricing.Amount{Net: price - tax, Tax: tax, Gross: price}
	}
	return pricing.Amount{Net: price, Tax: tax, Gross: price + tax}
}
