package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gosimple/unidecode"
)

// slugBaseLen leaves room for a "-NNN" suffix under schematype.MaxSlugLen.
const slugBaseLen = 80

var nonSlugRun = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify turns any name into a URL slug of ASCII letters, digits and
// single hyphens: "Café Crème 250g" → "cafe-creme-250g", "Кофе" → "kofe".
// Letters of every script are transliterated rather than dropped, so a
// name in Swahili, Arabic or Chinese still yields a readable slug. It
// returns "" when nothing of the name survives (only punctuation).
func Slugify(name string) string {
	s := strings.ToLower(unidecode.Unidecode(name))
	s = strings.Trim(nonSlugRun.ReplaceAllString(s, "-"), "-")
	if len(s) > slugBaseLen {
		s = strings.TrimRight(s[:slugBaseLen], "-")
	}
	return s
}

// uniqueSlug returns base if no row uses it, else base with the lowest free
// numeric suffix ("base-2", "base-3", …). taken lists the slugs in use
// that start with base, in one query.
func uniqueSlug(ctx context.Context, base string, taken func(ctx context.Context, prefix string) ([]string, error)) (string, error) {
	used, err := taken(ctx, base)
	if err != nil {
		return "", fmt.Errorf("look up slugs: %w", err)
	}
	inUse := make(map[int]bool, len(used))
	for _, u := range used {
		if u == base {
			inUse[1] = true
			continue
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(u, base+"-")); err == nil && strings.HasPrefix(u, base+"-") {
			inUse[n] = true
		}
	}
	if !inUse[1] {
		return base, nil
	}
	for n := 2; ; n++ {
		if !inUse[n] {
			return base + "-" + strconv.Itoa(n), nil
		}
	}
}
