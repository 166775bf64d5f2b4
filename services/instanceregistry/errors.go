package instanceregistry

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// Errors of the registry. toStatus is the one place that turns them into gRPC codes.
var (
	ErrNotFound = errors.New("instance not found")
	// ErrInvalid is what errors.Is finds in an invalid request's *fielderr.InvalidError.
	ErrInvalid       = fielderr.ErrInvalid
	ErrDuplicateName = errors.New("an instance with this name already exists")
)

// invalid returns nil when nothing was added, else the violations as a *fielderr.InvalidError.
func invalid(vs fielderr.List) error { return fielderr.Invalid("instance", vs) }

// toStatus maps an error to a gRPC status. Unknown errors are logged with their cause and reported with a
// generic message, so that internals never reach the caller.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var invalid *fielderr.InvalidError
	switch {
	case errors.As(err, &invalid):
		return invalid.Status()
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
