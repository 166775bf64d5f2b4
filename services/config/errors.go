package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// Errors of the config service. toStatus is the one place that turns them into gRPC codes.
var (
	ErrNotFound = errors.New("configuration not found")
	// ErrInvalid is what errors.Is finds in an invalid configuration's *fielderr.InvalidError.
	ErrInvalid = fielderr.ErrInvalid
	// ErrNameTaken is returned when another configuration already has the name (compared case-insensitively).
	ErrNameTaken = errors.New("a configuration with this name already exists")
	// ErrRegistryUnavailable is returned when instance references cannot be checked.
	ErrRegistryUnavailable = errors.New("instance registry unavailable")
)

// NameTakenError says which name is taken. errors.Is(err, ErrNameTaken) holds for it.
type NameTakenError struct {
	Name string
}

func (e *NameTakenError) Error() string {
	return fmt.Sprintf("a configuration named %q already exists: choose another name or edit that configuration", e.Name)
}

// Is makes errors.Is(err, ErrNameTaken) true.
func (e *NameTakenError) Is(target error) bool { return target == ErrNameTaken }

// RegistryUnavailableError says where the instance registry was expected.
type RegistryUnavailableError struct {
	Addr string
	Err  error
}

func (e *RegistryUnavailableError) Error() string {
	return fmt.Sprintf("instance registry unreachable at %s: is it running? (its address is DHIS2SYNC_INSTANCE_REGISTRY_ADDR)", e.Addr)
}

func (e *RegistryUnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRegistryUnavailable) true.
func (e *RegistryUnavailableError) Is(target error) bool { return target == ErrRegistryUnavailable }

// invalid returns nil when nothing was added, else the violations as a *fielderr.InvalidError.
func invalid(vs fielderr.List) error { return fielderr.Invalid("configuration", vs) }

// toStatus maps an error to a gRPC status. Unknown errors are logged with their cause and reported with a
// generic message, so that internals never reach the caller.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var (
		invalid *fielderr.InvalidError
		taken   *NameTakenError
	)
	switch {
	case errors.As(err, &invalid):
		return invalid.Status()
	case errors.As(err, &taken):
		return fielderr.Status(codes.AlreadyExists, taken.Error(), []fielderr.Violation{{Field: "name", Description: taken.Error()}})
	case errors.Is(err, ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrNameTaken):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrRegistryUnavailable):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "request deadline exceeded")
	}
	log.ErrorContext(ctx, "config service failure", slog.String("error", err.Error()))
	return status.Error(codes.Internal, "internal error in the config service; the cause is in its log")
}

// withViolations builds a status carrying google.rpc.BadRequest field violations, which the gateway renders in
// the JSON error's "details".
