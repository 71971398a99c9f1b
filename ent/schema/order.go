package schema

import (
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

// Order is a placed cart: lines, prices and address frozen at checkout,
// moved through the order state machine by payments and staff.
type Order struct {
	ent.Schema
}

// Fields of the Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		// Human-readable and unique, such as "SV-100042".
		field.String("number").
			NotEmpty().
			MaxLen(32).
			Unique().
			Immutable(),
		field.Enum("status").
			Values("PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED").
			Default("PENDING"),
		field.String("currency").
			MinLen(3).
			MaxLen(3).
			Immutable(),
		field.Int64("subtotal_minor").NonNegative().Annotations(hiddenMoney).Immutable(),
		field.Int64("shipping_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		field.Int64("total_minor").
			NonNegative().
			Immutable().
			Annotations(
				entgql.OrderField("TOTAL"),
				hiddenMoney,
			),
		// The tax figures as priced at checkout (internal/pricing): whether
		// the prices included tax, the discount, the tax in total and on
		// shipping, and one line per rate. Net and gross follow from them.
		field.Bool("prices_include_tax").Default(true).Immutable(),
		field.Int64("discount_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		field.Int64("tax_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		field.Int64("shipping_tax_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		// What promotions took off shipping (SHIPPING actions); shipping_minor
		// is the charge after it.
		field.Int64("shipping_discount_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		// Null on orders placed before tax existed: no tax lines.
		field.JSON("tax_lines", []schematype.TaxLine{}).
			Optional().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The promotions and codes applied, each with its amount, as when
		// placed; null or empty: none.
		field.JSON("promotions", []schematype.AppliedPromotion{}).
			Optional().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("email").
			Optional().
			MaxLen(254),
		field.String("phone").
			Optional(),
		field.JSON("shipping_address", schematype.AddressSnapshot{}).
			Annotations(entgql.Type("AddressSnapshot")),
		// The shipping method as chosen at checkout, with its pickup
		// point; null when the store had no shipping methods.
		field.JSON("shipping_method", &schematype.ShippingSnapshot{}).
			Optional().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("note").
			Optional().
			MaxLen(1000),
		// The client's key for placeOrder: the same key from the same
		// customer returns the same order.
		field.String("idempotency_key").
			NotEmpty().
			MaxLen(255).
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("placed_at").
			Default(time.Now).
			Immutable().
			Annotations(entgql.OrderField("PLACED_AT")),
		field.Int("customer_id").
			Optional().
			Nillable(),
		// A guest order (internal/checkout, guest.go): the token of the
		// guest cart it was placed from, which scopes its idempotency key
		// (null on a customer's order, and stays set when a customer
		// claims the order).
		field.String("guest_cart_token").
			Optional().
			Nillable().
			NotEmpty().
			MaxLen(64).
			Immutable().
			Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The guest's contact as given, normalised: an email or an E.164
		// phone. A customer who verifies it claims the order.
		field.String("guest_contact").
			Optional().
			Nillable().
			NotEmpty().
			MaxLen(254).
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The hash of the guest's order-access token (the token itself is
		// only sent to the contact) and when the token stops working.
		field.String("access_token_hash").
			Optional().
			Nillable().
			NotEmpty().
			Unique().
			Immutable().
			Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("access_expires_at").
			Optional().
			Nillable().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("orders").
			Field("customer_id").
			Unique(),
		edge.To("lines", OrderLine.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("events", OrderEvent.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("payments", Payment.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("notifications", Notification.Type).
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		// A customer's key is unique among the orders they placed
		// themselves; a guest's among the orders of their cart, so a
		// claimed guest order never collides with the customer's own.
		index.Fields("customer_id", "idempotency_key").Unique().
			Annotations(entsql.IndexWhere("guest_cart_token IS NULL")),
		index.Fields("guest_cart_token", "idempotency_key").Unique(),
		index.Fields("guest_contact"),
		index.Fields("status", "placed_at"),
		index.Fields("placed_at"),
	}
}

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Annotations of the Order.
func (Order) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Directives(hasPermission("ORDERS_READ")),
		entgql.RelayConnection(),
	}
}

// OrderLine is a snapshot of one cart line at checkout.
type OrderLine struct {
	ent.Schema
}

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.String("product_name").NotEmpty().Immutable(),
		field.String("variant_name").NotEmpty().Immutable(),
		field.String("sku").NotEmpty().Immutable(),
		field.Int("quantity").Positive().Immutable(),
		field.Int64("unit_price_minor").NonNegative().Annotations(hiddenMoney).Immutable(),
		field.Int64("line_total_minor").NonNegative().Annotations(hiddenMoney).Immutable(),
		// The line's share of the order's discount and tax (exact:
		// the lines' shares sum to the order's).
		field.Int64("discount_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		field.Int64("tax_minor").NonNegative().Annotations(hiddenMoney).Default(0).Immutable(),
		// What the line costs after discounts, tax included (net is gross
		// minus tax); null on lines placed before tax existed, whose
		// gross is their line total.
		field.Int64("gross_minor").Optional().Nillable().NonNegative().Annotations(hiddenMoney).Immutable(),
		field.String("tax_class").Optional().MaxLen(200).Immutable(),
		// The catalogue price of one unit when a catalogue sale applied to
		// the line (unit_price_minor is then that same original price and
		// the sale is part of discount_minor); null: no sale.
		field.Int64("compare_at_price_minor").Optional().Nillable().NonNegative().Annotations(hiddenMoney).Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("variant_id").Optional().Nillable(),
	}
}

// Edges of the OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("lines").
			Field("order_id").
			Unique().
			Required().
			Immutable(),
		edge.From("variant", ProductVariant.Type).
			Ref("order_lines").
			Field("variant_id").
			Unique(),
	}
}

// Indexes of the OrderLine.
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("variant_id")}
}

// Mixin of the OrderLine.
func (OrderLine) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// OrderEvent is one entry of an order's history: placed, a status change,
// a payment, a note; with who did it and why.
type OrderEvent struct {
	ent.Schema
}

// Fields of the OrderEvent.
func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("type").
			Values("PLACED", "STATUS_CHANGED", "PAYMENT_STARTED", "PAYMENT_SUCCEEDED", "PAYMENT_FAILED", "NOTE").
			Immutable(),
		field.String("message").Default("").MaxLen(2000).Immutable(),
		field.String("from_status").Optional().Immutable(),
		field.String("to_status").Optional().Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
	}
}

// Edges of the OrderEvent.
func (OrderEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("events").
			Field("order_id").
			Unique().
			Required().
			Immutable(),
		edge.To("actor", Customer.Type).
			Field("actor_id").
			Unique().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the OrderEvent.
func (OrderEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "created_at")}
}

// Mixin of the OrderEvent.
func (OrderEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}
