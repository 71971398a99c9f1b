package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/orderline"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/checkout"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/email"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa"
	"github.com/savannah-commerce/savannah/internal/payment/mpesa/mpesatest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/server/api"
)

const guestPage = "https://shop.example/order"

var guestLinkRE = regexp.MustCompile(`https://shop\.example/order\?token=[A-Za-z0-9_-]+`)

// guestShop is a store with VAT that sells to guests: M-Pesa through a
// local Daraja, messages delivered by the outbox (SMS to a local Africa's
// Talking, email to a mailbox or Mailpit), and a clock the test moves.
type guestShop struct {
	*store
	daraja  *mpesatest.Server
	gw      *smstest.Server
	mail    *mailbox
	skew    *atomic.Int64
	variant *ent.ProductVariant
}

func newGuestShop(t *testing.T, db *database.DB, sender notify.EmailSender) *guestShop {
	t.Helper()
	sh := &guestShop{daraja: mpesatest.New(t), gw: smstest.New(t), mail: &mailbox{}, skew: &atomic.Int64{}}
	if sender == nil {
		sender = sh.mail
	}
	var h atomic.Pointer[api.Server]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	mc := sh.daraja.Config(srv.URL + "/webhooks/mpesa")
	mp, err := mpesa.New(mc)
	require.NoError(t, err)
	now := func() time.Time { return time.Now().Add(time.Duration(sh.skew.Load())) }
	s := newStoreWith(t, db, demoCatalog(t), storeSetup{
		introspection: true,
		auth:          []func(*auth.ServiceConfig){func(c *auth.ServiceConfig) { c.ResetURL = resetPage }},
		app: func(c *app.Config) {
			c.Checkout.Mpesa, c.Checkout.Now, c.Checkout.GuestOrderURL = mp, now, guestPage
		},
		deps: func(c *api.Config) { c.MpesaSecretMatches = mc.CallbackSecretMatches },
	})
	h.Store(s.api)
	s.srv = srv
	sh.store = s
	require.NoError(t, seed.LoadTax(context.Background(), s.client, seed.DemoTax()))
	sh.variant = stocked(t, s, 100)
	require.NoError(t, s.client.ProductVariant.UpdateOneID(sh.variant.ID).SetPriceMinor(150000).Exec(viewer.System(context.Background(), "test: set up")))
	deliver(t, s, db, sh.gw, sender)
	return sh
}

// guestCart is a new guest cart with two units at KES 1,500; its token.
func (sh *guestShop) guestCart(t *testing.T) string {
	t.Helper()
	p := sh.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(sh.variant, 2)}})
	require.Empty(t, p.UserErrors)
	return p.Cart.ID
}

type guestPlaced struct {
	PlaceOrder struct {
		Order *struct {
			ID     string `json:"id"`
			Number string `json:"number"`
			Status string `json:"status"`
			Total  money  `json:"total"`
		} `json:"order"`
		UserErrors []userError `json:"userErrors"`
	} `json:"placeOrder"`
}

// place sends GuestPlaceOrder as the store's viewer (anonymous unless
// signed in) with contact (nil: none).
func (sh *guestShop) place(t *testing.T, as *store, cartID, key string, contact map[string]any) (guestPlaced, gqlResponse) {
	t.Helper()
	vars := placeOrderVars(cartID, key)
	if contact != nil {
		vars["input"].(map[string]any)["contact"] = contact
	}
	resp := as.post(sh.ops["GuestPlaceOrder"], "GuestPlaceOrder", vars)
	var out guestPlaced
	if len(resp.Errors) == 0 {
		require.NoError(t, json.Unmarshal(resp.Data, &out))
	}
	return out, resp
}

