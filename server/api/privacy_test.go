package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/address"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/orderevent"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// owned is one customer's rows of every owned type reachable in the graph.
type owned struct {
	customer, address, order, line, event, payment, notification int
}

func (o owned) byType() map[string]int {
	return map[string]int{
		"Customer": o.customer, "Address": o.address, "Order": o.order, "OrderLine": o.line,
		"OrderEvent": o.event, "Payment": o.payment, "Notification": o.notification,
	}
}

// seedOwned creates a customer with one row of each owned type, as the
// system (set-up bypasses the rules it then tests).
func seedOwned(t *testing.T, c *ent.Client, email string, n int) owned {
	t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	cu := c.Customer.Create().SetEmail(email).SetName(email).SaveX(ctx)
	a := c.Address.Create().SetCustomerID(cu.ID).SetLine1("1 Road").SetCity("Nairobi").SetCountryCode("KE").SaveX(ctx)
	o := placed(t, c, func(c *ent.Client) *ent.OrderCreate {
		return c.Order.Create().SetCustomerID(cu.ID).SetNumber("SV-" + email).SetCurrency("KES").
			SetSubtotalMinor(1000).SetTotalMinor(1000).SetIdempotencyKey(email).
			SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"})
	})
	l := c.OrderLine.Create().SetOrderID(o.ID).SetProductName("Tea").SetVariantName("1kg").SetSku("TEA-" + email).
		SetQuantity(n).SetUnitPriceMinor(1000).SetLineTotalMinor(1000 * int64(n)).SaveX(ctx)
	e := c.OrderEvent.Create().SetOrderID(o.ID).SetType(orderevent.TypePLACED).SaveX(ctx)
	p := c.Payment.Create().SetOrderID(o.ID).SetMethod(payment.MethodMPESA).SetAmountMinor(1000).SetCurrency("KES").SaveX(ctx)
	nt := c.Notification.Create().SetOrderID(o.ID).SetChannel(notification.ChannelSMS).SetRecipient("+254712345678").SetTemplate("order_placed").SaveX(ctx)
	c.RefreshToken.Create().SetCustomerID(cu.ID).SetTokenHash("hash-" + email).SetFamily("fam-" + email).SetExpiresAt(time.Now().Add(time.Hour)).ExecX(ctx)
	c.Identity.Create().SetCustomerID(cu.ID).SetProvider("google").SetSubject("sub-" + email).SetEmail(email).ExecX(ctx)
	return owned{cu.ID, a.ID, o.ID, l.ID, e.ID, p.ID, nt.ID}
}

type viewerCase struct {
	name string
	s    *store
	ctx  context.Context // the same viewer, for ent-level checks
	// sees reports whether this viewer may see the rows of owner.
	sees func(owner string) bool
}

func viewers(t *testing.T, s *store) ([]viewerCase, owned, owned) {
	t.Helper()
	a := seedOwned(t, s.client, "a@example.com", 1)
	b := seedOwned(t, s.client, "b@example.com", 2)
	sys := viewer.System(context.Background(), "test: set up")
	staffC := s.client.Customer.Create().SetEmail("staff@example.com").SetName("S").SetRole(customer.RoleSTAFF).SaveX(sys)
	adminC := s.client.Customer.Create().SetEmail("admin@example.com").SetName("D").SetRole(customer.RoleADMIN).SaveX(sys)
	as := func(id int, role customer.Role) (*store, context.Context) {
		tok, _, err := s.tokens.Issue(id, role, 0)
		require.NoError(t, err)
		v, err := s.tokens.Verify(tok)
		require.NoError(t, err)
		return s.as(tok), auth.WithViewer(context.Background(), v)
	}
	sa, ca := as(a.customer, customer.RoleCUSTOMER)
	sb, cb := as(b.customer, customer.RoleCUSTOMER)
	ss, cs := as(staffC.ID, customer.RoleSTAFF)
	sd, cd := as(adminC.ID, customer.RoleADMIN)
	all := func(string) bool { return true }
	return []viewerCase{
		{"anonymous", s, context.Background(), func(string) bool { return false }},
		{"customer A", sa, ca, func(o string) bool { return o == "A" }},
		{"customer B", sb, cb, func(o string) bool { return o == "B" }},
		{"staff", ss, cs, all},
		{"admin", sd, cd, all},
	}, a, b
}

