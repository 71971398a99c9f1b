package schematype

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidCountryCode(t *testing.T) {
	for s, want := range map[string]bool{
		"KE": true, "UG": true, "TZ": true, "GB": true, "US": true,
		"ke": false, "Ke": false, "KEN": false, "K": false, "": false, " KE": false,
		"EU": false,                                        // a region group, not a country
		"UK": false,                                        // exceptionally reserved; the code is GB
		"XX": false, "ZZ": false, "QO": false, "AA": false, // private use or unassigned
	} {
		assert.Equal(t, want, ValidCountryCode(s), "ValidCountryCode(%q)", s)
		assert.Equal(t, want, CheckCountryCode(s) == nil, "CheckCountryCode(%q)", s)
	}
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"coffee": true, "cafe-creme-250g": true, "a": true, "2024": true,
		strings.Repeat("a", MaxSlugLen): true, strings.Repeat("a", MaxSlugLen+1): false,
		"": false, "-coffee": false, "coffee-": false, "caf--e": false, "Coffee": false, "café": false, "a b": false,
	} {
		assert.Equal(t, want, ValidSlug(s), "ValidSlug(%q)", s)
		assert.Equal(t, want, CheckSlug(s) == nil, "CheckSlug(%q)", s)
	}
}
