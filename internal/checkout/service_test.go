package checkout_test

import (
	"context"
	"fmt"
	"testing"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderline"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/stockmovement"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/pricing"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// The business-layer tests call the checkout service directly, next to
// the black-box GraphQL tests of server/api; small factories build what
// each case needs.

// shop is one case's store: the service over a fresh database.
type shop struct {
	t   *testing.T
	svc *checkout.Service
	c   *ent.Client
	sys context.Context
	n   int // names rows uniquely
}

func newShop(t *testing.T, db *database.DB) *shop {
	t.Helper()
	client := db.Client()
	svc, err := checkout.NewService(checkout.Config{Client: client, Dialect: db.Dialect, Currency: "KES"})
	require.NoError(t, err)
	return &shop{t: t, svc: svc, c: client, sys: viewer.System(context.Background(), "test: set up")}
}

// variant makes a product on sale with one variant priced priceMinor,
// holding onHand units (tracked unless untracked).
func (s *shop) variant(priceMinor int64, onHand int, tracked bool) *ent.ProductVariant {
	s.t.Helper()
	s.n++
	cat := s.c.Category.Create().SetName(fmt.Sprint("Cat ", s.n)).SetSlug(fmt.Sprint("cat-", s.n)).SaveX(s.sys)
	p := s.c.Product.Create().SetName(fmt.Sprint("Product ", s.n)).SetSlug(fmt.Sprint("product-", s.n)).
		SetStatus(product.StatusACTIVE).SetCategoryID(cat.ID).SaveX(s.sys)
	return s.c.ProductVariant.Create().SetProductID(p.ID).SetSku(fmt.Sprint("SKU-", s.n)).SetName("Standard").
		SetPriceMinor(priceMinor).SetStockOnHand(onHand).SetTrackInventory(tracked).
		SetOptions([]schematype.VariantOption{}).SaveX(s.sys)
}

// customer makes a customer and returns a context acting as them.
func (s *shop) customer() context.Context {
	s.t.Helper()
	s.n++
	c := s.c.Customer.Create().SetEmail(fmt.Sprintf("c%d@example.com", s.n)).SetName("Wanjiru").
		SetRole(customer.RoleCUSTOMER).SaveX(s.sys)
	return viewer.With(context.Background(), viewer.Viewer{CustomerID: c.ID, Role: viewer.Customer})
}

// cart fills the customer's cart with quantity units of each variant.
func (s *shop) cart(ctx context.Context, quantity int, vs ...*ent.ProductVariant) string {
	s.t.Helper()
	lines := make([]checkout.LineInput, len(vs))
	for i, v := range vs {
		lines[i] = checkout.LineInput{VariantID: v.ID, Quantity: quantity}
	}
	c, err := s.svc.CreateCart(ctx, lines)
	require.NoError(s.t, err)
	return c.Token
}

func (s *shop) place(ctx context.Context, token, key string) (*ent.Order, error) {
	return s.svc.PlaceOrder(ctx, checkout.PlaceOrderInput{
		CartToken:      token,
		Address:        &schematype.AddressSnapshot{Line1: "Moi Avenue 1", City: "Nairobi", CountryCode: "KE"},
		Method:         payment.MethodCASH_ON_DELIVERY,
		IdempotencyKey: key,
	})
}

// stock is a variant's (on hand, reserved) now.
func (s *shop) stock(v *ent.ProductVariant) [2]int {
	s.t.Helper()
	got := s.c.ProductVariant.GetX(s.sys, v.ID)
	return [2]int{got.StockOnHand, got.Reserved}
}

// TestPlaceOrderReservesAndPrices: placing an order reserves each tracked
// line and prices it with checkout.Price; each refusal writes nothing.
func TestPlaceOrderReservesAndPrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		for _, tc := range []struct {
			name           string
			onHand         int
			tracked        bool
			quantity       int
			takenMeanwhile int // reserved by others after the cart was filled
			guest          bool
			wantErr        error
			wantStock      [2]int
		}{
			{name: "reserves a tracked line", onHand: 5, tracked: true, quantity: 2, wantStock: [2]int{5, 2}},
			{name: "reserves the last units", onHand: 3, tracked: true, quantity: 3, wantStock: [2]int{3, 3}},
			{name: "untracked reserves nothing", onHand: 0, tracked: false, quantity: 4, wantStock: [2]int{0, 0}},
			{name: "short after others reserved", onHand: 5, tracked: true, quantity: 3, takenMeanwhile: 3, wantErr: input.ErrInsufficientStock, wantStock: [2]int{5, 3}},
			{name: "guests sign in first", onHand: 5, tracked: true, quantity: 1, guest: true, wantErr: checkout.ErrUnauthenticated, wantStock: [2]int{5, 0}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s.t = t
				v := s.variant(150000, tc.onHand, tc.tracked)
				ctx := s.customer()
				token := s.cart(ctx, tc.quantity, v)
				if tc.takenMeanwhile > 0 {
					require.NoError(t, s.c.ProductVariant.UpdateOneID(v.ID).SetReserved(tc.takenMeanwhile).Exec(s.sys))
				}
				placeCtx := ctx
				if tc.guest {
					placeCtx = context.Background()
				}
				o, err := s.place(placeCtx, token, "key-"+tc.name)
				require.Equal(t, tc.wantStock, s.stock(v))
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr)
					require.Nil(t, o)
					me, _ := viewer.From(ctx)
					require.Zero(t, s.c.Order.Query().Where(order.CustomerID(me.CustomerID)).CountX(s.sys), "nothing written")
					c, err := s.svc.Cart(ctx, token)
					require.NoError(t, err)
					require.Len(t, c.Edges.Lines, 1, "the cart keeps its lines")
					return
				}
				require.NoError(t, err)
				want := 150000 * int64(tc.quantity)
				require.Equal(t, [3]int64{want, 0, want}, [3]int64{o.SubtotalMinor, o.ShippingMinor, o.TotalMinor})
				lines := s.c.OrderLine.Query().Where(orderline.OrderID(o.ID)).AllX(s.sys)
				require.Len(t, lines, 1)
				require.Equal(t, [2]int64{150000, want}, [2]int64{lines[0].UnitPriceMinor, lines[0].LineTotalMinor})
			})
		}
	})
}

