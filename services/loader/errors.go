package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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

// classError is a class of error (one of the Err values) with its message and cause.
type classError struct {
	class error
	msg   string
	cause error
}

func (e *classError) Error() string { return e.msg }

func (e *classError) Unwrap() []error { return []error{e.class, e.cause} }

func classed(class, cause error, format string, args ...any) error {
	return &classError{class: class, msg: fmt.Sprintf(format, args...), cause: cause}
}

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
