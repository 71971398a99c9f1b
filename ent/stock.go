package ent

// QuantityAvailable is stock on hand less what placed orders reserve,
// never below zero. It is a method of the entity, not a resolver, so that
// GraphQL computes ProductVariant.quantityAvailable inline while it writes
// the variant instead of scheduling it as a concurrent field. It is the
// Go form of the derivation whose rules (and every stock move) live in
// internal/inventory, which ent cannot import: use inventory.Available,
// Covers and InStock rather than calling it.
func (pv *ProductVariant) QuantityAvailable() int {
	return max(0, pv.StockOnHand-pv.Reserved)
}
