package schematype

import (
	"errors"
	"regexp"

	"golang.org/x/text/language"
)

// The formats that the schema's validators enforce and that services check
// before they write, to name the field at fault: each is defined here once.

// MaxSlugLen is the longest slug a product or category may have.
const MaxSlugLen = 200

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// ValidSlug reports whether s is a URL slug: lower-case ASCII letters and
// digits in runs joined by single hyphens, at most MaxSlugLen bytes.
func ValidSlug(s string) bool {
	return len(s) <= MaxSlugLen && slugPattern.MatchString(s)
}

// CheckSlug is ValidSlug as an ent field validator.
func CheckSlug(s string) error {
	if !ValidSlug(s) {
		return errors.New("slug must be lower-case letters and digits joined by single hyphens")
	}
	return nil
}

// ValidCountryCode reports whether s is an ISO 3166-1 alpha-2 country
// code in upper case, such as "KE" (not a region group, not a private-use
// or withdrawn code).
func ValidCountryCode(s string) bool {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return false
	}
	r, err := language.ParseRegion(s)
	return err == nil && r.IsCountry() && !r.IsPrivateUse() && r.Canonicalize().String() == s
}

// CheckCountryCode is ValidCountryCode as an ent field validator.
func CheckCountryCode(s string) error {
	if !ValidCountryCode(s) {
		return errors.New("country code must be an ISO 3166-1 alpha-2 code such as KE")
	}
	return nil
}
