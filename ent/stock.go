package ent

// QuantityAvailable is stock on hand less what placed orders reserve,
// never below zero. It is a method of the entity, not a resolver, so that
// GraphQL computes ProductVariant.quantityAvailable inline while it writes
// the variant instead of scheduling it as a concurrent field.
func (pv *ProductVariant) QuantityAvailable() int {
	return max(0, pv.StockOnHand-pv.Reserved)
}
