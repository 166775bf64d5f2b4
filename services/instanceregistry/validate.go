package instanceregistry

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// Limits on stored text.
const (
	maxNameLen        = 100
	maxDescriptionLen = 2000
	maxUsernameLen    = 255
	maxSecretLen      = 1024
)

// patPrefix starts every DHIS2 personal access token: "d2pat_" + 32 base64 characters + a 10-digit CRC32
// (docs.dhis2.org 2.37 Web API overview, "Personal Access Tokens").
const patPrefix = "d2pat_"

// checkID validates an instance id (a UUID).
func checkID(id string) error {
	var v fielderr.List
	if strings.TrimSpace(id) == "" {
		v.Add("id", "required: give the instance id")
	} else if _, err := uuid.Parse(id); err != nil {
		v.Add("id", "not an instance id (expected a UUID such as 0190b6f2-7c1e-7d3a-9f5e-2b8c4d6e8f10)")
	}
	return invalid(v)
}

// normalizeName trims name and checks its length and characters.
func normalizeName(v *fielderr.List, name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add("name", "required: give the instance a name of 1 to 100 characters")
	case n > maxNameLen:
		v.Add("name", "too long: at most 100 characters")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.Add("name", "contains control characters such as line breaks or tabs")
	}
	return name
}

func checkDescription(v *fielderr.List, d string) {
	if utf8.RuneCountInString(d) > maxDescriptionLen {
		v.Add("description", "too long: at most 2000 characters")
	}
}

// normalizeBaseURL validates raw and returns the DHIS2 web application address in the client's canonical
// form: lower-case scheme and host, without trailing "/" and "/api".
func normalizeBaseURL(v *fielderr.List, raw string) string {
	s := strings.TrimSpace(raw)
	// Checked here rather than by the client so that the message never echoes a query string, which may hold
	// a password or token pasted by mistake.
	if u, err := url.Parse(s); err == nil && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
		v.Add("baseUrl", "must not have a query (?…) or fragment (#…): give only the address of the DHIS2 web application, e.g. https://dhis2.example.org/hmis")
		return ""
	}
	u, err := dhis2.NormalizeBaseURL(s)
	if err != nil {
		msg := "not a valid http(s) URL"
		if de, ok := errors.AsType[*dhis2.Error](err); ok && de.Message != "" {
			msg = de.Message
		}
		v.Add("baseUrl", msg)
		return ""
	}
	return u.String()
}

// normalizeUsername trims username; basic authentication cannot carry a colon in it (RFC 7617 §2).
func normalizeUsername(v *fielderr.List, username string) string {
	username = strings.TrimSpace(username)
	switch {
	case utf8.RuneCountInString(username) > maxUsernameLen:
		v.Add("username", "too long: at most 255 characters")
	case strings.ContainsRune(username, ':'):
		v.Add("username", "must not contain ':' (HTTP basic authentication cannot carry it)")
	case strings.IndexFunc(username, unicode.IsControl) >= 0:
		v.Add("username", "contains control characters")
	}
	return username
}

func checkPassword(v *fielderr.List, password string) {
	switch {
	case password == "":
		v.Add("password", "required: an empty string is not a valid password")
	case len(password) > maxSecretLen:
		v.Add("password", "too long: at most 1024 bytes")
	}
}

// checkToken says why token is not a DHIS2 personal access token. The token itself never appears in a
// message.
func checkToken(v *fielderr.List, token string) {
	const field = "token"
	trimmed := strings.TrimSpace(token)
	switch {
	case token == "":
		v.Add(field, "required: an empty string is not a valid token")
	case strings.HasPrefix(trimmed, "ApiToken ") || strings.HasPrefix(trimmed, "Bearer "):
		v.Add(field, "paste only the token itself (d2pat_…), without the \"ApiToken \" or \"Bearer \" prefix")
	case !strings.HasPrefix(token, patPrefix):
		v.Add(field, "not a DHIS2 personal access token: tokens start with \"d2pat_\" (create one in DHIS2 under Profile → Personal access tokens, available from DHIS2 2.37); for an account password use the username and password fields")
	case trimmed != token || strings.ContainsAny(token, " \t\r\n"):
		v.Add(field, "contains white space: paste the d2pat_… value only")
	case len(token) == len(patPrefix):
		v.Add(field, "incomplete: only the \"d2pat_\" prefix was given")
	case len(token) > maxSecretLen:
		v.Add(field, "too long for a personal access token")
	case strings.IndexFunc(token[len(patPrefix):], notTokenRune) >= 0:
		v.Add(field, "contains characters that never occur in a DHIS2 personal access token (letters, digits, '+', '/', '=', '-' and '_' only): was it copied with quotes or punctuation?")
	}
}

func notTokenRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("+/=-_", r)
}
