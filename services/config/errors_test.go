package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

func TestToStatus(t *testing.T) {
	invalid := &fielderr.InvalidError{Violations: []fielderr.Violation{{Field: "schedule.cron", Description: "is required"}, {Field: "name", Description: "is too long"}}}
	cases := []struct {
		name       string
		err        error
		code       codes.Code
		message    string
		violations []string // field: description
	}{
		{"invalid", fmt.Errorf("create: %w", invalid), codes.InvalidArgument, "schedule.cron: is required",
			[]string{"schedule.cron: is required", "name: is too long"}},
		{"name taken", &NameTakenError{Name: "Nightly"}, codes.AlreadyExists, `named "Nightly" already exists`,
			[]string{`name: a configuration named "Nightly" already exists: choose another name or edit that configuration`}},
		{"not found", fmt.Errorf("%w: 0190", ErrNotFound), codes.NotFound, "configuration not found: 0190", nil},
		{"registry down", &RegistryUnavailableError{Addr: "10.0.0.1:9101", Err: io.EOF}, codes.Unavailable,
			"instance registry unreachable at 10.0.0.1:9101: is it running?", nil},
		{"cancelled", fmt.Errorf("list: %w", context.Canceled), codes.Canceled, "cancelled", nil},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded, "deadline", nil},
		{"internal", errors.New("pq: relation configs does not exist"), codes.Internal, "the cause is in its log", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logged strings.Builder
			log := slog.New(slog.NewTextHandler(&logged, nil))
			st := status.Convert(toStatus(t.Context(), log, tc.err))
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.message) {
				t.Errorf("status = %s %q, want %s containing %q", st.Code(), st.Message(), tc.code, tc.message)
			}
			var got []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, fv := range br.GetFieldViolations() {
						got = append(got, fv.GetField()+": "+fv.GetDescription())
					}
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.violations, "\n") {
				t.Errorf("violations = %q, want %q", got, tc.violations)
			}
			if tc.code == codes.Internal {
				if strings.Contains(st.Message(), "pq:") || !strings.Contains(logged.String(), "pq: relation") {
					t.Errorf("internal cause must be logged, not returned: message %q, log %q", st.Message(), logged.String())
				}
			}
		})
	}
	if toStatus(t.Context(), slog.Default(), nil) != nil {
		t.Error("toStatus(nil) != nil")
	}
}
