package shipping

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/pickuppoint"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
	"github.com/savannah-commerce/savannah/ent/shippingzone"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/input"
)

// Staff's writes. Each validates its whole input first (every problem at
// its field, as an *input.Error), then writes as one unit (under a
// savepoint of the caller's transaction), so a refused write changed
// nothing. Update replaces the whole definition with the input.

// Limits of the definitions.
const (
	MaxNameLen  = 100
	MaxBands    = 50
	MaxDays     = 365
	MaxPostLen  = 20
	MaxHoursLen = 500
	maxLineLen  = 200
)

// ZoneInput defines a zone.
type ZoneInput struct {
	Name              string
	CountryCode       string
	Region            string
	Town              string
	PostalCodePattern string
}

// BandInput is one band of a banded rate: From is decimal text for
// SUBTOTAL_BANDS, FromWeightGrams grams for WEIGHT_BANDS.
type BandInput struct {
	From            *string
	FromWeightGrams *int
	Price           string
}

// MethodInput defines a method. Rate (decimal text) is the FLAT price;
// Bands the bands of the banded types; FreeOver (decimal text) the
// subtotal from which shipping is free.
type MethodInput struct {
	Name              string
	Kind              shippingmethod.Kind
	RateType          shippingmethod.RateType
	Rate              *string
	Bands             []BandInput
	FreeOver          *string
	MinDays           int
	MaxDays           int
	SameDayCutoffHour *int
	Active            bool
}

// PickupPointInput defines a pickup point.
type PickupPointInput struct {
	Name         string
	Line1        string
	Line2        string
	Town         string
	Region       string
	PostalCode   string
	CountryCode  string
	OpeningHours string
	Phone        string
	Active       bool
}

// savepoint names the unit a write runs under inside the caller's
// transaction.
const savepoint = "shipping_op"

// zoneLockKey names the PostgreSQL advisory lock that serialises zone
// writes ("SVNSHPZN"): two writes each checking for overlaps before the
// other commits could otherwise both pass. SQLite has one writer.
const zoneLockKey int64 = 0x53564e5348505a4e

func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, c *ent.Client) error) error {
	return database.InUnit(ctx, s.client, savepoint, func(ctx context.Context) error {
		return fn(ctx, ent.FromContext(ctx))
	})
}

func (s *Service) lockZones(ctx context.Context, c *ent.Client) error {
	if s.dialect != "postgres" {
		return nil
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", zoneLockKey); err != nil {
		return fmt.Errorf("lock shipping zones: %w", err)
	}
	return nil
}

// CreateZone adds a zone, refusing one that overlaps an existing zone
// (see Zone.Overlaps).
func (s *Service) CreateZone(ctx context.Context, in ZoneInput) (*ent.ShippingZone, error) {
	return s.writeZone(ctx, 0, in)
}

// UpdateZone redefines a zone, with the same checks as CreateZone.
func (s *Service) UpdateZone(ctx context.Context, id int, in ZoneInput) (*ent.ShippingZone, error) {
	return s.writeZone(ctx, id, in)
}

func (s *Service) writeZone(ctx context.Context, id int, in ZoneInput) (*ent.ShippingZone, error) {
	var ps input.Problems
	z := Zone{
		CountryCode:       strings.ToUpper(strings.TrimSpace(in.CountryCode)),
		Region:            strings.Join(strings.Fields(in.Region), " "),
		Town:              strings.Join(strings.Fields(in.Town), " "),
		PostalCodePattern: normalPostal(in.PostalCodePattern),
	}
	name := checkText(&ps, in.Name, true, MaxNameLen, "input", "name")
	if !schematype.ValidCountryCode(z.CountryCode) {
		ps.Add(input.ErrInvalid, "a country is an ISO 3166-1 alpha-2 code, such as KE", "input", "countryCode")
	}
	checkText(&ps, z.Region, false, MaxNameLen, "input", "region")
	checkText(&ps, z.Town, false, MaxNameLen, "input", "town")
	checkPattern(&ps, z.PostalCodePattern)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.ShippingZone
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := s.lockZones(ctx, c); err != nil {
			return err
		}
		others, err := c.ShippingZone.Query().
			Where(shippingzone.CountryCode(z.CountryCode), shippingzone.IDNEQ(id)).
			All(ctx)
		if err != nil {
			return fmt.Errorf("read zones: %w", err)
		}
		for _, o := range others {
			if z.Overlaps(zoneOf(o)) {
				return input.Fail(input.ErrInvalid, fmt.Sprintf("overlaps zone %q: an address could match both, equally specific", o.Name), "input")
			}
		}
		if id == 0 {
			out, err = c.ShippingZone.Create().
				SetName(name).SetCountryCode(z.CountryCode).SetRegion(z.Region).SetTown(z.Town).
				SetPostalCodePattern(z.PostalCodePattern).SetMatchKey(z.key()).
				Save(ctx)
		} else {
			out, err = c.ShippingZone.UpdateOneID(id).
				SetName(name).SetCountryCode(z.CountryCode).SetRegion(z.Region).SetTown(z.Town).
				SetPostalCodePattern(z.PostalCodePattern).SetMatchKey(z.key()).
				Save(ctx)
		}
		switch {
		case ent.IsNotFound(err):
			return input.Fail(input.ErrNotFound, "no such shipping zone", "id")
		case ent.IsConstraintError(err):
			return input.Fail(input.ErrInvalid, "another zone has this definition", "input")
		case err != nil:
			return fmt.Errorf("write zone: %w", err)
		}
		return nil
	})
	return out, err
}

