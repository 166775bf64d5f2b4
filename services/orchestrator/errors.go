package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain errors; toStatus is the one place that turns them into gRPC codes.
var (
	ErrJobNotFound       = errors.New("job not found")
	ErrConfigNotFound    = errors.New("configuration not found")
	ErrConfigInactive    = errors.New("configuration is inactive")
	ErrConfigUnavailable = errors.New("the configuration service is unavailable")
	ErrInvalidArgument   = errors.New("invalid argument")
	ErrNotCancellable    = errors.New("job cannot be cancelled")
	ErrNotRetryable      = errors.New("job cannot be retried")
	// ErrVerificationUnavailable is what a Verifier returns when the extractor cannot verify yet.
	ErrVerificationUnavailable = errors.New("verification not available")
)

// AlreadyRunningError refuses a second active job of one configuration.
type AlreadyRunningError struct{ JobID string }

func (e *AlreadyRunningError) Error() string {
	return "a job of this configuration is already running: " + e.JobID
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// toStatus maps an error to a gRPC status. Unexpected errors are logged with their cause and the request, and
// reach the caller as Internal without internals.
func (s *Service) toStatus(ctx context.Context, req any, err error) error {
	if err == nil {
		return nil
	}
	var running *AlreadyRunningError
	switch {
	case errors.As(err, &running):
		return status.Error(codes.FailedPrecondition, running.Error())
	case errors.Is(err, ErrJobNotFound), errors.Is(err, ErrConfigNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrInvalidArgument):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrConfigInactive), errors.Is(err, ErrNotCancellable), errors.Is(err, ErrNotRetryable):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, ErrConfigUnavailable):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "request timed out")
	}
	if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
		return err
	}
	method, _ := grpc.Method(ctx)
	s.log.ErrorContext(ctx, "orchestrator failure", slog.String("rpc", method), slog.Any("request", req),
		slog.String("error", err.Error()))
	return status.Error(codes.Internal, "internal error in the orchestrator; the cause is in its log")
}