// TestOrderStockMoves: cancelling releases an order's reservation,
// shipping takes it off the shelf with a ledger entry; an illegal move
// changes no stock.
func TestOrderStockMoves(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		for _, tc := range []struct {
			name      string
			path      []order.Status
			wantErr   error
			wantStock [2]int
			ledger    int // shipment entries
		}{
			{name: "placed holds", path: nil, wantStock: [2]int{10, 4}},
			{name: "cancel releases", path: []order.Status{order.StatusCANCELLED}, wantStock: [2]int{10, 0}},
			{name: "confirm then cancel releases", path: []order.Status{order.StatusCONFIRMED, order.StatusCANCELLED}, wantStock: [2]int{10, 0}},
			{name: "ship takes off the shelf", path: []order.Status{order.StatusCONFIRMED, order.StatusSHIPPED}, wantStock: [2]int{6, 0}, ledger: 1},
			{name: "cannot ship unconfirmed", path: []order.Status{order.StatusSHIPPED}, wantErr: input.ErrInvalidTransition, wantStock: [2]int{10, 4}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s.t = t
				v := s.variant(99900, 10, true)
				ctx := s.customer()
				o, err := s.place(ctx, s.cart(ctx, 4, v), "k")
				require.NoError(t, err)
				var last error
				for _, to := range tc.path {
					_, last = s.svc.UpdateOrderStatus(viewer.With(s.sys, viewer.Viewer{CustomerID: *o.CustomerID, Role: viewer.Staff}), o.ID, to, "")
					if last != nil {
						break
					}
				}
				if tc.wantErr != nil {
					require.ErrorIs(t, last, tc.wantErr)
				} else {
					require.NoError(t, last)
				}
				require.Equal(t, tc.wantStock, s.stock(v))
				shipped := s.c.StockMovement.Query().Where(stockmovement.VariantID(v.ID), stockmovement.OrderID(o.ID)).AllX(s.sys)
				require.Len(t, shipped, tc.ledger)
				if tc.ledger > 0 {
					require.Equal(t, [2]int{-4, 6}, [2]int{shipped[0].Delta, shipped[0].ResultingLevel})
				}
			})
		}
	})
}

