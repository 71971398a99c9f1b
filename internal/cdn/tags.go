package cdn

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/savannah-commerce/savannah/internal/globalid"
)

// MaxTagHeader bounds each tag header; CDNs refuse longer ones (16 KB is
// the common limit). An answer showing more IDs than fit carries
// CatalogTag alone, so only a catalogue-wide purge drops it.
const MaxTagHeader = 8 << 10

// SetTags tags a cacheable GraphQL answer with the global IDs it shows:
// the values of its "id" fields. They go in Surrogate-Key (space-separated,
// Fastly's) and Cache-Tag (comma-separated, Cloudflare's), CatalogTag
// always first. Cache hits run no resolvers, so the answer's bytes are
// the only record of what it shows.
func SetTags(h http.Header, body []byte) {
	tags := []string{CatalogTag}
	var v any
	if json.Unmarshal(body, &v) == nil {
		seen := map[string]bool{}
		size := len(CatalogTag)
		collectIDs(v, func(id string) {
			if !seen[id] {
				seen[id] = true
				size += len(id) + 1
				tags = append(tags, id)
			}
		})
		if size > MaxTagHeader {
			tags = tags[:1]
		}
		slices.Sort(tags[1:]) // the same answer, the same headers
	}
	h.Set("Surrogate-Key", strings.Join(tags, " "))
	h.Set("Cache-Tag", strings.Join(tags, ","))
}

// collectIDs calls found with every global ID that is the value of an
// "id" field in v.
func collectIDs(v any, found func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "id" {
				if _, err := globalid.Decode(s); err == nil {
					found(s)
				}
				continue
			}
			collectIDs(e, found)
		}
	case []any:
		for _, e := range v {
			collectIDs(e, found)
		}
	}
}
