package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/i18n"
)

// Reading the current page: each helper evaluates a little JavaScript and
// never waits, so a missing element is an answer, not a timeout.

// eval evaluates a JavaScript expression and decodes its JSON result into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("evaluate %s: decode %s: %v", expr, raw, err)
	}
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// present reports whether an element matches sel, without waiting.
func (b *browser) present(sel string) bool {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(sel)), &ok)
	return ok
}

// visible reports whether sel matches an element that is rendered and shown.
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%s);
		return !!e && e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}); })()`, jsString(sel)), &ok)
	return ok
}

// text returns the trimmed visible text of sel, or "" when nothing matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`(document.querySelector(%s)?.innerText ?? "").trim()`, jsString(sel)), &s)
	return s
}

// attr returns an attribute of sel ("" when absent).
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%s)?.getAttribute(%s) ?? ""`, jsString(sel), jsString(name)), &s)
	return s
}

// wantPath fails unless the current page is at path (query ignored).
func (b *browser) wantPath(path string) {
	b.t.Helper()
	got := b.path()
	if p, _, _ := strings.Cut(got, "?"); p != path {
		b.t.Fatalf("page is %s, want %s; page text:\n%s", got, path, b.text("body"))
	}
}

// noRawKeys fails when the page shows an i18n key instead of its text.
// Codes a page shows on purpose (the audit trail's actions, which can read
// like keys) are inside elements marked data-codes, and do not count.
func (b *browser) noRawKeys() {
	b.t.Helper()
	body := b.text("body")
	var codes string
	b.eval(`[...document.querySelectorAll("[data-codes]")].map(e => e.innerText).join("\n")`, &codes)
	for key := range i18n.Keys(i18n.Default) {
		if strings.Count(body, key) > strings.Count(codes, key) {
			b.t.Errorf("page %s shows the untranslated key %q", b.path(), key)
		}
	}
}