// DeleteZone removes a zone with its methods and their pickup points.
func (s *Service) DeleteZone(ctx context.Context, id int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := s.lockZones(ctx, c); err != nil {
			return err
		}
		return deleted(c.ShippingZone.DeleteOneID(id).Exec(ctx), "no such shipping zone")
	})
}

// CreateMethod adds a method to a zone.
func (s *Service) CreateMethod(ctx context.Context, zoneID int, in MethodInput) (*ent.ShippingMethod, error) {
	return s.writeMethod(ctx, zoneID, 0, in)
}

// UpdateMethod redefines a method (its zone stays). A method whose kind
// leaves PICKUP while it has pickup points is refused.
func (s *Service) UpdateMethod(ctx context.Context, id int, in MethodInput) (*ent.ShippingMethod, error) {
	return s.writeMethod(ctx, 0, id, in)
}

func (s *Service) writeMethod(ctx context.Context, zoneID, id int, in MethodInput) (*ent.ShippingMethod, error) {
	var ps input.Problems
	name := checkText(&ps, in.Name, true, MaxNameLen, "input", "name")
	if err := shippingmethod.KindValidator(in.Kind); err != nil {
		ps.Add(input.ErrInvalid, "kind is DELIVERY or PICKUP", "input", "kind")
	}
	var rate int64
	var bands []schematype.RateBand
	switch in.RateType {
	case shippingmethod.RateTypeFLAT:
		if in.Rate == nil {
			ps.Add(input.ErrRequired, "a FLAT method needs a rate", "input", "rate")
		} else {
			rate = s.amount(&ps, *in.Rate, "input", "rate")
		}
		if len(in.Bands) > 0 {
			ps.Add(input.ErrInvalid, "a FLAT method has no bands", "input", "bands")
		}
	case shippingmethod.RateTypeSUBTOTAL_BANDS, shippingmethod.RateTypeWEIGHT_BANDS:
		if in.Rate != nil {
			ps.Add(input.ErrInvalid, "a banded method has no flat rate", "input", "rate")
		}
		bands = s.checkBands(&ps, in.RateType, in.Bands)
	default:
		ps.Add(input.ErrInvalid, "rateType is FLAT, SUBTOTAL_BANDS or WEIGHT_BANDS", "input", "rateType")
	}
	var freeOver *int64
	if in.FreeOver != nil {
		v := s.amount(&ps, *in.FreeOver, "input", "freeOver")
		freeOver = &v
	}
	if in.MinDays < 0 || in.MinDays > MaxDays {
		ps.Add(input.ErrInvalid, fmt.Sprintf("minDays is between 0 and %d", MaxDays), "input", "minDays")
	}
	if in.MaxDays < in.MinDays || in.MaxDays > MaxDays {
		ps.Add(input.ErrInvalid, fmt.Sprintf("maxDays is between minDays and %d", MaxDays), "input", "maxDays")
	}
	if h := in.SameDayCutoffHour; h != nil && (*h < 0 || *h > 23) {
		ps.Add(input.ErrInvalid, "sameDayCutoffHour is an hour from 0 to 23", "input", "sameDayCutoffHour")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	if bands == nil {
		bands = []schematype.RateBand{}
	}
	var out *ent.ShippingMethod
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		var err error
		if id == 0 {
			if ok, err := c.ShippingZone.Query().Where(shippingzone.ID(zoneID)).Exist(ctx); err != nil {
				return fmt.Errorf("read zone: %w", err)
			} else if !ok {
				return input.Fail(input.ErrNotFound, "no such shipping zone", "zoneId")
			}
			out, err = c.ShippingMethod.Create().
				SetZoneID(zoneID).SetName(name).SetKind(in.Kind).SetRateType(in.RateType).
				SetRateMinor(rate).SetBands(bands).SetNillableFreeOverMinor(freeOver).
				SetMinDays(in.MinDays).SetMaxDays(in.MaxDays).
				SetNillableSameDayCutoffHour(in.SameDayCutoffHour).SetActive(in.Active).
				Save(ctx)
		} else {
			if in.Kind != shippingmethod.KindPICKUP {
				n, err := c.PickupPoint.Query().Where(pickuppoint.MethodID(id)).Count(ctx)
				if err != nil {
					return fmt.Errorf("count pickup points: %w", err)
				}
				if n > 0 {
					return input.Fail(input.ErrInvalid, "the method has pickup points: delete them first", "input", "kind")
				}
			}
			u := c.ShippingMethod.UpdateOneID(id).
				SetName(name).SetKind(in.Kind).SetRateType(in.RateType).
				SetRateMinor(rate).SetBands(bands).
				SetMinDays(in.MinDays).SetMaxDays(in.MaxDays).SetActive(in.Active).
				ClearFreeOverMinor().ClearSameDayCutoffHour()
			u.SetNillableFreeOverMinor(freeOver).SetNillableSameDayCutoffHour(in.SameDayCutoffHour)
			out, err = u.Save(ctx)
		}
		switch {
		case ent.IsNotFound(err):
			return input.Fail(input.ErrNotFound, "no such shipping method", "id")
		case err != nil:
			return fmt.Errorf("write method: %w", err)
		}
		return nil
	})
	return out, err
}

