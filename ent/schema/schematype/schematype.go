// Package schematype holds the Go types that ent schema fields store as
// JSON or as shared enums, kept apart from ent/schema to avoid import cycles.
package schematype

// VariantOption is one name/value option of a product variant, such as
// size=M or colour=Red.
type VariantOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AddressSnapshot is a copy of a shipping address taken when an order is
// placed, so later edits to the customer's address book never change it.
type AddressSnapshot struct {
	Name        string `json:"name,omitempty"`
	Line1       string `json:"line1"`
	Line2       string `json:"line2,omitempty"`
	City        string `json:"city"`
	Region      string `json:"region,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
	CountryCode string `json:"countryCode"`
	Phone       string `json:"phone,omitempty"`
}

// RateBand is one band of a shipping method's banded rate: from From
// (minor units of the cart subtotal, or grams of the cart weight,
// inclusive) up to the next band's From, the shipping price is PriceMinor.
// A method's bands start at 0 and rise strictly, so every subtotal or
// weight falls in exactly one band.
type RateBand struct {
	From       int64 `json:"from"`
	PriceMinor int64 `json:"price_minor"`
}

// TaxLine is what one tax rate added to a placed order, as priced then:
// later changes to the rate never change it.
type TaxLine struct {
	RateID      int    `json:"rateId"`
	Name        string `json:"name"`
	ClassName   string `json:"className"`
	BasisPoints int64  `json:"basisPoints"`
	// BaseMinor is the net amount the rate applied to.
	BaseMinor int64 `json:"baseMinor"`
	TaxMinor  int64 `json:"taxMinor"`
}

// ShippingSnapshot is an order's copy of the shipping method chosen at
// checkout, taken when the order is placed, so later edits to the method
// or its pickup points never change it. The price is the order's
// shipping_minor.
type ShippingSnapshot struct {
	MethodID int    `json:"methodId"`
	Name     string `json:"name"`
	// Kind is DELIVERY or PICKUP.
	Kind string `json:"kind"`
	// PickupPoint is where a PICKUP order is collected.
	PickupPoint *PickupPointSnapshot `json:"pickupPoint,omitempty"`
}

// PickupPointSnapshot is an order's copy of its pickup point.
type PickupPointSnapshot struct {
	PointID      int             `json:"pointId"`
	Name         string          `json:"name"`
	Address      AddressSnapshot `json:"address"`
	OpeningHours string          `json:"openingHours"`
	Phone        string          `json:"phone"`
}

// AppliedPromotion is an order's copy of a promotion (and the code, if
// any) that discounted it, with the amount it took off, in the store's
// price mode.
type AppliedPromotion struct {
	PromotionID int    `json:"promotionId"`
	Name        string `json:"name"`
	Code        string `json:"code,omitempty"`
	VoucherID   int    `json:"voucherId,omitempty"`
	// Buyer is the voucher-use key counted (internal/promotion), so a
	// cancellation gives the same use back.
	Buyer       string `json:"buyer,omitempty"`
	AmountMinor int64  `json:"amountMinor"`
	// Shipping: it took AmountMinor off the shipping charge (a SHIPPING
	// action), not off the lines.
	Shipping bool `json:"shipping,omitempty"`
}

// AuditChange is one row an audited mutation wrote (internal/audit): the
// entity's type and global ID, what was done to it, and which fields it
// set or cleared. A field's value is kept only when the field is not
// Sensitive() in the ent schema (passwords, secrets, token and hash
// fields never are).
type AuditChange struct {
	// Type is the ent type, such as Product.
	Type string `json:"type"`
	// Op is CREATE, UPDATE or DELETE.
	Op string `json:"op"`
	// IDs are the global IDs of the rows written (several for a bulk
	// update or delete).
	IDs    []string           `json:"ids,omitempty"`
	Fields []AuditFieldChange `json:"fields,omitempty"`
}

// AuditFieldChange is one field an audited mutation set or cleared.
type AuditFieldChange struct {
	Name string `json:"name"`
	// Value is the new value as JSON text; nil when the field was
	// cleared or is sensitive (Redacted).
	Value    *string `json:"value,omitempty"`
	Cleared  bool    `json:"cleared,omitempty"`
	Redacted bool    `json:"redacted,omitempty"`
}
