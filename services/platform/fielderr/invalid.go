package fielderr

import (
	"errors"

	"google.golang.org/grpc/codes"
)

// ErrInvalid is what errors.Is finds in every *InvalidError.
var ErrInvalid = errors.New("invalid request")

// InvalidError lists every problem of a request at once. errors.Is(err, ErrInvalid) holds for it.
type InvalidError struct {
	// Subject names what is invalid, for the message: "configuration", "instance".
	Subject    string
	Violations []Violation
}

func (e *InvalidError) Error() string {
	return "invalid " + e.Subject + ": " + List(e.Violations).String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Status is the InvalidArgument status carrying the violations as a google.rpc.BadRequest detail.
func (e *InvalidError) Status() error {
	return Status(codes.InvalidArgument, e.Error(), e.Violations)
}

// Invalid returns nil when vs is empty, else the violations as an *InvalidError about subject.
func Invalid(subject string, vs List) error {
	if len(vs) == 0 {
		return nil
	}
	return &InvalidError{Subject: subject, Violations: vs}
}