// checkBands reads banded rates: at least one band, the first from 0,
// each from above the one before.
func (s *Service) checkBands(ps *input.Problems, rt shippingmethod.RateType, in []BandInput) []schematype.RateBand {
	if len(in) == 0 {
		ps.Add(input.ErrRequired, "a banded method needs bands", "input", "bands")
		return nil
	}
	if len(in) > MaxBands {
		ps.Add(input.ErrInvalid, fmt.Sprintf("at most %d bands", MaxBands), "input", "bands")
		return nil
	}
	out := make([]schematype.RateBand, len(in))
	for i, b := range in {
		at := func(f string) []string { return []string{"input", "bands", strconv.Itoa(i), f} }
		var from int64
		switch rt {
		case shippingmethod.RateTypeWEIGHT_BANDS:
			if b.FromWeightGrams == nil || b.From != nil {
				ps.Add(input.ErrRequired, "a weight band starts at fromWeightGrams", at("fromWeightGrams")...)
				continue
			}
			from = int64(*b.FromWeightGrams)
		default:
			if b.From == nil || b.FromWeightGrams != nil {
				ps.Add(input.ErrRequired, "a subtotal band starts at fromSubtotal", at("fromSubtotal")...)
				continue
			}
			from = s.amount(ps, *b.From, at("fromSubtotal")...)
		}
		field := "fromSubtotal"
		if rt == shippingmethod.RateTypeWEIGHT_BANDS {
			field = "fromWeightGrams"
		}
		switch {
		case i == 0 && from != 0:
			ps.Add(input.ErrInvalid, "the first band starts at 0", at(field)...)
		case i > 0 && from <= out[i-1].From:
			ps.Add(input.ErrInvalid, "each band starts above the one before", at(field)...)
		}
		out[i] = schematype.RateBand{From: from, PriceMinor: s.amount(ps, b.Price, at("price")...)}
	}
	return out
}

// DeleteMethod removes a method with its pickup points.
func (s *Service) DeleteMethod(ctx context.Context, id int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		return deleted(c.ShippingMethod.DeleteOneID(id).Exec(ctx), "no such shipping method")
	})
}

// CreatePickupPoint adds a pickup point to a PICKUP method.
func (s *Service) CreatePickupPoint(ctx context.Context, methodID int, in PickupPointInput) (*ent.PickupPoint, error) {
	return s.writePickupPoint(ctx, methodID, 0, in)
}

// UpdatePickupPoint redefines a pickup point (its method stays).
func (s *Service) UpdatePickupPoint(ctx context.Context, id int, in PickupPointInput) (*ent.PickupPoint, error) {
	return s.writePickupPoint(ctx, 0, id, in)
}

