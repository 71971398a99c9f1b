package catalog

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/shippingzone"
	"github.com/savannah-commerce/savannah/ent/taxclass"
	"github.com/savannah-commerce/savannah/ent/taxrate"
)

// Limits of tax classes and rates, as the schema allows.
const (
	MaxTaxClassCodeLen = 64
	MaxTaxNameLen      = 100
	MaxBasisPoints     = 10000
)

// TaxRateInput creates or changes a tax rate; nil fields are left alone
// (and are required on create).
type TaxRateInput struct {
	Name        *string
	BasisPoints *int
	// ZoneID is the shipping zone the rate is for: it replaces the
	// class's zone-less rates for addresses in that zone (pricing.For).
	// Nil on create: every zone; nil on update: unchanged.
	ZoneID *int
}

// TaxClasses returns every tax class, oldest first, with its rates.
func (s *Service) TaxClasses(ctx context.Context) ([]*ent.TaxClass, error) {
	c := s.client
	if tc := ent.FromContext(ctx); tc != nil {
		c = tc
	}
	return c.TaxClass.Query().
		Order(ent.Asc(taxclass.FieldID)).
		WithRates(func(q *ent.TaxRateQuery) { q.Order(ent.Asc(taxrate.FieldID)) }).
		All(ctx)
}

// CreateTaxClass adds a tax class with a unique code.
func (s *Service) CreateTaxClass(ctx context.Context, code, name string) (*ent.TaxClass, error) {
	var ps problems
	code = strings.TrimSpace(code)
	if !schematype.ValidSlug(code) || len(code) > MaxTaxClassCodeLen {
		ps.Add(ErrInvalid, fmt.Sprintf("a code is lowercase letters, digits and hyphens, at most %d bytes, such as zero-rated", MaxTaxClassCodeLen), "input", "code")
	}
	name = checkName(&ps, &name, true, MaxTaxNameLen, "input", "name")
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.TaxClass
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		tc, err := c.TaxClass.Create().SetCode(code).SetName(name).Save(ctx)
		if err != nil {
			return takenOr(err, "create tax class", "a tax class with this code exists", "input", "code")
		}
		out = tc
		return nil
	})
	return out, err
}

// CreateTaxRate adds a rate to a tax class.
func (s *Service) CreateTaxRate(ctx context.Context, classID int, in TaxRateInput) (*ent.TaxRate, error) {
	var ps problems
	name := checkName(&ps, in.Name, true, MaxTaxNameLen, "input", "name")
	if in.BasisPoints == nil {
		ps.Add(ErrRequired, "basisPoints is required", "input", "basisPoints")
	}
	checkBasisPoints(&ps, in.BasisPoints)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.TaxRate
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		exists, err := c.TaxClass.Query().Where(taxclass.ID(classID)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("read tax class: %w", err)
		}
		if !exists {
			return fail(ErrNotFound, "no such tax class", "taxClassId")
		}
		if err := zoneExists(ctx, c, in.ZoneID); err != nil {
			return err
		}
		r, err := c.TaxRate.Create().
			SetTaxClassID(classID).
			SetName(name).
			SetBasisPoints(int64(*in.BasisPoints)).
			SetNillableZoneID(in.ZoneID).
			Save(ctx)
		if sqlgraph.IsForeignKeyConstraintError(err) {
			// The class was deleted after the check above.
			return fail(ErrNotFound, "no such tax class", "taxClassId")
		}
		if err != nil {
			return takenOr(err, "create tax rate", "the class has a rate with this name", "input", "name")
		}
		out = r
		return nil
	})
	return out, err
}

// UpdateTaxRate changes a rate. Carts are priced with it at once; placed
// orders keep the figures they were placed with.
func (s *Service) UpdateTaxRate(ctx context.Context, id int, in TaxRateInput) (*ent.TaxRate, error) {
	var ps problems
	var name string
	if in.Name != nil {
		name = checkName(&ps, in.Name, true, MaxTaxNameLen, "input", "name")
	}
	checkBasisPoints(&ps, in.BasisPoints)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.TaxRate
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := zoneExists(ctx, c, in.ZoneID); err != nil {
			return err
		}
		u := c.TaxRate.UpdateOneID(id).SetNillableZoneID(in.ZoneID)
		if in.Name != nil {
			u.SetName(name)
		}
		if in.BasisPoints != nil {
			u.SetBasisPoints(int64(*in.BasisPoints))
		}
		r, err := u.Save(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such tax rate", "id")
		}
		if err != nil {
			return takenOr(err, "update tax rate", "the class has a rate with this name", "input", "name")
		}
		out = r
		return nil
	})
	return out, err
}

