package extractor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestToStatus(t *testing.T) {
	var logs bytes.Buffer
	x := New(context.Background(), nil, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	req := &extractorv1.ExtractStepRequest{JobId: "job-1", StepId: "step-2"}
	cause := errors.New("boom")
	for _, c := range []struct {
		err  error
		want codes.Code
	}{
		{invalidf("job_id is required"), codes.InvalidArgument},
		{classed(ErrUnknownKind, nil, "kind"), codes.InvalidArgument},
		{classed(ErrInstance, cause, "not registered"), codes.FailedPrecondition},
		{classed(ErrUnreachable, cause, "source down"), codes.Unavailable},
		{classed(ErrNotVerifiable, nil, "events"), codes.Unimplemented},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{cause, codes.Internal},
	} {
		if got := status.Code(x.toStatus(context.Background(), "ExtractStep", req, c.err)); got != c.want {
			t.Errorf("%v: %s, want %s", c.err, got, c.want)
		}
	}
	// An internal error's cause is in the log with the request, never in the answer.
	err := x.toStatus(context.Background(), "ExtractStep", req, errors.New("secret cause"))
	if strings.Contains(err.Error(), "secret cause") {
		t.Errorf("the cause reached the caller: %v", err)
	}
	for _, want := range []string{"secret cause", "job-1", "step-2", "ExtractStep"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
	if !errors.Is(classed(ErrUnreachable, cause, "x"), cause) {
		t.Error("a classed error lost its cause")
	}
}