// TestStockInvariantInDatabase: the CHECK constraint refuses, on both
// dialects, a write that puts reserved above stock on hand, and accepts
// the edge.
func TestStockInvariantInDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		v := s.variant(100, 3, true)
		err := s.c.ProductVariant.UpdateOneID(v.ID).SetReserved(4).Exec(s.sys)
		require.True(t, sqlgraph.IsCheckConstraintError(err), "%v", err)
		require.NoError(t, s.c.ProductVariant.UpdateOneID(v.ID).SetReserved(3).Exec(s.sys))
		err = s.c.ProductVariant.UpdateOneID(v.ID).AddStockOnHand(-1).Exec(s.sys)
		require.True(t, sqlgraph.IsCheckConstraintError(err), "%v", err)
		require.Equal(t, [2]int{3, 3}, s.stock(v))
	})
}

// TestPrice is the cart pricing function's table: line totals, subtotal,
// quantity and total, in minor units, with and without tax.
func TestPrice(t *testing.T) {
	t.Parallel()
	line := func(id int, price int64, q int) *ent.CartLine {
		l := &ent.CartLine{ID: id, VariantID: id * 10, Quantity: q}
		l.Edges.Variant = &ent.ProductVariant{ID: id * 10, PriceMinor: price}
		return l
	}
	zeroRated := line(4, 1000, 1)
	zeroRated.Edges.Variant.TaxClassID = new(2)
	vat := checkout.Tax{
		PricesIncludeTax: true, DefaultClassID: 1,
		Rates: []pricing.Rate{{ID: 7, Name: "VAT", ClassID: 1, BasisPoints: 1600}, {ID: 8, Name: "VAT 0%", ClassID: 2}},
	}
	amount := func(net, tax, gross int64) pricing.Amount { return pricing.Amount{Net: net, Tax: tax, Gross: gross} }
	for _, tc := range []struct {
		name  string
		lines []*ent.CartLine
		tax   checkout.Tax
		want  pricing.Totals
	}{
		{name: "empty", lines: nil, want: pricing.Totals{Lines: []pricing.PricedLine{}}},
		{name: "one line", lines: []*ent.CartLine{line(1, 150000, 2)}, want: pricing.Totals{
			Lines:    []pricing.PricedLine{{ID: 1, Quantity: 2, UnitMinor: 150000, TotalMinor: 300000, Amount: amount(300000, 0, 300000)}},
			Quantity: 2, SubtotalMinor: 300000, Items: amount(300000, 0, 300000), Total: amount(300000, 0, 300000),
		}},
		{name: "lines add up in order", lines: []*ent.CartLine{line(2, 99, 3), line(1, 1, 1)}, want: pricing.Totals{
			Lines: []pricing.PricedLine{
				{ID: 2, Quantity: 3, UnitMinor: 99, TotalMinor: 297, Amount: amount(297, 0, 297)},
				{ID: 1, Quantity: 1, UnitMinor: 1, TotalMinor: 1, Amount: amount(1, 0, 1)},
			},
			Quantity: 4, SubtotalMinor: 298, Items: amount(298, 0, 298), Total: amount(298, 0, 298),
		}},
		{name: "a line without its variant costs nothing", lines: []*ent.CartLine{{ID: 3, VariantID: 30, Quantity: 5}}, want: pricing.Totals{
			Lines:    []pricing.PricedLine{{ID: 3, Quantity: 5}},
			Quantity: 5,
		}},
		{name: "VAT included, by class", lines: []*ent.CartLine{line(1, 9999, 3), zeroRated}, tax: vat, want: pricing.Totals{
			Lines: []pricing.PricedLine{
				{ID: 1, Quantity: 3, UnitMinor: 9999, TotalMinor: 29997, ClassID: 1, Amount: amount(25859, 4138, 29997)},
				{ID: 4, Quantity: 1, UnitMinor: 1000, TotalMinor: 1000, ClassID: 2, Amount: amount(1000, 0, 1000)},
			},
			Quantity: 4, SubtotalMinor: 30997, PricesIncludeTax: true,
			Items: amount(26859, 4138, 30997), Total: amount(26859, 4138, 30997),
			Taxes: []pricing.TaxLine{
				{Rate: vat.Rates[0], BaseMinor: 25859, TaxMinor: 4138},
				{Rate: vat.Rates[1], BaseMinor: 1000, TaxMinor: 0},
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, checkout.Price(tc.lines, tc.tax, checkout.Shipping{}))
		})
	}
}
