// Package playground serves GraphiQL from the binary: pinned builds of
// GraphiQL, React and ReactDOM (assets/VERSIONS; scripts/fetch-graphiql.sh
// re-fetches them from the npm registry) and a bootstrap script of its
// own. The page needs no network but the API's origin, and runs under a
// Content-Security-Policy of script-src 'self'.
package playground

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// AssetPrefix is the path under which Assets serves the scripts and
// styles the page loads.
const AssetPrefix = "/playground/"

//go:embed assets
var assets embed.FS

//go:embed index.html
var indexHTML string

// Page serves the GraphiQL page, pointed at endpoint.
func Page(endpoint string) http.Handler {
	var buf bytes.Buffer
	tmpl := template.Must(template.New("index").Parse(indexHTML))
	if err := tmpl.Execute(&buf, map[string]string{"Prefix": AssetPrefix, "Endpoint": endpoint}); err != nil {
		panic(err) // a fixed template and two strings
	}
	page := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

// Assets serves the embedded files under AssetPrefix.
func Assets() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	files := http.StripPrefix(AssetPrefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Pinned builds: an hour is plenty, and a version change shows
		// after it.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
