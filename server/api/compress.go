package api

import (
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressMinBytes: smaller answers go out as they are, where compression
// would save little or nothing.
const compressMinBytes = 1024

// withCompression compresses answers of compressMinBytes or more with zstd
// or gzip, as the client's Accept-Encoding allows (zstd preferred), through
// gzhttp. It leaves alone what is already compressed (images, archives, an
// answer with its own Content-Encoding such as /metrics) and WebSocket
// upgrades. A compressed answer's ETag gets a -zstd or -gzip suffix, since
// it is another representation; the GraphQL layer matches either on
// If-None-Match.
func withCompression(next http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(compressMinBytes), gzhttp.SuffixETag("-gzip"))
	if err != nil {
		return nil, fmt.Errorf("compression: %w", err)
	}
	compressed := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	}), nil
}
