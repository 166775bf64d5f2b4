package instanceregistry

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors of the registry. toStatus is the one place that turns them into gRPC codes.
var (
	ErrNotFound      = errors.New("instance not found")
	ErrInvalid       = errors.New("invalid instance")
	ErrDuplicateName = errors.New("an instance with this name already exists")
)

// FieldViolation names a request field (lowerCamelCase, as in REST JSON) and says what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

// InvalidError lists every problem of a request at once. errors.Is(err, ErrInvalid) holds for it.
type InvalidError struct {
	Violations []FieldViolation
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return "invalid instance: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// violations collects field violations while validating.
type violations []FieldViolation

func (v *violations) add(field, description string) {
	*v = append(*v, FieldViolation{Field: field, Description: description})
}

// err returns nil when nothing was added.
func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return &InvalidError{Violations: v}
}

// toStatus maps an error to a gRPC status. Unknown errors are logged with their cause and reported with a
// generic message, so that internals never reach the caller.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var invalid *InvalidError
	switch {
	case errors.As(err, &invalid):
		st := status.New(codes.InvalidArgument, invalid.Error())
		br := &errdetails.BadRequest{}
		for _, v := range invalid.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		if withDetails, derr := st.WithDetails(br); derr == nil {
			st = withDetails
		}
		return st.Err()
	case errors.Is(err, ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrDuplicateName):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "request deadline exceeded")
	}
	log.ErrorContext(ctx, "instance registry failure", slog.String("error", err.Error()))
	return status.Error(codes.Internal, "internal error in the instance registry; the cause is in its log")
}