// TestPrivacyAcrossViewers asks, as each viewer, for every owned object of
// customers A and B through every path the graph has today: node(id:),
// the root fields (me, customers), and the nested edges below them.
func TestPrivacyAcrossViewers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		vs, a, b := viewers(t, s)
		owners := map[string]owned{"A": a, "B": b}

		for _, v := range vs {
			t.Run(v.name, func(t *testing.T) {
				t.Run("node", func(t *testing.T) {
					for owner, rows := range owners {
						for typ, id := range rows.byType() {
							var out struct {
								Node *struct{ ID string } `json:"node"`
							}
							resp := v.s.post(`query($id: ID!) { node(id: $id) { id } }`, "", map[string]any{"id": scalar.EncodeID(id)})
							require.Empty(t, resp.Errors, "%s of %s", typ, owner)
							require.NoError(t, json.Unmarshal(resp.Data, &out))
							if v.sees(owner) {
								require.NotNil(t, out.Node, "%s should see %s of %s", v.name, typ, owner)
							} else {
								require.Nil(t, out.Node, "%s must not see %s of %s", v.name, typ, owner)
							}
						}
					}
				})

				t.Run("nodes", func(t *testing.T) {
					var ids []string
					for _, owner := range []string{"A", "B"} {
						for _, id := range owners[owner].byType() {
							ids = append(ids, scalar.EncodeID(id))
						}
					}
					resp := v.s.post(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, "", map[string]any{"ids": ids})
					require.Empty(t, resp.Errors)
					var out struct{ Nodes []*struct{ ID string } }
					require.NoError(t, json.Unmarshal(resp.Data, &out))
					seen := 0
					for _, n := range out.Nodes {
						if n != nil {
							seen++
						}
					}
					want := 0
					for _, owner := range []string{"A", "B"} {
						if v.sees(owner) {
							want += len(owners[owner].byType())
						}
					}
					require.Equal(t, want, seen)
				})

				t.Run("me and its edges", func(t *testing.T) {
					resp := v.s.post(`{ me { id addresses { id } orders(first: 10) { totalCount edges { node { id customer { id } lines { id } events { id } payments { id } } } } } }`, "", nil)
					require.Empty(t, resp.Errors)
					var out struct {
						Me *struct {
							ID        string
							Addresses []struct{ ID string }
							Orders    struct {
								TotalCount int
								Edges      []struct {
									Node struct {
										ID       string
										Customer struct{ ID string }
										Lines    []struct{ ID string }
										Events   []struct{ ID string }
										Payments []struct{ ID string }
									}
								}
							}
						}
					}
					require.NoError(t, json.Unmarshal(resp.Data, &out))
					var mine *owned
					switch v.name {
					case "anonymous":
						require.Nil(t, out.Me)
						return
					case "customer A":
						mine = &a
					case "customer B":
						mine = &b
					default:
						require.NotNil(t, out.Me)
						require.Empty(t, out.Me.Addresses, "staff have no address book of their own")
						require.Zero(t, out.Me.Orders.TotalCount)
						return
					}
					require.Equal(t, scalar.EncodeID(mine.customer), out.Me.ID)
					require.Len(t, out.Me.Addresses, 1)
					require.Equal(t, scalar.EncodeID(mine.address), out.Me.Addresses[0].ID)
					require.Equal(t, 1, out.Me.Orders.TotalCount)
					o := out.Me.Orders.Edges[0].Node
					require.Equal(t, scalar.EncodeID(mine.order), o.ID)
					require.Equal(t, scalar.EncodeID(mine.customer), o.Customer.ID)
					require.Equal(t, []struct{ ID string }{{scalar.EncodeID(mine.line)}}, o.Lines)
					require.Equal(t, []struct{ ID string }{{scalar.EncodeID(mine.event)}}, o.Events)
					require.Equal(t, []struct{ ID string }{{scalar.EncodeID(mine.payment)}}, o.Payments)
				})

				t.Run("customers and their edges", func(t *testing.T) {
					resp := v.s.post(`{ customers(first: 10) { totalCount edges { node { email addresses { id } orders(first: 5) { totalCount edges { node { lines { id } payments { id } events { id } } } } } } } }`, "", nil)
					switch v.name {
					case "anonymous":
						require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
						require.NotContains(t, string(resp.Data), "a@example.com")
						return
					case "customer A", "customer B":
						require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
						require.NotContains(t, string(resp.Data), "@example.com")
						return
					}
					require.Empty(t, resp.Errors)
					var out struct {
						Customers struct {
							TotalCount int
							Edges      []struct {
								Node struct {
									Email     string
									Addresses []struct{ ID string }
									Orders    struct{ TotalCount int }
								}
							}
						}
					}
					require.NoError(t, json.Unmarshal(resp.Data, &out))
					require.Equal(t, 4, out.Customers.TotalCount)
					for _, e := range out.Customers.Edges {
						if e.Node.Email == "a@example.com" || e.Node.Email == "b@example.com" {
							require.Len(t, e.Node.Addresses, 1)
							require.Equal(t, 1, e.Node.Orders.TotalCount)
						}
					}
				})

				t.Run("ent queries and eager loading", func(t *testing.T) {
					ctx := v.ctx
					want := 0
					for _, owner := range []string{"A", "B"} {
						if v.sees(owner) {
							want++
						}
					}
					require.Equal(t, want, s.client.Address.Query().CountX(ctx))
					require.Equal(t, want, s.client.Order.Query().CountX(ctx))
					require.Equal(t, want, s.client.OrderLine.Query().CountX(ctx))
					require.Equal(t, want, s.client.OrderEvent.Query().CountX(ctx))
					require.Equal(t, want, s.client.Payment.Query().CountX(ctx))
					// Each order's: the one seeded and the outbox's order_placed.
					require.Equal(t, 2*want, s.client.Notification.Query().CountX(ctx))
					// Eager loading and traversals go through the same policy:
					// the system reads A, but the viewer loads A's orders.
					sys := viewer.System(context.Background(), "test: set up")
					ca := s.client.Customer.GetX(sys, a.customer)
					orders := ca.QueryOrders().QueryLines().CountX(ctx)
					addrs := s.client.Address.Query().Where(address.CustomerID(a.customer)).CountX(ctx)
					if v.sees("A") {
						require.Equal(t, 1, orders)
						require.Equal(t, 1, addrs)
					} else {
						require.Zero(t, orders)
						require.Zero(t, addrs)
					}
					cs := s.client.Customer.Query().WithOrders().WithAddresses().AllX(ctx)
					for _, c := range cs {
						for _, o := range c.Edges.Orders {
							require.Equal(t, c.ID, *o.CustomerID)
						}
						if c.ID == a.customer {
							require.True(t, v.sees("A"))
						}
						if c.ID == b.customer {
							require.True(t, v.sees("B"))
						}
					}
					// Refresh tokens and identities (not in the graph): the
					// owner's only, not even staff's.
					own := 0
					if v.name == "customer A" || v.name == "customer B" {
						own = 1
					}
					require.Equal(t, own, s.client.RefreshToken.Query().CountX(ctx))
					require.Equal(t, own, s.client.Identity.Query().CountX(ctx))
				})
			})
		}
	})
}

