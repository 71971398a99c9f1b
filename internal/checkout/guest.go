package checkout

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// Guest checkout.
//
// A guest (an anonymous request holding a guest cart's token) places an
// order from that cart, giving a contact: an email or an E.164 phone,
// checked with the account rules (auth.CheckContact). The idempotency key
// is scoped to the cart's token (a unique index on the order's
// guest_cart_token and key), and a guest's checkouts of one cart are
// serialised like a customer's, so the same key from the same cart returns
// the same order even when requests race.
//
// The order gets an order-access token: 256 random bits, stored only as
// its hash (auth.AccessTokenHash), valid for GuestAccessTTL. It reaches the
// guest only through the outbox, in the order's transaction, as a link to
// GuestOrderURL. Sent back in the X-Order-Token header, the HTTP layer
// turns it into an order grant (OrderGrant, viewer.WithOrderGrant): ent
// privacy then shows that one order, its lines, events and payments, and
// the guest may pay (PayGuestOrder) and cancel (CancelGuestOrder) it. A
// wrong token and an expired one are refused alike.
//
// A customer who later proves the contact (internal/auth: a verification
// code, a reset link, a provider's verified email) claims the orders.

// DefaultGuestAccessTTL is how long an order-access token works, unless
// configured.
const DefaultGuestAccessTTL = 30 * 24 * time.Hour

// accessPurpose separates order-access token hashes from other hashes.
const accessPurpose = "order-access"

// ErrInvalidOrderToken: the order-access token is wrong or expired (the
// same answer for both).
var ErrInvalidOrderToken = errors.New("the order token is invalid or expired")

// GuestNotifier writes the message that gives a guest their order-access
// link, in the caller's transaction; *outbox.Outbox is one.
type GuestNotifier interface {
	GuestOrderPlaced(ctx context.Context, client *ent.Client, orderID int, ch notification.Channel, to, link string) error
}

// Contact is a guest's contact for placeOrder: an email or an E.164
// phone, exactly one.
type Contact struct {
	Email, Phone *string
}

// buyer is who places an order: a signed-in customer, or a guest with
// their cart's token and checked contact.
type buyer struct {
	customerID *int
	cartToken  string
	channel    notification.Channel
	contact    string
	// token is the new order's access token (a guest's only).
	token string
}

func (b buyer) guest() bool { return b.customerID == nil }

// buyerOf is the buyer of ctx: the signed-in customer (who gives no
// contact: the account is theirs), or a guest, who gives a contact
// (without one, ErrUnauthenticated, as before guest checkout existed).
func (s *Service) buyerOf(ctx context.Context, in PlaceOrderInput) (buyer, error) {
	if v, ok := viewer.From(ctx); ok {
		if in.Contact != nil {
			return buyer{}, fail(ErrInvalid, "signed-in customers are reached through their account; leave contact out", "input", "contact")
		}
		return buyer{customerID: &v.CustomerID}, nil
	}
	if in.Contact == nil {
		return buyer{}, ErrUnauthenticated // as before guest checkout: sign in, or give a contact
	}
	var ps input.Problems
	ch, to := auth.CheckContact(&ps, auth.RecoveryTarget{Email: in.Contact.Email, Phone: in.Contact.Phone}, "input", "contact")
	if err := ps.Err(); err != nil {
		return buyer{}, err
	}
	return buyer{cartToken: strings.TrimSpace(in.CartToken), channel: ch, contact: to, token: auth.NewAccessToken()}, nil
}

// lock serialises the buyer's checkouts on PostgreSQL until the
// transaction ends (a customer's, or one guest cart's), so that the
// idempotency key lookup sees a racing request's committed order instead
// of placing a second one; SQLite has a single writer anyway.
func (s *Service) lock(ctx context.Context, c *ent.Client, b buyer) error {
	if !b.guest() {
		return s.lockCustomer(ctx, c, *b.customerID)
	}
	if s.cfg.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", advisoryKey("checkout:guest:"+b.cartToken)); err != nil {
		return fmt.Errorf("lock guest checkout: %w", err)
	}
	return nil
}

// prior is the order the buyer placed with key before, or nil: the
// customer's own (through privacy), or the one of the guest's cart.
func (s *Service) prior(ctx context.Context, c *ent.Client, b buyer, key string) (*ent.Order, error) {
	var (
		o   *ent.Order
		err error
	)
	if b.guest() {
		sys := viewer.System(ctx, "checkout: find a guest cart's order by idempotency key")
		o, err = c.Order.Query().Where(order.GuestCartToken(b.cartToken), order.IdempotencyKey(key)).Only(sys)
	} else {
		o, err = c.Order.Query().Where(order.IdempotencyKey(key), order.GuestCartTokenIsNil()).Only(viewer.AsShopper(ctx))
	}
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find order by idempotency key: %w", err)
	}
	return o, nil
}

