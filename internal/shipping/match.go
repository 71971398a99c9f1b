package shipping

import (
	"strings"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/ent/shippingmethod"
)

// Address is what a zone matches: a country (ISO 3166-1 alpha-2), a
// region (county), a town and a postal code. Region, town and postal code
// may be empty.
type Address struct {
	CountryCode string
	Region      string
	Town        string
	PostalCode  string
}

// Zone is a zone's definition: its country and, when not empty, the
// region, town and postal-code pattern ("00100" exactly, or "001*" for
// every code starting 001) an address must also have.
type Zone struct {
	CountryCode       string
	Region            string
	Town              string
	PostalCodePattern string
}

func zoneOf(z *ent.ShippingZone) Zone {
	return Zone{CountryCode: z.CountryCode, Region: z.Region, Town: z.Town, PostalCodePattern: z.PostalCodePattern}
}

// Specificity ranks a zone for matching: a postal-code pattern counts
// more than a town, a town more than a region, a region more than the
// country alone. Of the zones that match an address, the one of highest
// specificity wins.
func (z Zone) Specificity() int {
	n := 0
	if z.PostalCodePattern != "" {
		n += 4
	}
	if z.Town != "" {
		n += 2
	}
	if z.Region != "" {
		n++
	}
	return n
}

// Matches reports whether the address is in the zone: same country, and
// the same region, town (both compared without regard to case or extra
// spaces) and postal code (by the pattern) where the zone names one.
func (z Zone) Matches(a Address) bool {
	return strings.EqualFold(z.CountryCode, strings.TrimSpace(a.CountryCode)) &&
		(z.Region == "" || sameName(z.Region, a.Region)) &&
		(z.Town == "" || sameName(z.Town, a.Town)) &&
		(z.PostalCodePattern == "" || postalMatches(z.PostalCodePattern, a.PostalCode))
}

// Overlaps reports whether some address would match both zones with
// neither more specific: the ambiguity that zone writes refuse. Zones of
// different specificity never overlap in this sense (the more specific
// one wins).
func (z Zone) Overlaps(o Zone) bool {
	return strings.EqualFold(z.CountryCode, o.CountryCode) &&
		z.Specificity() == o.Specificity() &&
		sameName(z.Region, o.Region) &&
		sameName(z.Town, o.Town) &&
		patternsOverlap(normalPostal(z.PostalCodePattern), normalPostal(o.PostalCodePattern))
}

// key is the zone's normalised definition, unique among zones (the
// database refuses two zones with the same key).
func (z Zone) key() string {
	return strings.Join([]string{strings.ToUpper(z.CountryCode), normalName(z.Region), normalName(z.Town), normalPostal(z.PostalCodePattern)}, "|")
}

// Match returns the zone an address belongs to: the most specific of
// those that match it, or nil when none does. Zone writes keep matching
// unambiguous; should two equally specific zones match anyway, the older
// (lower ID) one wins, so the answer is stable.
func Match(zones []*ent.ShippingZone, a Address) *ent.ShippingZone {
	var best *ent.ShippingZone
	for _, z := range zones {
		if !zoneOf(z).Matches(a) {
			continue
		}
		if best == nil || zoneOf(z).Specificity() > zoneOf(best).Specificity() ||
			(zoneOf(z).Specificity() == zoneOf(best).Specificity() && z.ID < best.ID) {
			best = z
		}
	}
	return best
}

// Price is what a method charges for a cart of this subtotal (minor
// units) and weight (grams): nothing at or over its free-over threshold,
// else its flat rate or the price of the band the subtotal or weight
// falls in.
func Price(m *ent.ShippingMethod, subtotalMinor, weightGrams int64) int64 {
	if m.FreeOverMinor != nil && subtotalMinor >= *m.FreeOverMinor {
		return 0
	}
	switch m.RateType {
	case shippingmethod.RateTypeSUBTOTAL_BANDS:
		return bandPrice(m.Bands, subtotalMinor)
	case shippingmethod.RateTypeWEIGHT_BANDS:
		return bandPrice(m.Bands, weightGrams)
	default:
		return m.RateMinor
	}
}

// bandPrice is the price of the last band starting at or below v (bands
// rise from 0, so one always does).
func bandPrice(bands []schematype.RateBand, v int64) int64 {
	var p int64
	for _, b := range bands {
		if b.From > v {
			break
		}
		p = b.PriceMinor
	}
	return p
}

// normalName is a region or town as compared: trimmed, inner spaces
// collapsed, lower case.
func normalName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func sameName(a, b string) bool { return normalName(a) == normalName(b) }

// normalPostal is a postal code or pattern as compared: upper case,
// without spaces.
func normalPostal(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

func postalMatches(pattern, code string) bool {
	p, c := normalPostal(pattern), normalPostal(code)
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return c != "" && strings.HasPrefix(c, prefix)
	}
	return p == c
}

// patternsOverlap reports whether some postal code matches both
// (normalised) patterns; two empty patterns overlap.
func patternsOverlap(p, q string) bool {
	pp, pPrefix := strings.CutSuffix(p, "*")
	qp, qPrefix := strings.CutSuffix(q, "*")
	switch {
	case pPrefix && qPrefix:
		return strings.HasPrefix(pp, qp) || strings.HasPrefix(qp, pp)
	case pPrefix:
		return strings.HasPrefix(q, pp)
	case qPrefix:
		return strings.HasPrefix(p, qp)
	default:
		return p == q
	}
}
