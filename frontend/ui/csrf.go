package ui

import (
	"context"
	"crypto/subtle"
	"net/http"
)

const (
	csrfCookie = "dhis2sync_csrf"
	csrfField  = "csrf"
	csrfHeader = "X-Csrf-Token"
)

type csrfKey struct{}

// csrfToken returns the request's CSRF token (set by withCSRF).
func csrfToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// withCSRF gives every visitor a random token in an HttpOnly, SameSite=Strict cookie and requires it back,
// in the "csrf" form field or the X-Csrf-Token header (htmx sends it from hx-headers), on every
// state-changing request, compared in constant time as Miniflux does. It complements
// http.CrossOriginProtection, which already refuses cross-site browser requests by their Fetch metadata.
func (s *Server) withCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
			token = c.Value
		}
		if token == "" {
			token = randomString(32)
			http.SetCookie(w, &http.Cookie{
				Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
				Secure: s.secureCookies, SameSite: http.SameSiteStrictMode,
			})
		}
		if !safeMethod(r.Method) {
			sent := r.Header.Get(csrfHeader)
			if sent == "" {
				sent = r.PostFormValue(csrfField)
			}
			if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				s.log.Warn("refused a request without a valid CSRF token", "method", r.Method, "path", r.URL.Path)
				s.renderForbidden(w, r, "The form has expired or did not come from this dashboard. Reload the page and try again.")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, token)))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