// contactOf returns the order's email and phone and fills in the
// address's name: the customer's (the address's phone first), or the
// guest's contact.
func (s *Service) contactOf(sys context.Context, c *ent.Client, b buyer, snapshot *schematype.AddressSnapshot) (email, phone string, err error) {
	phone = snapshot.Phone
	if b.guest() {
		if b.channel == notification.ChannelEMAIL {
			return b.contact, phone, nil
		}
		if phone == "" {
			phone = b.contact
		}
		return "", phone, nil
	}
	cust, err := c.Customer.Get(sys, *b.customerID)
	if err != nil {
		return "", "", fmt.Errorf("read customer: %w", err)
	}
	if snapshot.Name == "" {
		snapshot.Name = cust.Name
	}
	if phone == "" {
		phone = cust.Phone
	}
	return cust.Email, phone, nil
}

// own sets the order's owner: the customer, or the guest's cart, contact
// and access token (its hash and expiry).
func (s *Service) own(create *ent.OrderCreate, b buyer) *ent.OrderCreate {
	if !b.guest() {
		return create.SetCustomerID(*b.customerID)
	}
	return create.
		SetGuestCartToken(b.cartToken).
		SetGuestContact(b.contact).
		SetAccessTokenHash(auth.AccessTokenHash(accessPurpose, b.token)).
		SetAccessExpiresAt(s.cfg.Now().Add(s.cfg.GuestAccessTTL))
}

// sendAccess writes the guest's message with the order-access link, in
// the order's transaction.
func (s *Service) sendAccess(ctx context.Context, c *ent.Client, o *ent.Order, b buyer) error {
	if s.cfg.Notify == nil {
		return errors.New("checkout: no notifier configured for guest orders")
	}
	return s.cfg.Notify.GuestOrderPlaced(ctx, c, o.ID, b.channel, b.contact, s.accessLink(b.token))
}

// accessLink is the front-end page that shows a guest's order, with the
// token in its query.
func (s *Service) accessLink(token string) string {
	sep := "?"
	if strings.Contains(s.cfg.GuestOrderURL, "?") {
		sep = "&"
	}
	return s.cfg.GuestOrderURL + sep + url.Values{"token": {token}}.Encode()
}

// OrderGrant returns the order an order-access token grants, or
// ErrInvalidOrderToken when it is wrong or expired (one lookup by hash
// either way).
func (s *Service) OrderGrant(ctx context.Context, token string) (int, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 128 {
		return 0, ErrInvalidOrderToken
	}
	sys := viewer.System(ctx, "checkout: resolve an order-access token")
	id, err := s.db(ctx).Order.Query().
		Where(order.AccessTokenHash(auth.AccessTokenHash(accessPurpose, token)), order.AccessExpiresAtGT(s.cfg.Now())).
		OnlyID(sys)
	if ent.IsNotFound(err) {
		return 0, ErrInvalidOrderToken
	}
	if err != nil {
		return 0, fmt.Errorf("resolve order token: %w", err)
	}
	return id, nil
}

// GuestOrder returns the order the request's order-access token grants,
// or nil without one.
func (s *Service) GuestOrder(ctx context.Context) (*ent.Order, error) {
	id, ok := viewer.OrderGrant(ctx)
	if !ok {
		return nil, nil
	}
	return s.Order(ctx, id)
}

// PayGuestOrder starts paying the order the request's order-access token
// grants, as PayOrder does (M-Pesa needs only a phone).
func (s *Service) PayGuestOrder(ctx context.Context, method payment.Method, phone string) (*ent.Payment, error) {
	id, ok := viewer.OrderGrant(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	return s.PayOrder(ctx, id, method, phone)
}

// CancelGuestOrder cancels the order the request's order-access token
// grants, as CancelOrder does.
func (s *Service) CancelGuestOrder(ctx context.Context, reason string) (*ent.Order, error) {
	id, ok := viewer.OrderGrant(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	return s.CancelOrder(ctx, id, reason)
}

// actorOf is who acts on an order, for its history: the signed-in
// customer, or nobody named for a guest holding an order grant (privacy
// limits them to that order).
func actorOf(ctx context.Context) (*int, error) {
	if v, ok := viewer.From(ctx); ok {
		return &v.CustomerID, nil
	}
	if _, ok := viewer.OrderGrant(ctx); ok {
		return nil, nil
	}
	return nil, ErrUnauthenticated
}
