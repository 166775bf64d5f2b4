package loader

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dhis2sync/dhis2sync/services/platform/errclass"
)

// Errors of the loader's RPCs. toStatus is the one place that turns them into gRPC statuses; what fails
// later, while a step loads, reaches the orchestrator as the step's result instead.
var (
	// ErrInvalidArgument is a request the loader cannot run as sent (missing ids, resources that do not match
	// the step kind).
	ErrInvalidArgument = errors.New("invalid request")
	// ErrUnknownKind is a step kind the loader does not write (unset, or newer than this loader).
	ErrUnknownKind = errors.New("unknown step kind")
)

// classed returns an error of a class (one of the Err values) with its message and cause.
var classed = errclass.New

// request is what every loader request names, for the log line of an internal error.
type request interface {
	GetJobId() string
	GetStepId() string
}

// toStatus maps an error of an RPC to its gRPC status. Unexpected errors are logged with their cause and the
// request, and reach the caller as Internal without internals.
func (l *Loader) toStatus(ctx context.Context, rpc string, req request, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrUnknownKind):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "request deadline exceeded")
	}
	l.log.ErrorContext(ctx, "loader failure", slog.String("rpc", rpc), slog.String("job_id", req.GetJobId()),
		slog.String("step_id", req.GetStepId()), slog.String("error", err.Error()))
	return status.Error(codes.Internal, "internal error in the loader; the cause is in its log")
}