// withToken sends a contract operation with an X-Order-Token header
// (none when token is empty); the HTTP status, the decoded answer and its
// raw body.
func (sh *guestShop) withToken(t *testing.T, token, op string, vars map[string]any) (int, gqlResponse, string) {
	t.Helper()
	doc, ok := sh.ops[op]
	require.True(t, ok, "no contract operation %s", op)
	body, err := json.Marshal(map[string]any{"query": doc, "operationName": op, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, sh.srv.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set(api.OrderTokenHeader, token)
	}
	if sh.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+sh.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, err = raw.ReadFrom(resp.Body)
	require.NoError(t, err)
	var out gqlResponse
	require.NoError(t, json.Unmarshal(raw.Bytes(), &out))
	return resp.StatusCode, out, raw.String()
}

type guestOrderData struct {
	GuestOrder *struct {
		ID       string                 `json:"id"`
		Number   string                 `json:"number"`
		Status   string                 `json:"status"`
		Total    money                  `json:"total"`
		Lines    []struct{ Sku string } `json:"lines"`
		Payments []struct {
			Method string `json:"method"`
			Status string `json:"status"`
		} `json:"payments"`
	} `json:"guestOrder"`
}

func (sh *guestShop) guestOrder(t *testing.T, token string) guestOrderData {
	t.Helper()
	status, resp, _ := sh.withToken(t, token, "GuestOrder", nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, resp.Errors)
	var d guestOrderData
	require.NoError(t, json.Unmarshal(resp.Data, &d))
	return d
}

// linkSMS waits for the SMS with an order link to to.
func (sh *guestShop) linkSMS(t *testing.T, to string) smstest.Message {
	t.Helper()
	var found smstest.Message
	require.Eventually(t, func() bool {
		for _, m := range sh.gw.Messages() {
			if m.To == to && guestLinkRE.MatchString(m.Body) {
				found = m
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond)
	return found
}

// tokenOf is the order-access token of a link in text.
func tokenOf(t *testing.T, text string) string {
	t.Helper()
	link, err := url.Parse(guestLinkRE.FindString(text))
	require.NoError(t, err, text)
	token := link.Query().Get("token")
	require.Len(t, token, 43, "256 random bits, URL-safe: %s", text)
	return token
}

// TestGuestCheckout: a guest buys from a guest cart with an email, gets
// the order's link by email (number, total incl. VAT), views the order
// and pays it by M-Pesa with the link's token; another guest, by SMS,
// cancels theirs. Each refusal beside the path that works.
func TestGuestCheckout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newGuestShop(t, db, nil)
		ctx := context.Background()
		sys := viewer.System(ctx, "test: inspect")
		cartID := sh.guestCart(t)

		// Without a contact a guest is refused as before; a bad contact
		// is a userError; both change nothing.
		_, resp := sh.place(t, sh.store, cartID, "g1", nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, resp.codes())
		bad, _ := sh.place(t, sh.store, cartID, "g1", map[string]any{"email": "not an email"})
		require.Nil(t, bad.PlaceOrder.Order)
		require.Equal(t, []string{"INVALID"}, codesOf(bad.PlaceOrder.UserErrors))
		require.Equal(t, []string{"input", "contact", "email"}, bad.PlaceOrder.UserErrors[0].Field)
		bad, _ = sh.place(t, sh.store, cartID, "g1", map[string]any{"phone": "0712345678"})
		require.Equal(t, []string{"INVALID"}, codesOf(bad.PlaceOrder.UserErrors), "a phone is E.164")
		bad, _ = sh.place(t, sh.store, cartID, "g1", map[string]any{"email": "amina@example.com", "phone": "+254712345678"})
		require.Equal(t, []string{"INVALID"}, codesOf(bad.PlaceOrder.UserErrors), "one contact")
		n, err := sh.client.Order.Query().Count(sys)
		require.NoError(t, err)
		require.Zero(t, n)

		got, _ := sh.place(t, sh.store, cartID, "g1", map[string]any{"email": " Amina@Example.com "})
		require.Empty(t, got.PlaceOrder.UserErrors)
		o := got.PlaceOrder.Order
		require.Equal(t, "PENDING", o.Status)
		require.Equal(t, "3000.00", o.Total.Amount)

		// The link arrives by email, with the number and the total incl.
		// VAT; the token is stored only as a hash.
		msg := sh.mail.wait(t, 1)[0]
		require.Equal(t, []string{"amina@example.com"}, msg.To)
		require.Contains(t, msg.Subject, o.Number)
		require.Contains(t, msg.Text, "3,000.00")
		require.Contains(t, msg.Text, "incl. VAT")
		require.Contains(t, msg.Text, "413.79", "16 % VAT included in 3,000.00")
		token := tokenOf(t, msg.Text)
		row, err := sh.client.Order.Query().Where(order.Number(o.Number)).Only(sys)
		require.NoError(t, err)
		require.Nil(t, row.CustomerID)
		require.Equal(t, "amina@example.com", *row.GuestContact)
		require.NotEqual(t, token, *row.AccessTokenHash)
		require.NotContains(t, *row.AccessTokenHash, token)
		require.WithinDuration(t, time.Now().Add(checkout.DefaultGuestAccessTTL), *row.AccessExpiresAt, time.Minute)
		sent, err := sh.client.Notification.Query().Where(notification.OrderID(row.ID), notification.AudienceEQ(notification.AudienceCUSTOMER)).All(sys)
		require.NoError(t, err)
		require.Len(t, sent, 1, "one message: the one with the link")
		require.Equal(t, "guest_order_placed", sent[0].Template)

		// The token opens the order; no token, none; a wrong token and an
		// expired one are refused alike.
		require.Nil(t, sh.guestOrder(t, "").GuestOrder)
		view := sh.guestOrder(t, token).GuestOrder
		require.NotNil(t, view)
		require.Equal(t, o.Number, view.Number)
		require.Len(t, view.Lines, 1)
		require.Len(t, view.Payments, 1)
		wrongStatus, wrong, wrongBody := sh.withToken(t, token[:42]+"A", "GuestOrder", nil)
		if token[42] == 'A' {
			wrongStatus, wrong, wrongBody = sh.withToken(t, token[:42]+"B", "GuestOrder", nil)
		}
		require.Equal(t, http.StatusUnauthorized, wrongStatus)
		require.Equal(t, []string{"UNAUTHENTICATED"}, wrong.codes())
		sh.skew.Store(int64(checkout.DefaultGuestAccessTTL + time.Minute))
		expiredStatus, _, expiredBody := sh.withToken(t, token, "GuestOrder", nil)
		sh.skew.Store(0)
		require.Equal(t, wrongStatus, expiredStatus)
		require.Equal(t, wrongBody, expiredBody, "no oracle: expired and wrong answer the same")

		// The token opens that order and nothing else: not a customer's
		// order, not an account, not the customer's mutations.
		alice, _ := sh.asCustomer(t, "alice")
		theirs := decodePlace(t, alice.post(sh.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(alice.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(sh.variant, 1)}}).Cart.ID, "a1")))
		require.Empty(t, theirs.PlaceOrder.UserErrors)
		_, r, _ := sh.withToken(t, token, "Order", map[string]any{"id": theirs.PlaceOrder.Order.ID})
		require.Empty(t, r.Errors)
		require.JSONEq(t, `{"order":null}`, string(r.Data), "another order does not exist for the token")
		_, r, _ = sh.withToken(t, token, "Order", map[string]any{"id": o.ID})
		require.Contains(t, string(r.Data), o.Number, "its own order, by id too")
		_, r, _ = sh.withToken(t, token, "Me", nil)
		require.Empty(t, r.Errors)
		require.JSONEq(t, `{"me":null}`, string(r.Data), "no account")
		_, r, _ = sh.withToken(t, token, "PayOrder", map[string]any{"orderId": o.ID, "method": "MPESA", "phone": "0712345678"})
		require.Equal(t, []string{"UNAUTHENTICATED"}, r.codes(), "the customer's payOrder needs an account")
		require.Empty(t, sh.daraja.PushesFor(o.Number))

		// Pay by M-Pesa: refused without the token, pushed with it.
		_, r, _ = sh.withToken(t, "", "GuestPayOrder", map[string]any{"method": "MPESA", "phone": "0712345678"})
		require.Equal(t, []string{"UNAUTHENTICATED"}, r.codes())
		_, r, _ = sh.withToken(t, token, "GuestPayOrder", map[string]any{"method": "MPESA", "phone": "0712345678"})
		require.Empty(t, r.Errors)
		require.NotContains(t, string(r.Data), `"code"`)
		pushes := sh.daraja.PushesFor(o.Number)
		require.Len(t, pushes, 1)
		require.EqualValues(t, 3000, pushes[0].Amount)
		require.Equal(t, "254712345678", pushes[0].PhoneNumber)
		require.NoError(t, sh.daraja.Resolve(ctx, pushes[0].CheckoutRequestID, mpesatest.Success("RCPTGUEST1"), 1))
		require.Equal(t, "CONFIRMED", sh.guestOrder(t, token).GuestOrder.Status)

		// Another guest gives a phone: the link comes by SMS; they cancel
		// their order with it, once.
		cart2 := sh.guestCart(t)
		second, _ := sh.place(t, sh.store, cart2, "g1", map[string]any{"phone": "+254722000333"})
		require.Empty(t, second.PlaceOrder.UserErrors)
		require.NotEqual(t, o.Number, second.PlaceOrder.Order.Number, "the same key from another cart is another order")
		sms := sh.linkSMS(t, "+254722000333")
		require.Contains(t, sms.Body, second.PlaceOrder.Order.Number)
		require.Contains(t, sms.Body, "incl. VAT")
		token2 := tokenOf(t, sms.Body)
		_, r, _ = sh.withToken(t, "", "GuestCancelOrder", map[string]any{"reason": "changed my mind"})
		require.Equal(t, []string{"UNAUTHENTICATED"}, r.codes())
		require.Equal(t, "PENDING", sh.guestOrder(t, token2).GuestOrder.Status)
		_, r, _ = sh.withToken(t, token2, "GuestCancelOrder", map[string]any{"reason": "changed my mind"})
		require.Empty(t, r.Errors)
		require.Contains(t, string(r.Data), `"status":"CANCELLED"`)
		_, r, _ = sh.withToken(t, token2, "GuestCancelOrder", nil)
		require.Contains(t, string(r.Data), "INVALID_TRANSITION", "cancelled once")
		require.Equal(t, "CONFIRMED", sh.guestOrder(t, token).GuestOrder.Status, "the other guest's order is untouched")
	})
}

