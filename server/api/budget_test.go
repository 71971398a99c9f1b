package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	entmedia "github.com/savannah-commerce/savannah/ent/media"
	"github.com/savannah-commerce/savannah/ent/orderline"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// syntheticCatalog is a two-level tree with n products of three variants,
// spread over four leaf categories.
func syntheticCatalog(n int) *seed.Catalog {
	root := 1
	cat := &seed.Catalog{Format: "bench-catalog/1", Currency: "KES",
		Categories: []seed.Category{{ID: root, Slug: "root", Name: "Root"}}}
	for i := 2; i <= 5; i++ {
		cat.Categories = append(cat.Categories, seed.Category{ID: i, Slug: fmt.Sprintf("leaf-%d", i), Name: fmt.Sprintf("Leaf %d", i), ParentID: &root, Depth: 1, Position: i})
	}
	for i := 1; i <= n; i++ {
		p := seed.Product{ID: i, Slug: fmt.Sprintf("product-%d", i), Name: fmt.Sprintf("Product %d", i), CategoryID: 2 + i%4}
		for j, size := range []string{"S", "M", "L"} {
			p.Variants = append(p.Variants, seed.Variant{
				SKU: fmt.Sprintf("P%04d-%s", i, size), Name: p.Name + " " + size, Size: size,
				Price: int64(1000*i + 100*j), StockOnHand: 10, TrackInventory: true,
			})
		}
		cat.Products = append(cat.Products, p)
	}
	return cat
}

// TestStatementBudget holds the read path to a fixed number of SQL
// statements, whatever the page size: one per list level plus the count.
func TestStatementBudget(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(100))

		list10 := s.statements("ProductList", map[string]any{"first": 10})
		list100 := s.statements("ProductList", map[string]any{"first": 100})
		// Products, their count, their categories, their variants (which
		// also answer availableForSale).
		require.Equal(t, int64(4), list100, "ProductList with 100 products")
		require.Equal(t, list10, list100, "ProductList must not grow with the page")

		page5 := s.statements("CategoryPage", map[string]any{"slug": "root", "first": 5})
		page100 := s.statements("CategoryPage", map[string]any{"slug": "root", "first": 100})
		require.Equal(t, page5, page100, "CategoryPage must not grow with the page")
		// The category, ancestors (none for a root: no query), children,
		// products and their count, categories, availability.
		require.LessOrEqual(t, page100, int64(6))

		tree := s.statements("CategoryTree", nil)
		require.Equal(t, int64(3), tree, "one query per level of the tree")

		detail := s.statements("ProductDetail", map[string]any{"slug": "product-7"})
		// The product with its category and variants, then the ancestors.
		require.LessOrEqual(t, detail, int64(4))

		search10 := s.statements("Search", map[string]any{"query": "product", "first": 10})
		search100 := s.statements("Search", map[string]any{"query": "product", "first": 100})
		// The count, the ranked page of IDs, the products with their
		// categories, their variants.
		require.Equal(t, int64(5), search100, "Search with 100 products")
		require.Equal(t, search10, search100, "Search must not grow with the page")
	})
}

// statementsOf runs a document that is not a contract operation and
// returns its data and how many SQL statements it took.
func (s *store) statementsOf(query string, vars map[string]any) (json.RawMessage, int64) {
	s.t.Helper()
	s.count.Reset()
	resp := s.post(query, "", vars)
	n := s.count.Count()
	for i, q := range s.count.Statements() {
		s.t.Logf("statement %d: %s", i+1, q)
	}
	require.Empty(s.t, resp.Errors)
	return resp.Data, n
}

// nodesQuery asks each catalogue type for a field of its own row and one
// of a related row.
const nodesQuery = `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename
	... on Category { name parent { id } }
	... on Product { name category { id } }
	... on ProductVariant { sku price { amount currencyCode } }
} }`

