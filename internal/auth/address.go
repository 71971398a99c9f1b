package auth

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/address"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// AddressInput is a new address, or (for UpdateAddress) the fields to
// change: nil leaves a field as it is.
type AddressInput struct {
	Line1, Line2, City, Region, PostalCode, CountryCode, Phone *string
	IsDefault                                                  *bool
}

// AddAddress adds an address to the viewer's book. The first address, or
// one marked isDefault, becomes the one default.
func (s *Service) AddAddress(ctx context.Context, v Viewer, in AddressInput) (*ent.Address, error) {
	f, err := checkAddress(in)
	if err != nil {
		return nil, err
	}
	db := s.db(ctx)
	if err := s.lockAddressBook(ctx, db, v.CustomerID); err != nil {
		return nil, err
	}
	has, err := db.Address.Query().Where(address.CustomerID(v.CustomerID)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("find addresses: %w", err)
	}
	makeDefault := !has || (in.IsDefault != nil && *in.IsDefault)
	if makeDefault {
		if err := clearDefault(ctx, db, v.CustomerID); err != nil {
			return nil, err
		}
	}
	a, err := db.Address.Create().
		SetCustomerID(v.CustomerID).
		SetLine1(f.line1).SetLine2(f.line2).SetCity(f.city).
		SetRegion(f.region).SetPostalCode(f.postalCode).SetCountryCode(f.countryCode).
		SetNillablePhone(nonEmpty(f.phone)).
		SetIsDefault(makeDefault).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("add address: %w", err)
	}
	return a, nil
}

// UpdateAddress changes an address of the viewer's book.
func (s *Service) UpdateAddress(ctx context.Context, v Viewer, id int, in AddressInput) (*ent.Address, error) {
	if err := s.lockAddressBook(ctx, s.db(ctx), v.CustomerID); err != nil {
		return nil, err
	}
	a, err := s.ownAddress(ctx, id)
	if err != nil {
		return nil, err
	}
	merged := AddressInput{
		Line1: pick(in.Line1, a.Line1), Line2: pick(in.Line2, a.Line2), City: pick(in.City, a.City),
		Region: pick(in.Region, a.Region), PostalCode: pick(in.PostalCode, a.PostalCode),
		CountryCode: pick(in.CountryCode, a.CountryCode), Phone: pick(in.Phone, a.Phone),
	}
	f, err := checkAddress(merged)
	if err != nil {
		return nil, err
	}
	db := s.db(ctx)
	upd := db.Address.UpdateOne(a).
		SetLine1(f.line1).SetLine2(f.line2).SetCity(f.city).
		SetRegion(f.region).SetPostalCode(f.postalCode).SetCountryCode(f.countryCode)
	if f.phone == "" {
		upd.ClearPhone()
	} else {
		upd.SetPhone(f.phone)
	}
	if in.IsDefault != nil && *in.IsDefault && !a.IsDefault {
		if err := clearDefault(ctx, db, v.CustomerID); err != nil {
			return nil, err
		}
		upd.SetIsDefault(true)
	}
	// isDefault: false on the default is ignored: a book with addresses
	// always has one default; choose another with setDefaultAddress.
	a, err = upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update address: %w", err)
	}
	return a, nil
}

