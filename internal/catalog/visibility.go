package catalog

import (
	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent/predicate"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
)

// Storefront matches the products shoppers may see: ACTIVE ones.
func Storefront() predicate.Product {
	return product.StatusEQ(product.StatusACTIVE)
}

// VisibleTo matches the products a viewer may list: every product for
// staff (who filter by status themselves), ACTIVE ones for everyone else.
func VisibleTo(staff bool) predicate.Product {
	if staff {
		return func(*sql.Selector) {}
	}
	return Storefront()
}

// Available matches variants that can be sold now: stock on hand above
// what placed orders reserve, or inventory not tracked at all.
func Available() predicate.ProductVariant {
	return func(s *sql.Selector) {
		s.Where(sql.Or(
			sql.ColumnsGT(s.C(productvariant.FieldStockOnHand), s.C(productvariant.FieldReserved)),
			sql.EQ(s.C(productvariant.FieldTrackInventory), false),
		))
	}
}