// TestStatementBudgetNodes: nodes(ids:) costs a fixed number of statements
// however many IDs it is given, and answers them in the order asked.
func TestStatementBudgetNodes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(50))
		ctx := viewer.System(context.Background(), "test: set up")
		var ids []any
		for _, id := range s.client.Category.Query().Order(ent.Asc(category.FieldID)).IDsX(ctx) {
			ids = append(ids, scalar.EncodeID(id))
		}
		variants := s.client.ProductVariant.Query().Order(ent.Desc(productvariant.FieldID)).Limit(50).IDsX(ctx)
		products := s.client.Product.Query().Order(ent.Asc(product.FieldID)).Limit(45).IDsX(ctx)
		for i := range 50 {
			// Interleaved, so that the answer's order is not the tables'.
			ids = append(ids, scalar.EncodeID(variants[i]))
			if i < len(products) {
				ids = append(ids, scalar.EncodeID(products[i]))
			}
		}
		require.Len(t, ids, 100)

		few, n10 := s.statementsOf(nodesQuery, map[string]any{"ids": ids[:10]})
		all, n100 := s.statementsOf(nodesQuery, map[string]any{"ids": ids})
		for _, c := range []struct {
			data json.RawMessage
			ids  []any
		}{{few, ids[:10]}, {all, ids}} {
			var out struct{ Nodes []*struct{ ID string } }
			require.NoError(t, json.Unmarshal(c.data, &out))
			require.Len(t, out.Nodes, len(c.ids))
			for i, n := range out.Nodes {
				require.NotNil(t, n, "node %d", i)
				require.Equal(t, c.ids[i], n.ID, "node %d", i)
			}
		}
		// One query per type, one per edge asked (the categories' parents,
		// the products' categories), the variants' visibility.
		require.Equal(t, int64(6), n100, "nodes with 100 IDs")
		require.Equal(t, n10, n100, "nodes must not grow with the IDs")
	})
}

