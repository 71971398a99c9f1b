package schema

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// Cart is a shopping cart: a guest's, reached only by its unguessable
// token, or a signed-in customer's.
type Cart struct {
	ent.Schema
}

// NewCartToken returns 128 random bits, URL-safe: the cart's public ID.
func NewCartToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Fields of the Cart.
func (Cart) Fields() []ent.Field {
	return []ent.Field{
		// The cart's public ID. Its 128 random bits are what makes a guest
		// cart private; the integer primary key is never shown.
		field.String("token").
			DefaultFunc(NewCartToken).
			Unique().
			Immutable().
			Sensitive(),
		field.String("currency").
			Default("KES").
			MinLen(3).
			MaxLen(3),
		field.Int("customer_id").
			Optional().
			Nillable(),
		// A guest cart idle past this time is purged by a periodic job.
		field.Time("expires_at").
			Default(func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }),
		// Where the cart ships (cartSetShippingAddress): a copy, as an
		// order keeps one, so address-book edits do not move it.
		field.JSON("shipping_address", &schematype.AddressSnapshot{}).
			Optional(),
		// The chosen shipping method and, for a PICKUP method, where the
		// shopper collects (cartSelectShippingOption); internal/checkout
		// checks at placeOrder that the choice still applies.
		field.Int("shipping_method_id").
			Optional().
			Nillable(),
		field.Int("pickup_point_id").
			Optional().
			Nillable(),
		// The voucher codes the shopper entered (cartDiscountCodesUpdate),
		// normalised; internal/promotion says which apply.
		field.Strings("discount_codes").
			Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Cart.
func (Cart) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("carts").
			Field("customer_id").
			Unique(),
		edge.To("lines", CartLine.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.From("shipping_method", ShippingMethod.Type).
			Ref("carts").
			Field("shipping_method_id").
			Unique(),
		edge.From("pickup_point", PickupPoint.Type).
			Ref("carts").
			Field("pickup_point_id").
			Unique(),
	}
}

// Indexes of the Cart.
func (Cart) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
		index.Fields("expires_at"),
	}
}

// Mixin of the Cart.
func (Cart) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the Cart. The GraphQL Cart type is written by hand in
// graph/cart.graphql, because its ID is the token, not the primary key.
func (Cart) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// CartLine is one variant and quantity in a cart.
type CartLine struct {
	ent.Schema
}

// Fields of the CartLine.
func (CartLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("quantity").Positive(),
		field.Int("cart_id").Immutable(),
		field.Int("variant_id").Immutable(),
	}
}

// Edges of the CartLine.
func (CartLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cart", Cart.Type).
			Ref("lines").
			Field("cart_id").
			Unique().
			Required().
			Immutable(),
		edge.From("variant", ProductVariant.Type).
			Ref("cart_lines").
			Field("variant_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the CartLine.
func (CartLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("cart_id", "variant_id").Unique()}
}

// Mixin of the CartLine.
func (CartLine) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the CartLine.
func (CartLine) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
