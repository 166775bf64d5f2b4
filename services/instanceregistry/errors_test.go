package instanceregistry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

func TestToStatus(t *testing.T) {
	tests := []struct {
		err  error
		want codes.Code
	}{
		{ErrNotFound, codes.NotFound},
		{fmt.Errorf("get: %w", ErrNotFound), codes.NotFound},
		{ErrDuplicateName, codes.AlreadyExists},
		{ErrInvalid, codes.InvalidArgument},
		{&fielderr.InvalidError{Violations: []fielderr.Violation{{Field: "baseUrl", Description: "bad"}}}, codes.InvalidArgument},
		{context.Canceled, codes.Canceled},
		{errors.New("pq: connection refused"), codes.Internal},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		err := toStatus(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), tt.err)
		if got := status.Code(err); got != tt.want {
			t.Errorf("toStatus(%v) = %v, want %v", tt.err, got, tt.want)
		}
		if tt.want == codes.Internal {
			if strings.Contains(status.Convert(err).Message(), "pq:") {
				t.Errorf("internal cause reached the caller: %v", err)
			}
			if !strings.Contains(logs.String(), "pq: connection refused") {
				t.Errorf("internal cause not logged: %q", logs.String())
			}
		}
	}
	if toStatus(context.Background(), slog.New(slog.DiscardHandler), nil) != nil {
		t.Error("toStatus(nil) != nil")
	}
}

func TestToStatusFieldViolations(t *testing.T) {
	in := &fielderr.InvalidError{Violations: []fielderr.Violation{{Field: "name", Description: "required"}, {Field: "baseUrl", Description: "no scheme"}}}
	st := status.Convert(toStatus(context.Background(), slog.New(slog.DiscardHandler), fmt.Errorf("create: %w", in)))
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField()+"="+v.GetDescription())
			}
		}
	}
	if want := "name=required baseUrl=no scheme"; strings.Join(got, " ") != want {
		t.Fatalf("field violations = %q, want %q", got, want)
	}
}