// TestGuestIdempotencyRace: the same key from the same guest cart, sent
// by many clients at once, places one order and answers it to all.
func TestGuestIdempotencyRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newGuestShop(t, db, nil)
		cartID := sh.guestCart(t)
		const n = 8
		answers := make([]gqlResponse, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				vars := placeOrderVars(cartID, "race-key")
				vars["input"].(map[string]any)["contact"] = map[string]any{"email": "race@example.com"}
				answers[i] = sh.postAsync(sh.ops["GuestPlaceOrder"], "GuestPlaceOrder", vars)
			}()
		}
		wg.Wait()
		numbers := map[string]bool{}
		for _, a := range answers {
			require.Empty(t, a.Errors)
			var p guestPlaced
			require.NoError(t, json.Unmarshal(a.Data, &p))
			require.Empty(t, p.PlaceOrder.UserErrors)
			numbers[p.PlaceOrder.Order.Number] = true
		}
		require.Len(t, numbers, 1, "one order for one key and cart")
		sys := viewer.System(context.Background(), "test: inspect")
		count, err := sh.client.Order.Query().Count(sys)
		require.NoError(t, err)
		require.Equal(t, 1, count)
		msgs, err := sh.client.Notification.Query().Where(notification.TemplateEQ("guest_order_placed")).Count(sys)
		require.NoError(t, err)
		require.Equal(t, 1, msgs, "one link sent")

		// The database holds the key unique per guest cart, whoever writes.
		placedRow, err := sh.client.Order.Query().Only(sys)
		require.NoError(t, err)
		err = database.InTx(sys, sh.client, func(ctx context.Context) error {
			return ent.FromContext(ctx).Order.Create().
				SetNumber("SV-DUPLICATE").SetCurrency(placedRow.Currency).SetSubtotalMinor(0).SetTotalMinor(0).
				SetShippingAddress(placedRow.ShippingAddress).SetIdempotencyKey("race-key").
				SetGuestCartToken(cartID).SetGuestContact("race@example.com").Exec(ctx)
		})
		require.True(t, ent.IsConstraintError(err), "got %v", err)

		// Another key from the same cart (refilled) is another order.
		sh.cartOp(t, "CartLinesAdd", map[string]any{"cartId": cartID, "lines": []any{line(sh.variant, 1)}})
		other, _ := sh.place(t, sh.store, cartID, "another-key", map[string]any{"email": "race@example.com"})
		require.Empty(t, other.PlaceOrder.UserErrors)
		require.False(t, numbers[other.PlaceOrder.Order.Number])
	})
}

