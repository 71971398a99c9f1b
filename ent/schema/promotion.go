package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Promotion is a discount the store runs: a window, a priority, how it
// stacks with others, conditions on the cart and one action. The rules
// that price it live in internal/promotion; the invariants of its data
// live here and in the database (PromotionCheck).
//
// A promotion without codes (requires_code false) applies by itself; with
// requires_code, only through one of its voucher codes. A catalogue
// promotion (no code, no cart condition, a line action) also changes the
// price the catalogue shows.
type Promotion struct {
	ent.Schema
}

// Fields of the Promotion.
func (Promotion) Fields() []ent.Field {
	ids := entgql.Skip(entgql.SkipAll)
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		// Deactivated promotions never apply, whatever their window.
		field.Bool("active").Default(true),
		// The window: from starts_at (none: always started) until before
		// ends_at (none: open-ended).
		field.Time("starts_at").Optional().Nillable(),
		field.Time("ends_at").Optional().Nillable(),
		// Higher first: EXCLUSIVE picks by it, ties go to the older.
		field.Int("priority").Default(0).Range(-1000000, 1000000),
		field.Enum("stacking").Values("EXCLUSIVE", "BEST", "STACKABLE").Default("BEST"),
		field.Bool("requires_code").Default(false),

		// Conditions (all must hold).
		field.Int64("min_subtotal_minor").NonNegative().Default(0).Annotations(hiddenMoney),
		field.Int("min_quantity").NonNegative().Default(0),
		// Lines that match: any of these products, categories (with
		// their subtrees) or variants; none given: every line.
		field.JSON("product_ids", []int{}).Optional().Annotations(ids),
		field.JSON("category_ids", []int{}).Optional().Annotations(ids),
		field.JSON("variant_ids", []int{}).Optional().Annotations(ids),
		field.Bool("signed_in").Default(false),
		field.Bool("first_order").Default(false),

		// The action.
		// SHIPPING takes off the shipping charge instead of the lines:
		// percent_bp of it (10000: free shipping) or amount_minor.
		field.Enum("action").Values("PERCENTAGE", "FIXED_AMOUNT", "FIXED_PRICE", "BUY_X_GET_Y", "SHIPPING"),
		// PERCENTAGE off; BUY_X_GET_Y: off the free units (10000: free);
		// SHIPPING: off the shipping charge.
		field.Int64("percent_bp").Default(0).Range(0, 10000),
		// FIXED_AMOUNT off the matching lines together; FIXED_PRICE: the
		// unit price of each matching unit; SHIPPING: off the shipping
		// charge (at most all of it).
		field.Int64("amount_minor").NonNegative().Default(0).Annotations(hiddenMoney),
		field.Int("buy_quantity").NonNegative().Default(0),
		field.Int("get_quantity").NonNegative().Default(0),

		// Orders placed with it (a cancelled order gives its use back).
		field.Int("uses").NonNegative().Default(0).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		// Orders it may discount in total, codes or not (none:
		// unlimited); held by a conditional update at placeOrder
		// (internal/promotion) and by PromotionUsesCheck.
		field.Int("usage_limit").Positive().Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
	}
}

// Edges of the Promotion.
func (Promotion) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("vouchers", Voucher.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(), entgql.Directives(hasPermission("PROMOTIONS_MANAGE"))),
	}
}

// Annotations of the Promotion.
func (Promotion) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			PromotionCheck: "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at",
			PromotionActionCheck: "action IS NOT NULL AND (" +
				"(action = 'PERCENTAGE' AND percent_bp > 0) OR " +
				"(action = 'FIXED_AMOUNT' AND amount_minor > 0) OR " +
				"(action = 'FIXED_PRICE') OR " +
				"(action = 'BUY_X_GET_Y' AND buy_quantity > 0 AND get_quantity > 0 AND percent_bp > 0) OR " +
				"(action = 'SHIPPING' AND ((percent_bp > 0 AND amount_minor = 0) OR (percent_bp = 0 AND amount_minor > 0))))",
			PromotionUsesCheck: "usage_limit IS NULL OR uses <= usage_limit",
		}),
	}
}

// PromotionCheck, PromotionActionCheck and PromotionUsesCheck name the
// CHECK constraints on a promotion's window, on its action's parameters
// and on its total uses. (The action's check was renamed when SHIPPING
// came, so that migrations replace it: atlas does not diff a check's
// expression on PostgreSQL.)
const (
	PromotionCheck       = "promotion_window"
	PromotionActionCheck = "promotion_action_params"
	PromotionUsesCheck   = "promotion_uses_within_limit"
)

// Mixin of the Promotion.
func (Promotion) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// Voucher is a code that applies its promotion to a cart. Codes are
// stored upper-case (CheckVoucherCode), so the unique index makes them
// unique regardless of case.
type Voucher struct {
	ent.Schema
}

// Fields of the Voucher.
func (Voucher) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").MaxLen(64).Unique().Immutable().Validate(CheckVoucherCode),
		field.Int("promotion_id").Immutable(),
		// Uses so far, and the limits: total, per customer (and per guest
		// contact); none: unlimited. Counted by conditional updates at
		// placeOrder (internal/promotion).
		field.Int("uses").NonNegative().Default(0),
		field.Int("usage_limit").Positive().Optional().Nillable(),
		field.Int("per_customer_limit").Positive().Optional().Nillable(),
	}
}

// Edges of the Voucher.
func (Voucher) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("promotion", Promotion.Type).Ref("vouchers").Field("promotion_id").Unique().Required().Immutable(),
		edge.To("buyer_uses", VoucherUse.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(), entgql.Directives(hasPermission("PROMOTIONS_MANAGE"))),
	}
}

// Annotations of the Voucher.
func (Voucher) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"voucher_uses_within_limit": "usage_limit IS NULL OR uses <= usage_limit",
		}),
		entgql.RelayConnection(),
	}
}

// Mixin of the Voucher.
func (Voucher) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}, TimeMixin{}}
}

// VoucherUse counts one buyer's uses of a voucher: buyer is "c:<customer
// id>" or "g:<guest contact>". The per-customer limit is held by a
// conditional upsert on this row.
type VoucherUse struct {
	ent.Schema
}

// Fields of the VoucherUse.
func (VoucherUse) Fields() []ent.Field {
	return []ent.Field{
		field.Int("voucher_id").Immutable(),
		field.String("buyer").NotEmpty().MaxLen(300).Immutable(),
		field.Int("uses").NonNegative().Default(0),
	}
}

// Edges of the VoucherUse.
func (VoucherUse) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("voucher", Voucher.Type).Ref("buyer_uses").Field("voucher_id").Unique().Required().Immutable(),
	}
}

// Indexes of the VoucherUse.
func (VoucherUse) Indexes() []ent.Index {
	return []ent.Index{index.Fields("voucher_id", "buyer").Unique()}
}

// Annotations of the VoucherUse: staff read them through
// Voucher.buyerUses; only the system writes them.
func (VoucherUse) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Mixin of the VoucherUse.
func (VoucherUse) Mixin() []ent.Mixin {
	return []ent.Mixin{Base{}}
}
