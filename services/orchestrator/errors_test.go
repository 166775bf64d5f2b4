package orchestrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

func TestToStatus(t *testing.T) {
	var logs bytes.Buffer
	s := &Service{log: slog.New(slog.NewTextHandler(&logs, nil))}
	req := &orchestratorv1.GetJobRequest{Id: "job-42"}
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("%w: x", ErrJobNotFound), codes.NotFound},
		{invalidf("bad"), codes.InvalidArgument},
		{&AlreadyRunningError{JobID: "j"}, codes.FailedPrecondition},
		{ErrConfigUnavailable, codes.Unavailable},
		{status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied},
		{errors.New("boom"), codes.Internal},
	} {
		if got := status.Code(s.toStatus(ctx, req, c.err)); got != c.want {
			t.Errorf("%v: %s, want %s", c.err, got, c.want)
		}
	}
	logs.Reset()
	err := s.toStatus(ctx, req, errors.New("pq: relation jobs does not exist"))
	if strings.Contains(err.Error(), "relation") {
		t.Errorf("the cause reached the caller: %v", err)
	}
	for _, want := range []string{"relation jobs does not exist", "job-42"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}