// TestGuestOrdersClaimed: a customer who registers with a guest's email
// claims nothing until the email is verified, then claims every guest
// order placed with it; a verified phone claims the orders placed with
// that phone. Another contact's orders stay guests'.
func TestGuestOrdersClaimed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newGuestShop(t, db, nil)
		sys := viewer.System(context.Background(), "test: inspect")
		byEmail, _ := sh.place(t, sh.store, sh.guestCart(t), "c1", map[string]any{"email": "amina@example.com"})
		byPhone, _ := sh.place(t, sh.store, sh.guestCart(t), "c1", map[string]any{"phone": "+254711000111"})
		other, _ := sh.place(t, sh.store, sh.guestCart(t), "c1", map[string]any{"email": "baraka@example.com"})
		for _, p := range []guestPlaced{byEmail, byPhone, other} {
			require.Empty(t, p.PlaceOrder.UserErrors)
		}
		sh.mail.wait(t, 2)
		sh.linkSMS(t, "+254711000111")

		rs := recoveryStore{store: sh.store, gw: sh.gw, mail: sh.mail}
		amina := sh.as(rs.register(t, "amina@example.com", ptr("+254711000111")).access)
		myOrders := func() []string {
			var me struct {
				Me struct {
					Orders struct {
						Edges []struct {
							Node struct{ Number string } `json:"node"`
						} `json:"edges"`
					} `json:"orders"`
				} `json:"me"`
			}
			amina.op("Me", nil, &me)
			var out []string
			for _, e := range me.Me.Orders.Edges {
				out = append(out, e.Node.Number)
			}
			return out
		}
		require.Empty(t, myOrders(), "an unverified registration claims nothing")
		var seen struct{ Order *struct{ Number string } }
		amina.op("Order", map[string]any{"id": byEmail.PlaceOrder.Order.ID}, &seen)
		require.Nil(t, seen.Order)

		// Verify the email: its guest order is hers.
		ue, _ := amina.userErrorsOf(t, "RequestEmailVerification", "requestEmailVerification", nil)
		require.Empty(t, ue)
		var code string
		require.Eventually(t, func() bool {
			for _, m := range sh.mail.wait(t, 3) {
				if m.To[0] == "amina@example.com" {
					if c := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Text); c != "" && strings.Contains(m.Subject, "erif") {
						code = c
						return true
					}
				}
			}
			return false
		}, 20*time.Second, 20*time.Millisecond)
		ue, _ = amina.userErrorsOf(t, "ConfirmEmailVerification", "confirmEmailVerification", map[string]any{"code": otherCode(code)})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		require.Empty(t, myOrders(), "a wrong code claims nothing")
		ue, _ = amina.userErrorsOf(t, "ConfirmEmailVerification", "confirmEmailVerification", map[string]any{"code": code})
		require.Empty(t, ue)
		require.Equal(t, []string{byEmail.PlaceOrder.Order.Number}, myOrders())
		amina.op("Order", map[string]any{"id": byEmail.PlaceOrder.Order.ID}, &seen)
		require.NotNil(t, seen.Order)

		// Verify the phone: its guest order too.
		ue, _ = amina.userErrorsOf(t, "RequestPhoneVerification", "requestPhoneVerification", nil)
		require.Empty(t, ue)
		msgs := sh.gw.WaitMessages(t, 2, 20*time.Second)
		code = smsCode(t, msgs[len(msgs)-1], "+254711000111")
		ue, _ = amina.userErrorsOf(t, "ConfirmPhoneVerification", "confirmPhoneVerification", map[string]any{"code": code})
		require.Empty(t, ue)
		require.ElementsMatch(t, []string{byEmail.PlaceOrder.Order.Number, byPhone.PlaceOrder.Order.Number}, myOrders())

		// Her own order with a key a claimed order has is her own: keys
		// are unique per customer among the orders she placed herself.
		withContact, _ := sh.place(t, amina, amina.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(sh.variant, 1)}}).Cart.ID, "c1", map[string]any{"email": "amina@example.com"})
		require.Equal(t, []string{"INVALID"}, codesOf(withContact.PlaceOrder.UserErrors), "a customer's contact is the account")
		own, _ := sh.place(t, amina, amina.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(sh.variant, 1)}}).Cart.ID, "c1", nil)
		require.Empty(t, own.PlaceOrder.UserErrors)
		require.NotContains(t, []string{byEmail.PlaceOrder.Order.Number, byPhone.PlaceOrder.Order.Number}, own.PlaceOrder.Order.Number)
		again, _ := sh.place(t, amina, amina.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(sh.variant, 1)}}).Cart.ID, "c1", nil)
		require.Equal(t, own.PlaceOrder.Order.Number, again.PlaceOrder.Order.Number, "her key returns her order")
		require.ElementsMatch(t, []string{byEmail.PlaceOrder.Order.Number, byPhone.PlaceOrder.Order.Number, own.PlaceOrder.Order.Number}, myOrders())

		// Baraka's order is still a guest's.
		id, err := scalar.DecodeID(other.PlaceOrder.Order.ID)
		require.NoError(t, err)
		row, err := sh.client.Order.Get(sys, id)
		require.NoError(t, err)
		require.Nil(t, row.CustomerID)
		c, err := sh.client.Customer.Query().Where(customer.Email("amina@example.com")).Only(sys)
		require.NoError(t, err)
		claimed, err := sh.client.Order.Query().Where(order.CustomerID(c.ID)).Count(sys)
		require.NoError(t, err)
		require.Equal(t, 3, claimed)
	})
}

