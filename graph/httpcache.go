package graph

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/internal/cdn"
)

// Cache-Control of answers that no shared cache may keep: anything signed
// in or with an Authorization header, every mutation, every POST, every
// error.
const cacheControlPrivate = "private, no-store"

// varyPublic names what changes a cacheable answer: the media type, the
// content coding and whether the request is signed in.
const varyPublic = "Accept, Accept-Encoding, Authorization"

// sharedCacheNote travels in the context of a GET; the catalogue cache
// marks it when the answer is the same for every anonymous shopper.
type sharedCacheNote struct {
	ttl time.Duration
}

type sharedCacheKey struct{}

// markShared lets a shared cache (a CDN) keep this GET's answer for ttl.
// Outside a GET it does nothing.
func markShared(ctx context.Context, ttl time.Duration) {
	if n, ok := ctx.Value(sharedCacheKey{}).(*sharedCacheNote); ok && ttl > 0 {
		n.ttl = ttl
	}
}

func withSharedCacheNote(ctx context.Context) (context.Context, *sharedCacheNote) {
	n := &sharedCacheNote{}
	return context.WithValue(ctx, sharedCacheKey{}, n), n
}

// writeShared answers a cacheable GET: Cache-Control public for the
// catalogue cache's TTL (and as long again stale while the CDN
// revalidates), a strong ETag that hashes the body, Vary, and 304 when
// If-None-Match already holds the ETag. The compression layer suffixes
// the ETag with the coding (-gzip, -zstd), so a tag with such a suffix
// matches too, and the 304 repeats the tag the client holds. Cache tags
// name the entities the answer shows, for the CDN purge (internal/cdn).
func writeShared(w http.ResponseWriter, r *http.Request, mediaType string, ttl time.Duration, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := w.Header()
	secs := int(ttl.Seconds())
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d", secs, secs))
	h.Add("Vary", varyPublic)
	cdn.SetTags(h, body)
	if held, ok := matchETag(r.Header.Get("If-None-Match"), etag); ok {
		h.Set("ETag", held)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// matchETag finds etag, with or without a content-coding suffix, among
// the tags of an If-None-Match header.
func matchETag(header, etag string) (string, bool) {
	if header == "" {
		return "", false
	}
	base := strings.Trim(etag, `"`)
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return etag, true
		}
		inner := strings.Trim(strings.TrimPrefix(tag, "W/"), `"`)
		for _, suffix := range []string{"", "-gzip", "-zstd"} {
			if inner == base+suffix {
				return `"` + inner + `"`, true
			}
		}
	}
	return "", false
}
