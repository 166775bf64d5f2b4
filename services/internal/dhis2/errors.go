package dhis2

import (
	"fmt"
	"strings"
)

// Kind classifies a failure so that callers can decide what to do without
// parsing messages. A Kind is itself an error, so errors.Is(err, KindTimeout)
// works on any error returned by this package.
type Kind int

const (
	KindUnknown Kind = iota
	KindUnreachable
	KindTimeout
	KindTLS
	KindUnauthorized
	KindForbidden
	KindLoginRedirect
	KindNotFound
	KindConflict
	KindBadRequest
	KindRateLimited
	KindServer
	KindMalformed
	KindUnsupportedVersion
	KindInvalidInput
	KindImportFailed
	KindTooLarge
)

var kindNames = map[Kind]string{
	KindUnknown:            "unknown error",
	KindUnreachable:        "server unreachable",
	KindTimeout:            "timeout",
	KindTLS:                "TLS error",
	KindUnauthorized:       "unauthorized",
	KindForbidden:          "forbidden",
	KindLoginRedirect:      "redirected to a login page",
	KindNotFound:           "not found",
	KindConflict:           "conflict",
	KindBadRequest:         "bad request",
	KindRateLimited:        "rate limited",
	KindServer:             "server error",
	KindMalformed:          "malformed response",
	KindUnsupportedVersion: "unsupported DHIS2 version",
	KindInvalidInput:       "invalid input",
	KindImportFailed:       "import job failed",
	KindTooLarge:           "too large",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error lets a Kind be used as an errors.Is target.
func (k Kind) Error() string { return "dhis2: " + k.String() }

// hints say what an administrator should do about each kind of failure.
var hints = map[Kind]string{
	KindUnreachable:        "check the base URL, DNS and that the DHIS2 server is running and reachable from this host",
	KindTimeout:            "the server did not answer in time: check that it is not overloaded, or raise the timeout for this call class",
	KindTLS:                "the TLS handshake failed: check the certificate (a self-signed certificate needs to be trusted, or certificate verification disabled for this instance)",
	KindUnauthorized:       "the server rejected the credentials: check the username and password or the personal access token (tokens expire and may be limited by IP, method or referer)",
	KindForbidden:          "the account lacks an authority for this call: give its user role the needed authority (e.g. ALL for /api/deletedObjects, metadata import authorities for imports)",
	KindLoginRedirect:      "the server answered with an HTML login page: check the base URL (it must point at the DHIS2 web application) and that the account is not redirected to a login form",
	KindNotFound:           "the resource does not exist on this server: check the base URL, the object UID and that this DHIS2 version has the endpoint",
	KindConflict:           "the server refused the request because of a conflict: read the import report for the objects concerned",
	KindBadRequest:         "the server rejected the request parameters: check filters, fields and parameter names for this DHIS2 version",
	KindRateLimited:        "the server asked to slow down: lower the request rate for this instance",
	KindServer:             "the DHIS2 server failed internally: check its logs (catalina.out / dhis.log); retrying later may succeed",
	KindMalformed:          "the answer is not the JSON DHIS2 sends: check that the base URL points at DHIS2 and not at a proxy or another application",
	KindUnsupportedVersion: "dhis2sync speaks DHIS2 2.36 to 2.42: upgrade the server or use a supported instance",
	KindInvalidInput:       "fix the value named in the message",
	KindImportFailed:       "the server's import job ended without a successful report: check the DHIS2 server logs for the job",
	KindTooLarge:           "the request or the answer is larger than dhis2sync accepts for this call: check the base URL, or use smaller pages and batches",
}

// Error is the single error type of this package. Secrets never appear in it:
// URL is stripped of user info and Authorization is never recorded.
type Error struct {
	Kind       Kind
	Op         string // what the client was doing, e.g. "list dataElements"
	Method     string
	URL        string
	HTTPStatus int
	// Message is the server's own message (WebMessage "message"), if any.
	Message string
	// ErrorCode is the DHIS2 error code (e.g. E1005), if any.
	ErrorCode string
	// Hint says what to do.
	Hint string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dhis2: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Method != "" || e.URL != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.URL)
	}
	b.WriteString(e.Kind.String())
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.ErrorCode != "" {
		fmt.Fprintf(&b, " [%s]", e.ErrorCode)
	}
	if e.Err != nil && (e.Message == "" || e.Kind == KindMalformed) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, KindX) true for an *Error of kind X.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Retryable reports whether repeating the same request may succeed.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindUnreachable, KindTimeout, KindRateLimited:
		return true
	case KindServer:
		return e.HTTPStatus == 0 || e.HTTPStatus >= 500
	}
	return false
}

func newError(kind Kind, op string, err error) *Error {
	return &Error{Kind: kind, Op: op, Err: err, Hint: hints[kind]}
}

func invalidInput(op, format string, args ...any) *Error {
	return &Error{Kind: KindInvalidInput, Op: op, Err: fmt.Errorf(format, args...), Message: fmt.Sprintf(format, args...)}
}

// kindForStatus maps an HTTP status to a Kind.
func kindForStatus(status int) Kind {
	switch {
	case status == 401:
		return KindUnauthorized
	case status == 403:
		return KindForbidden
	case status == 404:
		return KindNotFound
	case status == 409:
		return KindConflict
	case status == 429:
		return KindRateLimited
	case status >= 300 && status < 400:
		return KindLoginRedirect
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindUnknown
}