// TestGuestOrdersClaimedByReset: a password reset by emailed link proves
// the email, so it claims the guest orders placed with it; asking for the
// reset alone claims nothing.
func TestGuestOrdersClaimedByReset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sh := newGuestShop(t, db, nil)
		got, _ := sh.place(t, sh.store, sh.guestCart(t), "r1", map[string]any{"email": "zuri@example.com"})
		require.Empty(t, got.PlaceOrder.UserErrors)
		sh.mail.wait(t, 1)
		rs := recoveryStore{store: sh.store, gw: sh.gw, mail: sh.mail}
		rs.register(t, "zuri@example.com", nil)
		ue, _ := rs.requestReset(t, map[string]any{"email": "zuri@example.com"})
		require.Empty(t, ue)
		sys := viewer.System(context.Background(), "test: inspect")
		id, err := scalar.DecodeID(got.PlaceOrder.Order.ID)
		require.NoError(t, err)
		require.Nil(t, sh.client.Order.GetX(sys, id).CustomerID, "asking for a reset proves nothing")

		msgs := sh.mail.wait(t, 2)
		link, err := url.Parse(linkRE.FindString(msgs[len(msgs)-1].Text))
		require.NoError(t, err)
		ue = rs.reset(t, map[string]any{"email": "zuri@example.com", "token": link.Query().Get("token") + "x", "newPassword": resetPassword})
		require.Equal(t, []string{"INVALID_TOKEN"}, codesOf(ue))
		require.Nil(t, sh.client.Order.GetX(sys, id).CustomerID, "a wrong link claims nothing")
		ue = rs.reset(t, map[string]any{"email": "zuri@example.com", "token": link.Query().Get("token"), "newPassword": resetPassword})
		require.Empty(t, ue)
		owner := sh.client.Order.GetX(sys, id).CustomerID
		require.NotNil(t, owner)
		require.Equal(t, sh.client.Customer.Query().Where(customer.Email("zuri@example.com")).OnlyIDX(sys), *owner)
	})
}