// SetVariantTaxClass sets a variant's tax class; nil: the store's default.
func (s *Service) SetVariantTaxClass(ctx context.Context, variantID int, classID *int) (*ent.ProductVariant, error) {
	var out *ent.ProductVariant
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if classID != nil {
			exists, err := c.TaxClass.Query().Where(taxclass.ID(*classID)).Exist(ctx)
			if err != nil {
				return fmt.Errorf("read tax class: %w", err)
			}
			if !exists {
				return fail(ErrNotFound, "no such tax class", "taxClassId")
			}
		}
		u := c.ProductVariant.UpdateOneID(variantID)
		if classID != nil {
			u.SetTaxClassID(*classID)
		} else {
			u.ClearTaxClassID()
		}
		v, err := u.Save(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such variant", "variantId")
		}
		if sqlgraph.IsForeignKeyConstraintError(err) {
			// The class was deleted after the check above.
			return fail(ErrNotFound, "no such tax class", "taxClassId")
		}
		if err != nil {
			return fmt.Errorf("set variant tax class: %w", err)
		}
		out = v
		return nil
	})
	return out, err
}

// RenameTaxClass changes a class's name; its code, which configuration
// refers to, stays. Placed orders keep the name they were placed with.
func (s *Service) RenameTaxClass(ctx context.Context, id int, name string) (*ent.TaxClass, error) {
	var ps problems
	name = checkName(&ps, &name, true, MaxTaxNameLen, "input", "name")
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.TaxClass
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		tc, err := c.TaxClass.UpdateOneID(id).SetName(name).Save(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such tax class", "id")
		}
		if err != nil {
			return fmt.Errorf("rename tax class: %w", err)
		}
		out = tc
		return nil
	})
	return out, err
}

// DeleteTaxClass removes a class nothing uses: it is refused while
// variants or rates belong to it, and for the store's default class
// (SetDefaultTaxClass), which variants without a class and shipping use.
// Placed orders keep their figures: they snapshot them.
func (s *Service) DeleteTaxClass(ctx context.Context, id int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		q := c.TaxClass.Query().Where(taxclass.ID(id))
		if s.dialect == dialect.Postgres {
			// Lock the class: a variant or rate that would join it
			// meanwhile waits (its foreign key) and then finds it gone,
			// instead of being moved to the default or deleted with it.
			// SQLite's single writer serialises them already.
			q = q.ForUpdate()
		}
		tc, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such tax class", "id")
		}
		if err != nil {
			return fmt.Errorf("read tax class: %w", err)
		}
		var ps problems
		if tc.Code == s.defaultTaxClass {
			ps.Add(ErrInvalid, fmt.Sprintf("%q is the store's default tax class (TAX_DEFAULT_CLASS)", tc.Code), "id")
		}
		variants, err := c.ProductVariant.Query().Where(productvariant.TaxClassID(id)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count variants: %w", err)
		}
		if variants > 0 {
			ps.Add(ErrInvalid, fmt.Sprintf("%d variants have this tax class; give them another first", variants), "id")
		}
		rates, err := c.TaxRate.Query().Where(taxrate.TaxClassID(id)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count tax rates: %w", err)
		}
		if rates > 0 {
			ps.Add(ErrInvalid, fmt.Sprintf("the class has %d rates; delete them first", rates), "id")
		}
		if err := ps.Err(); err != nil {
			return err
		}
		if err := c.TaxClass.DeleteOneID(id).Exec(ctx); err != nil {
			return fmt.Errorf("delete tax class: %w", err)
		}
		return nil
	})
}

// DeleteTaxRate removes a rate: carts are priced without it at once;
// placed orders keep their tax lines.
func (s *Service) DeleteTaxRate(ctx context.Context, id int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		err := c.TaxRate.DeleteOneID(id).Exec(ctx)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such tax rate", "id")
		}
		if err != nil {
			return fmt.Errorf("delete tax rate: %w", err)
		}
		return nil
	})
}

func checkBasisPoints(ps *problems, bp *int) {
	if bp != nil && (*bp < 0 || *bp > MaxBasisPoints) {
		ps.Add(ErrInvalid, fmt.Sprintf("basisPoints is from 0 to %d (1600 is 16 %%)", MaxBasisPoints), "input", "basisPoints")
	}
}

// zoneExists says NOT_FOUND at input.zoneId unless id (nil: none given)
// is a shipping zone.
func zoneExists(ctx context.Context, c *ent.Client, id *int) error {
	if id == nil {
		return nil
	}
	ok, err := c.ShippingZone.Query().Where(shippingzone.ID(*id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("read shipping zone: %w", err)
	}
	if !ok {
		return fail(ErrNotFound, "no such shipping zone", "input", "zoneId")
	}
	return nil
}
