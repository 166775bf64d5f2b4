// Package fielderr carries field-level validation errors from a service to REST clients: every problem of a
// request at once, each naming its field as REST JSON spells it (lowerCamelCase, e.g. "schedule.cron") and
// saying what to do, sent as a google.rpc.BadRequest detail that the gateway passes through.
package fielderr

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Violation names a field and says what is wrong with it and what to do.
type Violation struct {
	Field       string
	Description string
}

// List collects violations while validating.
type List []Violation

// Add records a violation.
func (l *List) Add(field, description string) {
	*l = append(*l, Violation{Field: field, Description: description})
}

// Addf records a violation with a formatted description.
func (l *List) Addf(field, format string, args ...any) {
	l.Add(field, fmt.Sprintf(format, args...))
}

// String joins the violations as "field: description; …".
func (l List) String() string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = v.Field + ": " + v.Description
	}
	return strings.Join(parts, "; ")
}

// Status is a gRPC error with code and msg carrying the violations as a google.rpc.BadRequest detail.
func Status(code codes.Code, msg string, vs []Violation) error {
	st := status.New(code, msg)
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	if withDetails, err := st.WithDetails(br); err == nil {
		st = withDetails
	}
	return st.Err()
}