// TestGuestOrderThroughMailpit: the guest's order email travels over SMTP
// to Mailpit (TEST_SMTP_URL, TEST_MAILPIT_API; skipped without them), and
// its link opens the order.
func TestGuestOrderThroughMailpit(t *testing.T) {
	smtpURL, mpAPI := mailpit(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		sender, err := email.New(email.Config{URL: smtpURL, From: "Savannah <shop@savannah.example>", Timeout: 10 * time.Second})
		require.NoError(t, err)
		sh := newGuestShop(t, db, sender)
		addr := fmt.Sprintf("guest.%d@example.com", time.Now().UnixNano())
		got, _ := sh.place(t, sh.store, sh.guestCart(t), "m1", map[string]any{"email": addr})
		require.Empty(t, got.PlaceOrder.UserErrors)

		msg := mailpitFind(t, mpAPI, "to:"+addr)
		require.Contains(t, msg.Subject, got.PlaceOrder.Order.Number)
		view := sh.guestOrder(t, tokenOf(t, msg.Text)).GuestOrder
		require.NotNil(t, view)
		require.Equal(t, got.PlaceOrder.Order.Number, view.Number)
	})
}

// TestOrderGrantPrivacy: an order grant (what an order-access token
// resolves to) lets its holder read that order, its lines, events and
// payments, and nothing else of its customer's or anyone's; alongside a
// signed-in customer it adds that one order to their own.
func TestOrderGrantPrivacy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, nil)
		a := seedOwned(t, s.client, "a@example.com", 1)
		b := seedOwned(t, s.client, "b@example.com", 2)
		anon := context.Background()
		granted := viewer.WithOrderGrant(anon, a.order)
		customerB := viewer.With(anon, viewer.Viewer{CustomerID: b.customer, Role: viewer.Customer})
		bGranted := viewer.WithOrderGrant(customerB, a.order)
		reads := map[string]func(ctx context.Context, id int) error{
			"Customer":     func(ctx context.Context, id int) error { _, err := s.client.Customer.Get(ctx, id); return err },
			"Address":      func(ctx context.Context, id int) error { _, err := s.client.Address.Get(ctx, id); return err },
			"Order":        func(ctx context.Context, id int) error { _, err := s.client.Order.Get(ctx, id); return err },
			"OrderLine":    func(ctx context.Context, id int) error { _, err := s.client.OrderLine.Get(ctx, id); return err },
			"OrderEvent":   func(ctx context.Context, id int) error { _, err := s.client.OrderEvent.Get(ctx, id); return err },
			"Payment":      func(ctx context.Context, id int) error { _, err := s.client.Payment.Get(ctx, id); return err },
			"Notification": func(ctx context.Context, id int) error { _, err := s.client.Notification.Get(ctx, id); return err },
		}
		orderRows := map[string]bool{"Order": true, "OrderLine": true, "OrderEvent": true, "Payment": true}
		for _, tc := range []struct {
			name string
			ctx  context.Context
			sees func(owner, typ string) bool
		}{
			{"anonymous", anon, func(string, string) bool { return false }},
			{"anonymous with A's order", granted, func(owner, typ string) bool { return owner == "A" && orderRows[typ] }},
			{"customer B", customerB, func(owner, _ string) bool { return owner == "B" }},
			{"customer B with A's order", bGranted, func(owner, typ string) bool { return owner == "B" || orderRows[typ] }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for owner, rows := range map[string]owned{"A": a, "B": b} {
					for typ, id := range rows.byType() {
						err := reads[typ](tc.ctx, id)
						if tc.sees(owner, typ) {
							require.NoError(t, err, "%s of %s", typ, owner)
						} else {
							require.True(t, ent.IsNotFound(err), "%s of %s: %v", typ, owner, err)
						}
					}
				}
				// Filters through edges see what reads see.
				n, err := s.client.OrderLine.Query().Where(orderline.HasOrderWith(order.IDIn(a.order, b.order))).Count(tc.ctx)
				require.NoError(t, err)
				want := 0 // each owner has one line
				for _, owner := range []string{"A", "B"} {
					if tc.sees(owner, "OrderLine") {
						want++
					}
				}
				require.Equal(t, want, n)
			})
		}
	})
}

