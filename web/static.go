package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"sync"
)

// static holds the vendored front-end assets: htmx.min.js (npm htmx.org@2.0.11),
// pico.min.css (npm @picocss/pico@2.1.1), and our app.css and app.js. No CDN.
//
//go:embed static
var static embed.FS

// staticVersions maps each asset to a hash of its content, so URLs change when the file
// does and browsers may cache them for good.
var staticVersions = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(h[:6])
		return nil
	})
	return out
})

// staticURL is the versioned URL of an asset.
func staticURL(name string) string {
	return "/admin/static/" + name + "?v=" + staticVersions()[name]
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	files := http.StripPrefix("/admin/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		if r.URL.Query().Has("v") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(w, r)
	})
}
