package ui

import "net/http"

// htmx request and response headers (https://htmx.org/reference/#headers).
const (
	hxRequest  = "HX-Request"
	hxBoosted  = "HX-Boosted"
	hxRedirect = "HX-Redirect"
)

// isHTMX says whether r is an htmx request that wants a fragment rather than a whole page.
func isHTMX(r *http.Request) bool {
	return r.Header.Get(hxRequest) == "true" && r.Header.Get(hxBoosted) != "true"
}

// redirect sends the browser to url: with HX-Redirect for htmx requests (a 3xx would be followed inside
// the XHR and swapped as a fragment), with 303 See Other otherwise.
func redirect(w http.ResponseWriter, r *http.Request, url string) {
	if r.Header.Get(hxRequest) == "true" {
		w.Header().Set(hxRedirect, url)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}