// TestGuestOrdersClaimedBySocialSignIn: a provider's verified email
// claims the guest orders placed with it; an unverified one claims
// nothing (and signs nobody in).
func TestGuestOrdersClaimedBySocialSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		p := newIDP(t)
		a := newSocialAPI(t, db, p, "")
		sys := viewer.System(context.Background(), "test: set up")
		guestOrder := func(contact string) *ent.Order {
			return placed(t, a.client, func(c *ent.Client) *ent.OrderCreate {
				return c.Order.Create().SetNumber("SV-" + contact).SetCurrency("KES").
					SetSubtotalMinor(1000).SetTotalMinor(1000).SetIdempotencyKey("k").
					SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"}).
					SetGuestCartToken("cart-" + contact).SetGuestContact(contact).SetEmail(contact)
			})
		}
		imanis, mallorys := guestOrder("imani@example.com"), guestOrder("mallory@example.com")

		p.signIn(idpUser{Sub: "u-m", Email: "mallory@example.com", Verified: false}, nil, "")
		require.Equal(t, http.StatusBadRequest, flow(t, browser(t), a).StatusCode)
		require.Nil(t, a.client.Order.GetX(sys, mallorys.ID).CustomerID, "an unverified email claims nothing")

		p.signIn(idpUser{Sub: "u-i", Email: "Imani@Example.com", Name: "Imani", Verified: true}, nil, "")
		resp := flow(t, browser(t), a)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		v, err := a.tokens.Verify(decode(t, resp).AccessToken)
		require.NoError(t, err)
		got := a.client.Order.GetX(sys, imanis.ID).CustomerID
		require.NotNil(t, got)
		require.Equal(t, v.CustomerID, *got)
		require.Nil(t, a.client.Order.GetX(sys, mallorys.ID).CustomerID)
	})
}
