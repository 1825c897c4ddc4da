package status

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"time"
)

//go:embed page.html page.css page.js
var assets embed.FS

// The page's template, style and script, parsed and hashed once. They are
// constants of the binary, so a failure here is a build mistake that every
// test of the package would show.
var (
	pageTemplate = template.Must(template.New("page.html").Funcs(funcs).ParseFS(assets, "page.html"))
	pageStyle    = mustAsset("page.css")
	pageScript   = mustAsset("page.js")
	// The policy lets the page run its own inline script and style and
	// fetch from its own origin, and nothing else.
	pagePolicy = "default-src 'none'; script-src '" + digest(pageScript) + "'; style-src '" + digest(pageStyle) +
		"'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// refresh is how often the page reloads itself without JavaScript.
const refresh = 5 * time.Second

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// digest is a CSP source expression for the exact text of an inline
// element.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// pageData is what page.html renders.
type pageData struct {
	Snapshot
	Style          template.CSS
	Script         template.JS
	IntervalMillis int64
	RefreshSeconds int64
}

// PageHandler serves the status page: a snapshot rendered as HTML, with a
// script that polls the JSON twin, which it expects at "status" relative to
// the page (so at /status for a page at /).
func (s *Status) PageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var buf bytes.Buffer
		err := pageTemplate.Execute(&buf, pageData{
			Snapshot:       s.Snapshot(),
			Style:          template.CSS(pageStyle),
			Script:         template.JS(pageScript),
			IntervalMillis: s.opts.interval.Milliseconds(),
			RefreshSeconds: int64(max(refresh, s.opts.interval) / time.Second),
		})
		if err != nil {
			http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", pagePolicy)
		noCache(h)
		_, _ = w.Write(buf.Bytes())
	})
}

// JSONHandler serves the snapshot as JSON (see [Snapshot] for its fields).
func (s *Status) JSONHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		// Subjects keep their '>': this is not HTML, and nosniff keeps
		// browsers from taking it for HTML.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.Snapshot()); err != nil {
			http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		noCache(h)
		_, _ = w.Write(buf.Bytes())
	})
}

func noCache(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}
