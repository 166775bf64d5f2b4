package dhis2sim

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// authenticate implements DHIS2's API authentication (docs.dhis2.org overview.md, authentication):
//   - Basic credentials; wrong ones get 401 WebMessage JSON.
//   - "Authorization: ApiToken d2pat_…" from 2.37 (unknown on 2.36, so treated as no credentials).
//   - No credentials: 302 to the login page, except XHR requests (X-Requested-With: XMLHttpRequest) which get
//     401 (FormLoginBasicAuthenticationEntryPoint).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Account, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err == nil {
			user, pass, _ := strings.Cut(string(raw), ":")
			if a, ok := s.account(user, pass); ok {
				return a, true
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="DHIS2"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return Account{}, false
	case strings.EqualFold(scheme, "ApiToken") && s.version.AtLeast(37):
		tok := strings.TrimSpace(cred)
		if s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1 {
			return Account{Username: s.opts.Username, Superuser: true}, true
		}
		// DhisApiTokenAuthenticationEntryPoint (core@2.40).
		w.Header().Set("WWW-Authenticate", `ApiToken realm="DHIS2"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return Account{}, false
	}
	if r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return Account{}, false
	}
	http.Redirect(w, r, baseURL(r)+s.loginPath(), http.StatusFound)
	return Account{}, false
}

func (s *Server) account(user, pass string) (Account, bool) {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if eq(user, s.opts.Username) && eq(pass, s.opts.Password) {
		return Account{Username: user, Password: pass, Superuser: true}, true
	}
	for _, a := range s.opts.Users {
		if eq(user, a.Username) && eq(pass, a.Password) {
			return a, true
		}
	}
	return Account{}, false
}

// loginPath is where DHIS2 redirects unauthenticated browsers: the Struts login action up to 2.40
// (dhis2-core 2.41 AuthenticationController) and the login app from 2.41 [UNVERIFIED path on 2.41+].
func (s *Server) loginPath() string {
	if s.version.AtLeast(41) {
		return "/dhis-web-login/"
	}
	return "/dhis-web-commons/security/login.action"
}

func (s *Server) isLoginPage(p string) bool {
	return p == s.loginPath() || p == "/dhis-web-commons-security/login.action"
}

// loginPageHTML is what a client that follows the redirect receives instead of JSON.
const loginPageHTML = `<!DOCTYPE html><html><head><title>DHIS 2</title></head><body><form id="loginForm" action="/dhis-web-commons-security/login.action" method="post"><input type="text" id="j_username" name="j_username"><input type="password" id="j_password" name="j_password"><input type="submit" value="Sign in"></form></body></html>`

func (s *Server) serveLoginPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(loginPageHTML))
}