// TestPrivacyWrites: a customer changes only their own rows, never their
// role; the catalogue and orders are written by staff (or the system).
func TestPrivacyWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		vs, a, b := viewers(t, s)
		byName := map[string]context.Context{}
		for _, v := range vs {
			byName[v.name] = v.ctx
		}
		ctxA, ctxStaff, ctxAdmin, anon := byName["customer A"], byName["staff"], byName["admin"], byName["anonymous"]

		// Another customer's address is "not found" to update or delete.
		err := s.client.Address.UpdateOneID(b.address).SetCity("Stolen").Exec(ctxA)
		require.True(t, ent.IsNotFound(err), "%v", err)
		err = s.client.Address.DeleteOneID(b.address).Exec(ctxA)
		require.True(t, ent.IsNotFound(err), "%v", err)
		n, err := s.client.Address.Update().SetCity("All mine").Save(ctxA)
		require.NoError(t, err)
		require.Equal(t, 1, n, "a bulk update touches only the viewer's rows")
		// Nor can one create rows for someone else.
		_, err = s.client.Address.Create().SetCustomerID(b.customer).SetLine1("x").SetCity("x").SetCountryCode("KE").Save(ctxA)
		require.ErrorContains(t, err, "privacy")
		_, err = s.client.Address.Create().SetCustomerID(a.customer).SetLine1("x").SetCity("x").SetCountryCode("KE").Save(ctxA)
		require.NoError(t, err)

		// Own profile yes, own role no; roles are an ADMIN's.
		require.NoError(t, s.client.Customer.UpdateOneID(a.customer).SetName("A2").Exec(ctxA))
		require.ErrorContains(t, s.client.Customer.UpdateOneID(a.customer).SetRole(customer.RoleADMIN).Exec(ctxA), "privacy")
		require.ErrorContains(t, s.client.Customer.UpdateOneID(a.customer).SetRole(customer.RoleSTAFF).Exec(ctxStaff), "privacy")
		require.NoError(t, s.client.Customer.UpdateOneID(a.customer).SetRole(customer.RoleSTAFF).Exec(ctxAdmin))
		require.True(t, ent.IsNotFound(s.client.Customer.UpdateOneID(b.customer).SetName("x").Exec(ctxA)))
		_, err = s.client.Customer.Create().SetEmail("new@example.com").SetName("N").Save(anon)
		require.ErrorContains(t, err, "privacy", "accounts are created by the auth service only")

		// Orders and the catalogue: staff write, customers do not.
		require.ErrorContains(t, s.client.Order.UpdateOneID(b.order).SetNote("x").Exec(byName["customer B"]), "privacy")
		require.NoError(t, s.client.Order.UpdateOneID(b.order).SetNote("x").Exec(ctxStaff))
		_, err = s.client.Category.Create().SetName("Contraband").SetSlug("contraband").Save(byName["customer B"])
		require.ErrorContains(t, err, "privacy")
		_, err = s.client.Category.Create().SetName("Teas").SetSlug("teas").Save(ctxStaff)
		require.NoError(t, err)

		// Refresh tokens: only the auth service (system) writes them.
		_, err = s.client.RefreshToken.Create().SetCustomerID(a.customer).SetTokenHash("h").SetFamily("f").
			SetExpiresAt(s.client.Customer.GetX(viewer.System(context.Background(), "test: set up"), a.customer).CreatedAt).Save(ctxA)
		require.ErrorContains(t, err, "privacy")
	})
}
