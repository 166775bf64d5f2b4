package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	langCookie = "dhis2sync_lang"
	tzCookie   = "dhis2sync_tz"
)

// languages the dashboard speaks; the first is the fallback.
var languages = []string{"en", "fr"}

// pickLanguage honours the language cookie (the switch), then Accept-Language by quality, then English.
func pickLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && supported(c.Value) {
		return c.Value
	}
	return negotiate(r.Header.Get("Accept-Language"))
}

func supported(lang string) bool {
	for _, l := range languages {
		if l == lang {
			return true
		}
	}
	return false
}

// negotiate returns the supported language with the highest quality in an Accept-Language header.
func negotiate(header string) string {
	best, bestQ := languages[0], -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if supported(base) && q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	return best
}

// pickLocation returns the time zone the browser stored in its cookie (app.js detects it), or UTC.
func pickLocation(r *http.Request) *time.Location {
	if c, err := r.Cookie(tzCookie); err == nil && c.Value != "" {
		if loc, err := time.LoadLocation(c.Value); err == nil {
			return loc
		}
	}
	return time.UTC
}
