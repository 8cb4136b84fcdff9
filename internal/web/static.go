package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFS embed.FS

// fingerprints maps a static file name to its content hash, so that URLs
// change when content does and files can be cached for a year.
var fingerprints = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		h := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(h[:6])
		return nil
	})
	return m
}()

// staticURL returns the fingerprinted URL of a static file.
func staticURL(name string) string {
	return "/static/" + name + "?v=" + fingerprints[name]
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if _, ok := fingerprints[name]; !ok {
		s.notFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == fingerprints[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(w, r, staticFS, "static/"+name)
}