// seedOrder creates, as the system, an order of the customer with n lines.
func seedOrder(t *testing.T, c *ent.Client, customerID int, key string, n int) *ent.Order {
	t.Helper()
	// Orders change only in a transaction (the outbox notifies the
	// customer in it), as checkout writes them.
	var o *ent.Order
	require.NoError(t, database.InTx(viewer.System(context.Background(), "test: set up"), c, func(ctx context.Context) error {
		tx := ent.FromContext(ctx)
		var err error
		o, err = tx.Order.Create().SetCustomerID(customerID).SetNumber("SV-" + key).SetCurrency("KES").
			SetSubtotalMinor(1000 * int64(n)).SetTotalMinor(1000 * int64(n)).SetIdempotencyKey(key).
			SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"}).Save(ctx)
		if err != nil {
			return err
		}
		for i := range n {
			if err := tx.OrderLine.Create().SetOrderID(o.ID).SetProductName("Tea").SetVariantName("1kg").
				SetSku(fmt.Sprintf("TEA-%s-%d", key, i)).SetQuantity(1).
				SetUnitPriceMinor(1000 + int64(i)).SetLineTotalMinor(1000 + int64(i)).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	}))
	return o
}

const orderLinesQuery = `query($id: ID!) { order(id: $id) { id total { amount currencyCode }
	lines { sku unitPrice { amount currencyCode } lineTotal { amount currencyCode } } } }`

// TestStatementBudgetOrderLines: an order's lines show their money in the
// order's currency without a statement per line.
func TestStatementBudgetOrderLines(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		as, cid := s.asCustomer(t, "lines")
		small := seedOrder(t, s.client, cid, "small", 2)
		big := seedOrder(t, s.client, cid, "big", 20)

		as.statementsOf(orderLinesQuery, map[string]any{"id": scalar.EncodeID(small.ID)}) // the token's first use reads its version
		_, n2 := as.statementsOf(orderLinesQuery, map[string]any{"id": scalar.EncodeID(small.ID)})
		data, n20 := as.statementsOf(orderLinesQuery, map[string]any{"id": scalar.EncodeID(big.ID)})
		var out struct {
			Order struct {
				Lines []struct {
					SKU       string
					UnitPrice money
					LineTotal money
				}
			}
		}
		require.NoError(t, json.Unmarshal(data, &out))
		require.Len(t, out.Order.Lines, 20)
		for _, l := range out.Order.Lines {
			require.Equal(t, "KES", l.UnitPrice.CurrencyCode)
			require.Equal(t, "KES", l.LineTotal.CurrencyCode)
			require.Equal(t, l.UnitPrice, l.LineTotal)
		}
		require.Equal(t, "10.19", out.Order.Lines[19].LineTotal.Amount)
		// The order, its lines, their currency.
		require.Equal(t, int64(3), n20, "an order with 20 lines")
		require.Equal(t, n2, n20, "an order must not cost more with more lines")

		// Lines reached by their IDs, without their order: one query for
		// the lines, one for their orders.
		ids := []any{}
		for _, id := range s.client.OrderLine.Query().Order(ent.Asc(orderline.FieldID)).IDsX(viewer.System(context.Background(), "test: set up")) {
			ids = append(ids, scalar.EncodeID(id))
		}
		const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on OrderLine { unitPrice { amount currencyCode } lineTotal { amount } } } }`
		_, few := as.statementsOf(q, map[string]any{"ids": ids[:2]})
		data, many := as.statementsOf(q, map[string]any{"ids": ids})
		var nodes struct {
			Nodes []*struct {
				ID        string
				UnitPrice money
			}
		}
		require.NoError(t, json.Unmarshal(data, &nodes))
		require.Len(t, nodes.Nodes, 22)
		for i, n := range nodes.Nodes {
			require.NotNil(t, n)
			require.Equal(t, ids[i], n.ID)
			require.Equal(t, "KES", n.UnitPrice.CurrencyCode)
		}
		require.Equal(t, int64(2), many, "22 order lines by ID")
		require.Equal(t, few, many, "lines by ID must not cost more with more lines")
	})
}

const customerOrdersQuery = `{ customers(first: 50) { totalCount edges { node { id email
	orders(first: 2) { totalCount edges { node { id number total { amount currencyCode } } } } } } } }`

// TestStatementBudgetCustomerOrders: a staff list of customers with their
// orders costs the same however many customers it shows.
func TestStatementBudgetCustomerOrders(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		staffer := s.asStaff()
		ctx := viewer.System(context.Background(), "test: set up")
		seedCustomers := func(from, to int) {
			for i := from; i < to; i++ {
				c := s.client.Customer.Create().SetEmail(fmt.Sprintf("c%d@example.com", i)).SetName("C").SaveX(ctx)
				for j := range i % 4 {
					seedOrder(t, s.client, c.ID, fmt.Sprintf("c%d-%d", i, j), 1)
				}
			}
		}
		seedCustomers(0, 3)
		staffer.statementsOf(customerOrdersQuery, nil) // the staff token's first use reads its version
		_, few := staffer.statementsOf(customerOrdersQuery, nil)
		seedCustomers(3, 30)
		data, many := staffer.statementsOf(customerOrdersQuery, nil)

		var out struct {
			Customers struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Email  string
						Orders struct {
							TotalCount int
							Edges      []struct{ Node struct{ Number string } }
						}
					}
				}
			}
		}
		require.NoError(t, json.Unmarshal(data, &out))
		require.Equal(t, 31, out.Customers.TotalCount) // and the staff member
		for _, e := range out.Customers.Edges {
			var i int
			if _, err := fmt.Sscanf(e.Node.Email, "c%d@", &i); err != nil {
				require.Zero(t, e.Node.Orders.TotalCount, e.Node.Email)
				continue
			}
			require.Equal(t, i%4, e.Node.Orders.TotalCount, e.Node.Email)
			require.Len(t, e.Node.Orders.Edges, min(i%4, 2), e.Node.Email)
			for j, o := range e.Node.Orders.Edges {
				require.Equal(t, fmt.Sprintf("SV-c%d-%d", i, j), o.Node.Number)
			}
		}
		// The customers and their count, their first orders and the
		// orders' counts.
		require.Equal(t, int64(4), many, "30 customers with their orders")
		require.Equal(t, few, many, "a customer list must not cost more with more customers")
	})
}

// TestStatementBudgetCartShipping: the cart with its shipping options,
// chosen option, taxes and every line's tax takes a fixed number of SQL
// statements, however many lines, methods and pickup points there are.
func TestStatementBudgetCartShipping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s, _ := shippingStore(t, db, true)
		vs := stockedVariants(t, s, 6, 10)
		alice, _ := s.asCustomer(t, "alice")
		cartWith := func(n int) string {
			lines := []any{}
			for _, v := range vs[:n] {
				lines = append(lines, line(v, 1))
			}
			// The customer has one cart: the lines go into it.
			id := alice.cartOp(t, "CartCreate", map[string]any{"lines": lines}).Cart.ID
			c, codes := alice.shipOp(t, "CartSetShippingAddress", map[string]any{"cartId": id, "address": nairobiAddress})
			require.Empty(t, codes)
			pickup := c.option(t, "Pick up in Nairobi")
			_, codes = alice.shipOp(t, "CartSelectShippingOption", map[string]any{"cartId": id, "optionId": pickup.Method.ID, "pickupPointId": pickup.Method.PickupPoints[0].ID})
			require.Empty(t, codes)
			return id
		}
		one := cartWith(1)
		n1 := alice.statements("CartShipping", map[string]any{"id": one})

		// More lines, methods and pickup points.
		ctx := viewer.System(context.Background(), "test: set up")
		pickup := s.client.ShippingMethod.Query().Where(shippingmethod.Name("Pick up in Nairobi")).OnlyX(ctx)
		for i := range 5 {
			s.client.PickupPoint.Create().SetMethodID(pickup.ID).SetName(fmt.Sprintf("Agent %d", i)).SetLine1("Road").SetTown("Nairobi").
				SetCountryCode("KE").SetOpeningHours("Daily").SetPhone("+254711000099").ExecX(ctx)
			s.client.ShippingMethod.Create().SetZoneID(pickup.ZoneID).SetName(fmt.Sprintf("Courier %d", i)).
				SetKind(shippingmethod.KindDELIVERY).SetRateType(shippingmethod.RateTypeFLAT).SetRateMinor(int64(100 * i)).ExecX(ctx)
		}
		many := cartWith(6)
		c := alice.shipCart(t, many)
		require.Len(t, c.Lines, 6)
		require.Len(t, c.ShippingOptions, 7)
		require.NotNil(t, c.SelectedPickupPoint)
		n6 := alice.statements("CartShipping", map[string]any{"id": many})
		// The cart, its lines, variants and products; the tax classes and
		// rates; the zones, methods and pickup points; the running
		// promotions (issue 15: one statement, however many).
		require.Equal(t, n1, n6, "CartShipping must not grow with lines, methods or points")
		require.LessOrEqual(t, n6, int64(10))
	})
}

// TestMediaStatementBudget: a product grid with each product's featured
// image and gallery and each variant's image costs the same number of
// statements for 10 products as for 50, each with images: one query per
// kind of owner, primed for the page.
func TestMediaStatementBudget(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := mediaStorage(t, "file")
		s := newStoreWith(t, db, syntheticCatalog(100), storeSetup{app: func(c *app.Config) {
			c.Media = media.Config{Storage: st, PublicURL: media.ServePath}
		}})
		ctx := viewer.System(context.Background(), "test: set up")
		prods, err := s.client.Product.Query().WithVariants().All(ctx)
		require.NoError(t, err)
		var rows []*ent.MediaCreate
		for i, p := range prods {
			hash := fmt.Sprintf("%064x", i+1)
			rows = append(rows,
				s.client.Media.Create().SetProductID(p.ID).SetContentHash(hash).SetFormat(entmedia.FormatPNG).SetBytes(100).SetWidth(800).SetHeight(600),
				s.client.Media.Create().SetProductID(p.ID).SetContentHash(hash).SetFormat(entmedia.FormatPNG).SetBytes(100).SetWidth(800).SetHeight(600).SetPosition(1))
			if i%2 == 0 {
				rows = append(rows, s.client.Media.Create().SetVariantID(p.Edges.Variants[0].ID).SetContentHash(hash).SetFormat(entmedia.FormatPNG).SetBytes(100).SetWidth(800).SetHeight(600))
			}
		}
		for len(rows) > 0 {
			n := min(len(rows), 50)
			require.NoError(t, s.client.Media.CreateBulk(rows[:n]...).Exec(ctx))
			rows = rows[n:]
		}

		// 50 is the most the cost limit lets the grid ask for at once.
		list10 := s.statements("ProductGallery", map[string]any{"first": 10})
		list50 := s.statements("ProductGallery", map[string]any{"first": 50})
		// Products, their count, their variants, the products' images,
		// the variants' images.
		require.Equal(t, int64(5), list50, "ProductGallery with 50 products")
		require.Equal(t, list10, list50, "ProductGallery must not grow with the page")
	})
}