// DeleteAddress removes an address of the viewer's book; when it was the
// default, the most recently added remaining address becomes the default.
func (s *Service) DeleteAddress(ctx context.Context, v Viewer, id int) error {
	if err := s.lockAddressBook(ctx, s.db(ctx), v.CustomerID); err != nil {
		return err
	}
	a, err := s.ownAddress(ctx, id)
	if err != nil {
		return err
	}
	db := s.db(ctx)
	if err := db.Address.DeleteOne(a).Exec(ctx); err != nil {
		return fmt.Errorf("delete address: %w", err)
	}
	if !a.IsDefault {
		return nil
	}
	next, err := db.Address.Query().Where(address.CustomerID(v.CustomerID)).
		Order(ent.Desc(address.FieldCreatedAt), ent.Desc(address.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find addresses: %w", err)
	}
	if err := next.Update().SetIsDefault(true).Exec(ctx); err != nil {
		return fmt.Errorf("set default address: %w", err)
	}
	return nil
}

// SetDefaultAddress makes an address the viewer's only default.
func (s *Service) SetDefaultAddress(ctx context.Context, v Viewer, id int) (*ent.Address, error) {
	if err := s.lockAddressBook(ctx, s.db(ctx), v.CustomerID); err != nil {
		return nil, err
	}
	a, err := s.ownAddress(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.IsDefault {
		return a, nil
	}
	db := s.db(ctx)
	if err := clearDefault(ctx, db, v.CustomerID); err != nil {
		return nil, err
	}
	a, err = db.Address.UpdateOne(a).SetIsDefault(true).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("set default address: %w", err)
	}
	return a, nil
}

// lockAddressBook serialises, on PostgreSQL, the writes to one customer's
// address book until the transaction ends, by locking the customer's row:
// each write reads the book (is there a default? which comes next?) before
// changing it, and two at once could leave two defaults, or fail on an
// address the other just deleted. SQLite's single writer serialises them
// already.
func (s *Service) lockAddressBook(ctx context.Context, db *ent.Client, customerID int) error {
	if s.cfg.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := db.Customer.Query().Where(customer.ID(customerID)).ForUpdate().OnlyID(viewer.System(ctx, "auth: lock the customer's address book")); err != nil {
		return fmt.Errorf("lock address book: %w", err)
	}
	return nil
}

// ownAddress finds an address of the viewer, read through privacy as a
// shopper (staff, too, change only their own book here); another
// customer's address answers NOT_FOUND, exactly like one that does not
// exist.
func (s *Service) ownAddress(ctx context.Context, id int) (*ent.Address, error) {
	a, err := s.db(ctx).Address.Get(viewer.AsShopper(ctx), id)
	if ent.IsNotFound(err) {
		return nil, input.Fail(input.ErrNotFound, "no such address", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("find address: %w", err)
	}
	return a, nil
}

func clearDefault(ctx context.Context, db *ent.Client, customerID int) error {
	err := db.Address.Update().
		Where(address.CustomerID(customerID), address.IsDefault(true)).
		SetIsDefault(false).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("clear default address: %w", err)
	}
	return nil
}

func pick(v *string, current string) *string {
	if v != nil {
		return v
	}
	return &current
}

type addressFields struct {
	line1, line2, city, region, postalCode, countryCode, phone string
}

// checkAddress validates and normalises an address: trimmed text, an
// upper-case ISO 3166-1 alpha-2 country, an E.164 phone.
func checkAddress(in AddressInput) (addressFields, error) {
	var c input.Problems
	text := func(v *string, name string, limit int, required bool) string {
		s := ""
		if v != nil {
			s = strings.TrimSpace(*v)
		}
		switch {
		case s == "" && required:
			c.Add(input.ErrRequired, name+" is required", "input", name)
		case utf8.RuneCountInString(s) > limit:
			c.Add(input.ErrInvalid, fmt.Sprintf("%s must be at most %d characters", name, limit), "input", name)
		}
		return s
	}
	f := addressFields{
		line1:      text(in.Line1, "line1", 200, true),
		line2:      text(in.Line2, "line2", 200, false),
		city:       text(in.City, "city", 100, true),
		region:     text(in.Region, "region", 100, false),
		postalCode: text(in.PostalCode, "postalCode", 20, false),
	}
	f.countryCode = strings.ToUpper(text(in.CountryCode, "countryCode", 2, true))
	if len(f.countryCode) == 2 && !schematype.ValidCountryCode(f.countryCode) {
		c.Add(input.ErrInvalid, "countryCode is not an ISO 3166-1 alpha-2 code, such as KE", "input", "countryCode")
	}
	f.phone = checkPhone(&c, []string{"input", "phone"}, in.Phone)
	return f, c.Err()
}

// nonEmpty is nil for "": an empty optional field is left unset, as the
// schema's validators (E.164) would refuse "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
