package seed

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/taxclass"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TaxClass is a tax class of a demo store, with its rates in basis points
// (1600 = 16 %) by name.
type TaxClass struct {
	Code, Name string
	Rates      map[string]int64
	// Products (by slug) in this class; the rest use the store's default
	// class (TAX_DEFAULT_CLASS, "standard").
	Products []string
}

// DemoTax is Kenya's VAT for the demo store: 16 % standard; zero-rated
// staples (Kenya's VAT Act zero-rates some foods), shown on invoices at
// 0 %; an exempt class, with no rate, for the store to use.
func DemoTax() []TaxClass {
	return []TaxClass{
		{Code: "standard", Name: "Standard", Rates: map[string]int64{"VAT 16%": 1600}},
		{Code: "zero-rated", Name: "Zero-rated", Rates: map[string]int64{"VAT 0%": 0},
			Products: []string{"maize-flour-unga-wa-ugali", "millet-flour-wimbi", "pishori-rice"}},
		{Code: "exempt", Name: "Exempt"},
	}
}

// LoadTax creates the tax classes that the store lacks (by code), their
// rates and their products' classes, in one transaction. Classes that
// exist are left as they are.
func LoadTax(ctx context.Context, client *ent.Client, classes []TaxClass) error {
	ctx = viewer.System(ctx, "seed: load tax classes")
	return withTx(ctx, client, func(ctx context.Context, tx *ent.Tx) error {
		for _, tc := range classes {
			exists, err := tx.TaxClass.Query().Where(taxclass.Code(tc.Code)).Exist(ctx)
			if err != nil {
				return fmt.Errorf("look for tax class %s: %w", tc.Code, err)
			}
			if exists {
				continue
			}
			c, err := tx.TaxClass.Create().SetCode(tc.Code).SetName(tc.Name).Save(ctx)
			if err != nil {
				return fmt.Errorf("create tax class %s: %w", tc.Code, err)
			}
			for name, bp := range tc.Rates {
				if err := tx.TaxRate.Create().SetTaxClass(c).SetName(name).SetBasisPoints(bp).Exec(ctx); err != nil {
					return fmt.Errorf("create tax rate %s: %w", name, err)
				}
			}
			if len(tc.Products) > 0 {
				_, err := tx.ProductVariant.Update().
					Where(productvariant.HasProductWith(product.SlugIn(tc.Products...))).
					SetTaxClass(c).
					Save(ctx)
				if err != nil {
					return fmt.Errorf("set tax class %s: %w", tc.Code, err)
				}
			}
		}
		return nil
	})
}
