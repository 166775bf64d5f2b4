package fielderr

import (
	"errors"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestStatusCarriesEveryViolation(t *testing.T) {
	var l List
	l.Add("baseUrl", "must start with http:// or https:// (100%)")
	l.Addf("schedule.cron", "expected 5 fields, got %d", 3)
	if got := l.String(); got != "baseUrl: must start with http:// or https:// (100%); schedule.cron: expected 5 fields, got 3" {
		t.Fatalf("String() = %q", got)
	}
	st := status.Convert(Status(codes.InvalidArgument, "invalid: "+l.String(), l))
	if st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
		t.Fatalf("status %v with %d details", st.Code(), len(st.Details()))
	}
	br, ok := st.Details()[0].(*errdetails.BadRequest)
	if !ok || len(br.GetFieldViolations()) != 2 || br.GetFieldViolations()[1].GetField() != "schedule.cron" {
		t.Fatalf("details %v", st.Details())
	}
}

func TestInvalidError(t *testing.T) {
	if Invalid("instance", nil) != nil {
		t.Fatal("no violation is no error")
	}
	var l List
	l.Add("name", "is required")
	err := Invalid("instance", l)
	var inv *InvalidError
	if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) || err.Error() != "invalid instance: name: is required" {
		t.Fatalf("Invalid = %v", err)
	}
	st := status.Convert(inv.Status())
	if st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
		t.Fatalf("status %v with %d details", st.Code(), len(st.Details()))
	}
}
