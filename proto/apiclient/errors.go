package apiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// Error is a non-2xx answer from the gateway, decoded from {"code","message","details"}.
type Error struct {
	// HTTPStatus is the HTTP status of the answer.
	HTTPStatus int
	// Code is the gRPC status code, 0 when the body was not a gateway error.
	Code int
	// Message is the gateway's message.
	Message string
	// Fields maps a field path in snake_case ("schedule.cron") to its validation message.
	Fields map[string]string
	// Violations are the field violations as the services named them ("baseUrl", "destinationInstanceIds[0]").
	Violations []Violation
}

// Violation is one field violation of a google.rpc.BadRequest detail.
type Violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("gateway: HTTP %d", e.HTTPStatus)
	}
	return fmt.Sprintf("gateway: HTTP %d: %s", e.HTTPStatus, e.Message)
}

// ErrUnreachable wraps transport failures: the gateway did not answer at all.
var ErrUnreachable = errors.New("gateway unreachable")

// ErrMalformed wraps answers the client could not decode.
var ErrMalformed = errors.New("malformed gateway answer")

// StatusOf returns the HTTP status of a gateway error, or 0 when err is not one.
func StatusOf(err error) int {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.HTTPStatus
	}
	return 0
}

// IsUnauthenticated says whether the token was refused (missing, expired or revoked).
func IsUnauthenticated(err error) bool { return StatusOf(err) == http.StatusUnauthorized }

// IsForbidden says whether the user's role does not allow the call.
func IsForbidden(err error) bool { return StatusOf(err) == http.StatusForbidden }

// IsNotFound says whether the object does not exist.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// FieldErrors returns the field-level validation messages of err, or nil.
func FieldErrors(err error) map[string]string {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Fields
	}
	return nil
}

type rawStatus struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

type badRequest struct {
	Type            string      `json:"@type"`
	FieldViolations []Violation `json:"fieldViolations"`
}

// decodeError builds an *Error from a non-2xx answer; a body that is not a gateway status still gives an
// Error with the HTTP status, so callers can always show something readable.
func decodeError(status int, body []byte) *Error {
	e := &Error{HTTPStatus: status}
	var st rawStatus
	if err := json.Unmarshal(body, &st); err != nil {
		e.Message = strings.TrimSpace(http.StatusText(status))
		return e
	}
	e.Code, e.Message = st.Code, st.Message
	for _, d := range st.Details {
		var br badRequest
		if json.Unmarshal(d, &br) != nil || !strings.HasSuffix(br.Type, "google.rpc.BadRequest") {
			continue
		}
		for _, v := range br.FieldViolations {
			if e.Fields == nil {
				e.Fields = map[string]string{}
			}
			e.Fields[NormalizeField(v.Field)] = v.Description
			e.Violations = append(e.Violations, v)
		}
	}
	return e
}

// NormalizeField turns a field path as the services report it ("config.schedule.cron",
// "sourceInstanceId", "filters.startDate") into the snake_case path the forms use ("schedule.cron",
// "source_instance_id", "filters.start_date"). A leading request wrapper ("config.", "instance.") is dropped.
func NormalizeField(path string) string {
	parts := strings.Split(path, ".")
	if len(parts) > 1 && (parts[0] == "config" || parts[0] == "instance") {
		parts = parts[1:]
	}
	for i, p := range parts {
		parts[i] = snake(p)
	}
	return strings.Join(parts, ".")
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
