package extractor

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dhis2sync/dhis2sync/services/platform/errclass"
)

// Errors of the extractor's RPCs. toStatus is the one place that turns them into gRPC statuses.
var (
	// ErrInvalidArgument is a request the extractor cannot run as sent (missing ids, resources that do not
	// match the step kind).
	ErrInvalidArgument = errors.New("invalid request")
	// ErrUnknownKind is a step kind the extractor does not read (unset, or newer than this extractor).
	ErrUnknownKind = errors.New("unknown step kind")
	// ErrInstance is an instance the registry could not resolve (not registered, registry unreachable).
	ErrInstance = errors.New("instance not resolved")
	// ErrUnreachable is a DHIS2 that did not answer a read.
	ErrUnreachable = errors.New("DHIS2 did not answer")
	// ErrNotVerifiable is a verification of resources whose comparison is not built.
	ErrNotVerifiable = errors.New("verification not available")
)

// classed returns an error of a class (one of the Err values) with its message and cause.
var classed = errclass.New

func invalidf(format string, args ...any) error {
	return classed(ErrInvalidArgument, nil, format, args...)
}

// request is what every extractor request names, for the log line of an internal error.
type request interface {
	GetJobId() string
	GetStepId() string
}

// toStatus maps an error of an RPC to its gRPC status. Unexpected errors are logged with their cause and the
// request, and reach the caller as Internal without internals.
func (x *Extractor) toStatus(ctx context.Context, rpc string, req request, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrUnknownKind):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrInstance):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, ErrUnreachable):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, ErrNotVerifiable):
		return status.Error(codes.Unimplemented, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "request deadline exceeded")
	}
	x.log.ErrorContext(ctx, "extractor failure", slog.String("rpc", rpc), slog.String("job_id", req.GetJobId()),
		slog.String("step_id", req.GetStepId()), slog.String("error", err.Error()))
	return status.Error(codes.Internal, "internal error in the extractor; the cause is in its log")
}