func (s *Service) writePickupPoint(ctx context.Context, methodID, id int, in PickupPointInput) (*ent.PickupPoint, error) {
	var ps input.Problems
	p := PickupPointInput{
		Name:         checkText(&ps, in.Name, true, MaxNameLen, "input", "name"),
		Line1:        checkText(&ps, in.Line1, true, maxLineLen, "input", "line1"),
		Line2:        checkText(&ps, in.Line2, false, maxLineLen, "input", "line2"),
		Town:         checkText(&ps, in.Town, true, MaxNameLen, "input", "town"),
		Region:       checkText(&ps, in.Region, false, MaxNameLen, "input", "region"),
		PostalCode:   checkText(&ps, in.PostalCode, false, MaxPostLen, "input", "postalCode"),
		CountryCode:  strings.ToUpper(strings.TrimSpace(in.CountryCode)),
		OpeningHours: checkText(&ps, in.OpeningHours, true, MaxHoursLen, "input", "openingHours"),
		Phone:        strings.TrimSpace(in.Phone),
		Active:       in.Active,
	}
	if !schematype.ValidCountryCode(p.CountryCode) {
		ps.Add(input.ErrInvalid, "a country is an ISO 3166-1 alpha-2 code, such as KE", "input", "countryCode")
	}
	if err := pickuppoint.PhoneValidator(p.Phone); err != nil {
		ps.Add(input.ErrInvalid, err.Error(), "input", "phone")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.PickupPoint
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		var err error
		if id == 0 {
			m, err := c.ShippingMethod.Get(ctx, methodID)
			if ent.IsNotFound(err) {
				return input.Fail(input.ErrNotFound, "no such shipping method", "methodId")
			}
			if err != nil {
				return fmt.Errorf("read method: %w", err)
			}
			if m.Kind != shippingmethod.KindPICKUP {
				return input.Fail(input.ErrInvalid, "pickup points belong to a PICKUP method", "methodId")
			}
			out, err = c.PickupPoint.Create().SetMethodID(methodID).
				SetName(p.Name).SetLine1(p.Line1).SetLine2(p.Line2).SetTown(p.Town).SetRegion(p.Region).
				SetPostalCode(p.PostalCode).SetCountryCode(p.CountryCode).SetOpeningHours(p.OpeningHours).
				SetPhone(p.Phone).SetActive(p.Active).
				Save(ctx)
			if err != nil {
				return fmt.Errorf("create pickup point: %w", err)
			}
			return nil
		}
		out, err = c.PickupPoint.UpdateOneID(id).
			SetName(p.Name).SetLine1(p.Line1).SetLine2(p.Line2).SetTown(p.Town).SetRegion(p.Region).
			SetPostalCode(p.PostalCode).SetCountryCode(p.CountryCode).SetOpeningHours(p.OpeningHours).
			SetPhone(p.Phone).SetActive(p.Active).
			Save(ctx)
		switch {
		case ent.IsNotFound(err):
			return input.Fail(input.ErrNotFound, "no such pickup point", "id")
		case err != nil:
			return fmt.Errorf("update pickup point: %w", err)
		}
		return nil
	})
	return out, err
}

// DeletePickupPoint removes a pickup point.
func (s *Service) DeletePickupPoint(ctx context.Context, id int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		return deleted(c.PickupPoint.DeleteOneID(id).Exec(ctx), "no such pickup point")
	})
}

func deleted(err error, notFound string) error {
	switch {
	case ent.IsNotFound(err):
		return input.Fail(input.ErrNotFound, notFound, "id")
	case err != nil:
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// amount reads decimal text as minor units of the store currency, with
// the catalogue's rules for prices (catalog.PriceMinor).
func (s *Service) amount(ps *input.Problems, text string, field ...string) int64 {
	v, err := catalog.PriceMinor(s.currency, text)
	if err != nil {
		ps.Add(input.ErrInvalid, err.Error(), field...)
	}
	return v
}

// checkText trims s and checks it is there when required and not too
// long.
func checkText(ps *input.Problems, s string, required bool, maxLen int, field ...string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		ps.Add(input.ErrRequired, "required", field...)
	case utf8.RuneCountInString(s) > maxLen:
		ps.Add(input.ErrInvalid, fmt.Sprintf("at most %d characters", maxLen), field...)
	}
	return s
}

// checkPattern: letters, digits and "-", with an optional final "*".
func checkPattern(ps *input.Problems, p string) {
	body := strings.TrimSuffix(p, "*")
	ok := len(p) <= MaxPostLen && (p == "" || body != "")
	for _, r := range body {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '-') {
			ok = false
		}
	}
	if !ok {
		ps.Add(input.ErrInvalid, `a postal-code pattern is a code such as "00100", or a prefix such as "001*"`, "input", "postalCodePattern")
	}
}
